"""deploy/k8s: every manifest valid against the Kubernetes schemas (offline, from the kubernetes-validate
package), every part hardened and probed, and the KEDA objects within KEDA's documented fields."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from services.national_upload import topology
from services.registry import SERVICES
from shared.amqp import broker_uris

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.30.0"  # the oldest version we support; the schemas ship with the package

# KEDA v2 (keda.sh/v1alpha1), from its documentation: ScaledObject spec and the rabbitmq trigger.
SCALED_OBJECT_SPEC = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}
TRIGGER_FIELDS = {"type", "name", "metadata", "authenticationRef", "metricType", "useCachedMetrics"}
RABBITMQ_METADATA = {
    "host",
    "protocol",
    "mode",
    "value",
    "activationValue",
    "queueName",
    "vhostName",
    "queueLength",
    "useRegex",
    "pageSize",
    "operation",
    "timeout",
    "excludeUnacknowledged",
    "unsafeSsl",
    "hostFromEnv",
    "usernameFromEnv",
    "passwordFromEnv",
}
TRIGGER_AUTH_PARAMETERS = {"host", "username", "password", "tls", "ca", "cert", "key", "workloadIdentityResource"}


def _docs(pattern: str = "*.yaml") -> list[tuple[str, dict]]:
    return [
        (path.name, doc)
        for path in sorted(K8S.glob(pattern))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def _by_kind(kind: str) -> list[dict]:
    return [d for _, d in _docs() if d["kind"] == kind]


@pytest.mark.parametrize("name,doc", [(n, d) for n, d in _docs() if not d["apiVersion"].startswith("keda.sh/")], ids=lambda v: str(v)[:40])
def test_manifest_is_valid_against_the_kubernetes_schema(name, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_examples():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml" and not p.name.endswith(".example.yaml")}
    assert listed == on_disk


def test_every_deployment_is_probed_limited_and_runs_as_non_root_read_only():
    deployments = _by_kind("Deployment")
    commands = [c["command"] for d in deployments for c in d["spec"]["template"]["spec"]["containers"]]
    for name in SERVICES:
        assert ["python", "-m", "services.run", name] in commands, name
    assert ["python", "-m", "services.national_upload.worker"] in commands
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, deployment["metadata"]["name"]
        for container in pod["containers"]:
            where = f"{deployment['metadata']['name']}/{container['name']}"
            assert "readinessProbe" in container and "livenessProbe" in container, where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and "memory" in container["resources"]["limits"], where
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where


def test_the_gateway_has_an_hpa():
    (hpa,) = _by_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_workers_scale_with_keda_on_the_work_queue_counting_unacknowledged_messages():
    (scaled,) = _by_kind("ScaledObject")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    assert set(spec) <= SCALED_OBJECT_SPEC, set(spec) - SCALED_OBJECT_SPEC
    assert spec["scaleTargetRef"]["name"] in {d["metadata"]["name"] for d in _by_kind("Deployment")}
    assert spec["minReplicaCount"] == 1 and 1 < spec["maxReplicaCount"] <= 50
    (trigger,) = spec["triggers"]
    assert set(trigger) <= TRIGGER_FIELDS and trigger["type"] == "rabbitmq"
    metadata = trigger["metadata"]
    assert set(metadata) <= RABBITMQ_METADATA, set(metadata) - RABBITMQ_METADATA
    assert all(isinstance(v, str) for v in metadata.values())  # KEDA metadata is a map of strings
    assert metadata["queueName"] == topology.WORK_QUEUE and metadata["mode"] == "QueueLength" and int(metadata["value"]) > 0
    # Only the management API (http) counts unacknowledged messages (KEDA docs); they must not be excluded.
    assert metadata["protocol"] == "http" and metadata.get("excludeUnacknowledged", "false") == "false"
    auths = {a["metadata"]["name"]: a for a in _by_kind("TriggerAuthentication")}
    auth = auths[trigger["authenticationRef"]["name"]]
    assert {ref["parameter"] for ref in auth["spec"]["secretTargetRef"]} <= TRIGGER_AUTH_PARAMETERS


def test_worker_pods_have_no_fixed_names_or_host_ports():
    for deployment in _by_kind("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert all("hostPort" not in p for p in container.get("ports", []))


# --- the replicated state: deploy/k8s/state, applied with the app by deploy/k8s/replicated ---------

STATE = K8S / "state"
STATEFUL = {"rabbitmq": 3, "mongo": 3, "weed-master": 3, "weed-volume": 3}


def _state_docs(include_examples: bool = True) -> list[tuple[str, dict]]:
    return [
        (path.name, doc)
        for path in sorted(STATE.glob("*.yaml"))
        if path.name != "kustomization.yaml" and (include_examples or not path.name.endswith(".example.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def _state(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for _, d in _state_docs() if d["kind"] == kind}


def _container(workload: dict) -> dict:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def _flags(args: list[str]) -> dict[str, str]:
    return dict(a.lstrip("-").split("=", 1) for a in args if a.startswith("-") and "=" in a)


@pytest.mark.parametrize("name,doc", _state_docs(), ids=lambda v: str(v)[:40])
def test_state_manifest_is_valid_against_the_kubernetes_schema(name, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_state_kustomization_lists_every_manifest_and_the_replicated_one_adds_it_to_the_app():
    listed = set(yaml.safe_load((STATE / "kustomization.yaml").read_text(encoding="utf-8"))["resources"])
    assert listed == {name for name, _ in _state_docs(include_examples=False)}
    replicated = yaml.safe_load((K8S / "replicated" / "kustomization.yaml").read_text(encoding="utf-8"))
    assert replicated["resources"] == ["..", "../state"]


def test_every_stateful_part_is_three_replicas_spread_over_machines_with_a_budget():
    statefulsets, services = _state("StatefulSet"), _state("Service")
    budgets = {tuple(sorted(b["spec"]["selector"]["matchLabels"].items())): b for b in _state("PodDisruptionBudget").values()}
    assert {n: s["spec"]["replicas"] for n, s in statefulsets.items()} == STATEFUL
    for name, statefulset in statefulsets.items():
        spec = statefulset["spec"]
        labels = spec["selector"]["matchLabels"]
        # a headless Service that resolves the peers before they are ready
        headless = services[spec["serviceName"]]["spec"]
        assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True, name
        assert headless["selector"] == labels, name
        # one replica per machine
        (term,) = spec["template"]["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term["topologyKey"] == "kubernetes.io/hostname" and term["labelSelector"]["matchLabels"] == labels, name
        # voluntary disruptions (drains, upgrades) take one at a time: the majority stays
        budget = budgets[tuple(sorted(labels.items()))]["spec"]
        assert budget.get("maxUnavailable") == 1 or budget.get("minAvailable") == 2, name
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        container = _container(statefulset)
        assert "readinessProbe" in container and "livenessProbe" in container, name
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and "memory" in container["resources"]["limits"], name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert [c["metadata"]["name"] for c in spec["volumeClaimTemplates"]] == ["data"], name


def _node_names() -> list[str]:
    return [f"rabbit@rabbitmq-{i}.rabbitmq-headless.licheng.svc.cluster.local" for i in range(3)]


def test_rabbitmq_nodes_join_one_cluster_by_their_stable_names_and_mirror_nameko_queues():
    conf = _state("ConfigMap")["rabbitmq-config"]["data"]["20-licheng-cluster.conf"]
    assert "cluster_formation.peer_discovery_backend = classic_config" in conf
    assert "cluster_partition_handling = pause_minority" in conf
    for n, node in enumerate(_node_names(), start=1):
        assert f"cluster_formation.classic_config.nodes.{n} = {node}" in conf
    rabbit = _state("StatefulSet")["rabbitmq"]
    env = {e["name"]: e for e in _container(rabbit)["env"]}
    assert env["RABBITMQ_NODENAME"]["value"] == "rabbit@$(POD_NAME).rabbitmq-headless.licheng.svc.cluster.local"
    assert env["RABBITMQ_USE_LONGNAME"]["value"] == "true"
    assert env["RABBITMQ_COOKIE"]["valueFrom"]["secretKeyRef"] == {"name": "rabbitmq-secrets", "key": "erlang-cookie"}
    erl_args = env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]["value"]
    assert "-setcookie $(RABBITMQ_COOKIE)" in erl_args and "-rabbit quorum_cluster_size 3" in erl_args  # quorum queues on all three
    assert rabbit["spec"]["podManagementPolicy"] == "Parallel"  # classic_config peers start together
    policy = " ".join(_container(_state("Job")["rabbitmq-policies"])["args"])
    assert "set_policy" in policy and "^(rpc-|evt-)" in policy and '"ha-mode": "all"' in policy


def test_mongodb_replica_set_is_initiated_once_with_every_member():
    mongo = _container(_state("StatefulSet")["mongo"])
    assert mongo["command"][:3] == ["mongod", "--replSet", "rs0"]
    script = _container(_state("Job")["mongo-init"])["command"][-1]
    assert "rs.initiate" in script and "NotYetInitialized" in script  # an initiated set is left alone
    for i in range(3):
        assert f'host: "mongo-{i}.mongo-headless:27017"' in script


def test_the_s3_store_keeps_every_volume_on_two_of_three_servers():
    statefulsets = _state("StatefulSet")
    masters = ",".join(f"weed-master-{i}.weed-master-headless:9333" for i in range(3))
    master = _flags(_container(statefulsets["weed-master"])["args"])
    assert master["defaultReplication"] == "001" and master["peers"] == masters
    volume = _flags(_container(statefulsets["weed-volume"])["args"])
    assert volume["master"] == masters and volume["ip"] == "$(POD_NAME).weed-volume-headless"
    filer_deployment = _state("Deployment")["weed-filer"]
    filer = _flags(_container(filer_deployment)["args"])
    assert filer["defaultReplicaPlacement"] == "001" and filer["master"] == masters
    assert filer_deployment["spec"]["replicas"] >= 2  # the metadata lives in MongoDB, so filers scale
    assert "[mongodb]\nenabled = true" in _state("ConfigMap")["weed-filer-config"]["data"]["filer.toml"]
    assert _state("Service")["s3"]["spec"]["selector"] == filer_deployment["spec"]["selector"]["matchLabels"]


def test_the_app_secret_lists_every_broker_and_the_replica_set():
    data = _state("Secret")["licheng-secrets"]["stringData"]
    hosts = [urllib.parse.urlsplit(uri).hostname for uri in broker_uris(data["LICHENG_AMQP_URI"])]
    assert hosts == [f"rabbitmq-{i}.rabbitmq-headless" for i in range(3)]
    mongo = urllib.parse.urlsplit(data["LICHENG_MONGO_URI"])
    assert mongo.netloc.split(",") == [f"mongo-{i}.mongo-headless:27017" for i in range(3)]
    assert urllib.parse.parse_qs(mongo.query) == {"replicaSet": ["rs0"]}
    assert data["LICHENG_S3_ENDPOINT"] == "s3:8333"
    # the broker user and the S3 keys in the app's URIs are the ones the state Secrets create
    rabbit = _state("Secret")["rabbitmq-secrets"]["stringData"]
    assert all(urllib.parse.urlsplit(u).username == rabbit["username"] for u in broker_uris(data["LICHENG_AMQP_URI"]))
