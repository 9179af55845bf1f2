"""docker-compose.yml stays true to the native path: real images, healthchecks, scalable services."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.registry import SERVICES

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_every_service_and_server_is_there_with_a_healthcheck():
    services = _compose()["services"]
    for name in {"mongo", "rabbitmq", "s3", "gateway", *SERVICES}:
        assert name in services, name
        assert "healthcheck" in services[name], name


def test_no_container_name_so_scale_works():
    assert all("container_name" not in s for s in _compose()["services"].values())


def test_app_services_wait_for_healthy_dependencies():
    services = _compose()["services"]
    for name in {"gateway", *SERVICES}:
        depends = services[name]["depends_on"]
        assert {"mongo", "rabbitmq", "s3"} <= set(depends)
        assert all(d["condition"] == "service_healthy" for d in depends.values())


def test_no_secret_values_in_the_file():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for variable in ("LICHENG_JWT_SECRET", "LICHENG_FIELD_KEY", "LICHENG_S3_SECRET_KEY"):
        assert f"${{{variable}:?" in text


def test_every_service_has_a_kubernetes_deployment_and_workers_scale_on_the_queue():
    docs = [
        d
        for path in (ROOT / "deploy" / "k8s").glob("*.yaml")
        if path.name != "kustomization.yaml"
        for d in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if d
    ]
    commands = [c["command"] for d in docs if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]]
    for name in SERVICES:
        assert ["python", "-m", "services.run", name] in commands, name
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    assert scaled["spec"]["triggers"][0]["type"] == "rabbitmq"
    assert scaled["spec"]["triggers"][0]["metadata"]["queueName"] == "national.upload.items"


def test_upload_workers_scale_as_uploader_without_fixed_names_or_host_ports():
    uploader = _compose()["services"]["uploader"]
    assert uploader["command"] == ["python", "-m", "services.national_upload.worker"]
    assert "ports" not in uploader and "container_name" not in uploader and "hostname" not in uploader
