"""docker-compose.yml stays true to the native path: real images, healthchecks, scalable services, and the
replicated topology (three RabbitMQ nodes of one cluster, a three-member MongoDB replica set, SeaweedFS
with three volume servers and replication)."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
import yaml

from services.registry import SERVICES
from shared.amqp import broker_uris

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

ROOT = Path(__file__).resolve().parents[1]
BROKERS = ("rabbitmq1", "rabbitmq2", "rabbitmq3")
MONGO_MEMBERS = ("mongo1", "mongo2", "mongo3")
STATE = {*BROKERS, *MONGO_MEMBERS, "s3"}
INIT_JOBS = {"mongo-init", "rabbitmq-init"}  # one-shot: the replica set initiated, the mirror policy set


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_every_service_and_server_is_there_with_a_healthcheck():
    services = _compose()["services"]
    for name in {*STATE, "weed-master", "gateway", *SERVICES}:
        assert name in services, name
        assert "healthcheck" in services[name], name


def test_no_container_name_so_scale_works():
    assert all("container_name" not in s for s in _compose()["services"].values())


def test_app_services_wait_for_healthy_dependencies():
    services = _compose()["services"]
    for name in {"gateway", *SERVICES}:
        depends = services[name]["depends_on"]
        assert STATE | INIT_JOBS <= set(depends), name
        for dependency, how in depends.items():
            expected = "service_completed_successfully" if dependency in INIT_JOBS else "service_healthy"
            assert how["condition"] == expected, (name, dependency)


def test_no_secret_values_in_the_file():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    secrets = ("LICHENG_JWT_SECRET", "LICHENG_FIELD_KEY", "LICHENG_S3_SECRET_KEY", "LICHENG_RABBIT_PASSWORD", "LICHENG_RABBIT_COOKIE")
    for variable in secrets:
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


def _interpolated(value: str) -> str:
    """A value as `docker compose` hands it to the container once .env is set (secrets as 'x')."""
    return re.sub(r"\$\{\w+(?::?[-?][^}]*)?\}", "x", value)


def test_rabbitmq_is_three_nodes_of_one_cluster_sharing_a_cookie():
    compose = _compose()
    services = compose["services"]
    conf = compose["configs"]["rabbitmq-conf"]["content"]
    assert "cluster_formation.peer_discovery_backend = classic_config" in conf
    assert "cluster_partition_handling = pause_minority" in conf
    for n, name in enumerate(BROKERS, start=1):
        broker = services[name]
        assert broker["hostname"] == name  # the node name rabbit@<hostname> its peers know it by
        assert f"cluster_formation.classic_config.nodes.{n} = rabbit@{name}" in conf
        assert {c["source"] for c in broker["configs"]} == {"rabbitmq-conf"}
        erl_args = broker["environment"]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]
        assert "-setcookie ${LICHENG_RABBIT_COOKIE:?" in erl_args and "-rabbit quorum_cluster_size 3" in erl_args
        assert broker["volumes"] == [f"{name}-data:/var/lib/rabbitmq"]  # a data dir each
    # Nameko's classic RPC/event queues mirrored on every node, as the native cluster's test system does
    policy = " ".join(services["rabbitmq-init"]["command"])
    assert "set_policy" in policy and "^(rpc-|evt-)" in policy and '"ha-mode": "all"' in policy
    assert set(services["rabbitmq-init"]["depends_on"]) == set(BROKERS)


def test_every_app_service_is_given_every_broker_and_the_replica_set():
    services = _compose()["services"]
    for name in {"gateway", "uploader", *SERVICES}:
        env = services[name]["environment"]
        hosts = [urllib.parse.urlsplit(uri).hostname for uri in broker_uris(_interpolated(env["LICHENG_AMQP_URI"]))]
        assert hosts == list(BROKERS), name
        mongo = urllib.parse.urlsplit(env["LICHENG_MONGO_URI"])
        assert sorted(h.split(":")[0] for h in mongo.netloc.split(",")) == list(MONGO_MEMBERS), name
        assert urllib.parse.parse_qs(mongo.query) == {"replicaSet": ["rs0"]}, name


def test_mongodb_is_a_three_member_replica_set_initiated_once():
    services = _compose()["services"]
    for name in MONGO_MEMBERS:
        assert services[name]["command"][:3] == ["mongod", "--replSet", "rs0"]
        assert services[name]["volumes"] == [f"{name}-data:/data/db"]
    script = services["mongo-init"]["command"][-1]
    assert "rs.initiate" in script and "NotYetInitialized" in script  # an initiated set is left alone
    for name in MONGO_MEMBERS:
        assert f'host: "{name}:27017"' in script


def _flags(command: list[str]) -> dict[str, str]:
    return dict(arg.lstrip("-").split("=", 1) for arg in command if arg.startswith("-") and "=" in arg)


def test_the_s3_store_has_three_volume_servers_and_keeps_every_volume_twice():
    services = _compose()["services"]
    master = services["weed-master"]
    assert _flags(master["command"])["defaultReplication"] == "001"
    volumes = {n: s for n, s in services.items() if s.get("command", [None])[0] == "volume"}
    assert len(volumes) >= 3
    for name, volume in volumes.items():
        flags = _flags(volume["command"])
        assert flags["master"] == "weed-master:9333" and flags["ip"] == name, name
        assert volume["volumes"] == [f"{name}-data:/data"], name  # no two servers share a disk
    s3 = services["s3"]
    assert s3["command"][0] == "filer" and "-s3" in s3["command"]
    assert _flags(s3["command"])["defaultReplicaPlacement"] == "001"
    assert {f"weed-volume{n}" for n in (1, 2, 3)} <= set(s3["depends_on"])
