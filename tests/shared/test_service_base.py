"""Every entrypoint is counted and timed for Prometheus, split by outcome."""

from types import SimpleNamespace

from prometheus_client import REGISTRY

from shared.errors import NotFound
from shared.service_base import RpcMetrics


class _WorkerContext:
    """Just what RpcMetrics reads of nameko's WorkerContext (which is hashable, like this)."""

    def __init__(self, method: str) -> None:
        self.service_name = "demo"
        self.entrypoint = SimpleNamespace(method_name=method)


def _ctx(method: str) -> _WorkerContext:
    return _WorkerContext(method)


def _count(method: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("licheng_rpc_total", {"service": "demo", "method": method, "outcome": outcome}) or 0


def test_outcomes_are_ok_refused_or_error():
    metrics = RpcMetrics()
    for exc_info, outcome in ((None, "ok"), ((NotFound, NotFound(), None), "refused"), ((ValueError, ValueError(), None), "error")):
        ctx = _ctx("m")
        before = _count("m", outcome)
        metrics.worker_setup(ctx)
        metrics.worker_result(ctx, None, exc_info)
        assert _count("m", outcome) == before + 1
    assert metrics.started == {}
    assert REGISTRY.get_sample_value("licheng_rpc_seconds_count", {"service": "demo", "method": "m"}) == 3
