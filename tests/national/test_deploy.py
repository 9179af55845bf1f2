"""The simulator is wired for both paths: compose service with a healthcheck, image holds its code."""

from __future__ import annotations

import os

import yaml

from tests.support.system import ROOT


def test_compose_has_the_simulator_with_a_healthcheck_and_its_secrets_from_env():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    service = compose["services"]["national-sim"]
    assert "healthcheck" in service and "container_name" not in service
    assert service["command"] == ["python", "-m", "deploy.national_sim", "serve"]
    assert service["environment"]["LICHENG_NATIONAL_SECRET"].startswith("${LICHENG_NATIONAL_SECRET:?")
    assert "national-sim-data" in compose["volumes"]


def test_image_and_native_script_can_run_it():
    assert "COPY deploy/national_sim" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert os.access(ROOT / "deploy/national-sim/run.sh", os.X_OK)
