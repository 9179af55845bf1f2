"""What every Nameko service shares: the caller from context_data, structured logs, a health RPC."""

from __future__ import annotations

import logging
import time

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc, rpc
from prometheus_client import Counter, Histogram

from shared.caller import Caller
from shared.config import Settings, load_settings
from shared.deadline import DEADLINE_KEY, has_passed, out_of_time
from shared.errors import LichengError
from shared.logs import log_event


class CallerProvider(DependencyProvider):
    """The authenticated caller the gateway put into context_data (None for anonymous calls)."""

    def get_dependency(self, worker_ctx) -> Caller | None:
        return Caller.from_context(worker_ctx.data)

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        # One structured line per RPC, carrying the gateway's request id.
        error = exc_info[1] if exc_info else None
        log_event(
            logging.getLogger(f"licheng.{worker_ctx.service_name}"),
            "rpc",
            service=worker_ctx.service_name,
            method=worker_ctx.entrypoint.method_name,
            request_id=worker_ctx.data.get("request_id", ""),
            user=worker_ctx.data.get("user_id", ""),
            error=type(error).__name__ if error else None,
            expected=isinstance(error, LichengError) if error else None,
        )


RPC_CALLS = Counter("licheng_rpc_total", "RPC calls handled", ["service", "method", "outcome"])
RPC_SECONDS = Histogram(
    "licheng_rpc_seconds",
    "RPC handling time",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class RpcMetrics(DependencyProvider):
    """Counts and times every entrypoint; `services.run` serves them on LICHENG_METRICS_PORT."""

    def __init__(self) -> None:
        self.started: dict[object, float] = {}

    def worker_setup(self, worker_ctx) -> None:
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self.started.pop(worker_ctx, None)
        service, method = worker_ctx.service_name, worker_ctx.entrypoint.method_name
        error = exc_info[1] if exc_info else None
        outcome = "ok" if error is None else ("refused" if isinstance(error, LichengError) else "error")
        RPC_CALLS.labels(service, method, outcome).inc()
        if started is not None:
            RPC_SECONDS.labels(service, method).observe(time.perf_counter() - started)


class DeadlineGuard(DependencyProvider):
    """Refuses an RPC its caller stopped waiting for, before any of the entrypoint's code runs.

    The message expiration normally makes RabbitMQ drop such a request; this catches the ones a
    consumer already held (prefetched, or a paused process) when their time ran out. The entrypoint
    is swapped on this worker's own service instance, so the refusal travels back as a normal
    expected error and nothing of the method is executed.
    """

    def worker_setup(self, worker_ctx) -> None:
        if not isinstance(worker_ctx.entrypoint, Rpc):
            # An event inherits the headers of the RPC that dispatched it, deadline included; nobody waits
            # for an event handler, so its own calls must not carry (and be refused for) that deadline.
            worker_ctx.data.pop(DEADLINE_KEY, None)
            return
        if not has_passed(worker_ctx.data):
            return
        log_event(
            logging.getLogger(f"licheng.{worker_ctx.service_name}"),
            "rpc refused after its deadline",
            service=worker_ctx.service_name,
            method=worker_ctx.entrypoint.method_name,
            request_id=worker_ctx.data.get("request_id", ""),
        )

        def refuse(*args, **kwargs):
            raise out_of_time()

        setattr(worker_ctx.service, worker_ctx.entrypoint.method_name, refuse)


class HealthMixin:
    """`health()` answers when the service runs and its database answers a ping; every entrypoint is
    measured, and an RPC whose caller's deadline has passed is refused."""

    name: str
    store: object
    metrics = RpcMetrics()
    deadline_guard = DeadlineGuard()

    @rpc
    def health(self) -> dict:
        started = time.perf_counter()
        self.store.ping()  # type: ignore[attr-defined]
        return {"service": self.name, "ok": True, "db_ms": round((time.perf_counter() - started) * 1000, 1)}


class SettingsProvider(DependencyProvider):
    """The process's Settings, read from the environment once per container."""

    def setup(self) -> None:
        self.settings = load_settings()

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class BackgroundProvider(DependencyProvider):
    """Work an entrypoint starts that outlives its reply (e.g. publishing thousands of upload jobs);
    the container owns the thread, so it stops with the service."""

    def get_dependency(self, worker_ctx):
        return self.container.spawn_managed_thread
