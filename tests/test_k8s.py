"""deploy/k8s: every manifest valid against the Kubernetes schemas (offline, from the kubernetes-validate
package), every part hardened and probed, and the KEDA objects within KEDA's documented fields."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from services.national_upload import topology
from services.registry import SERVICES

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
