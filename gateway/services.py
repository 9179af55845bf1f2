"""Calling services from a request: one pooled proxy, the caller's identity as context_data.

Every request has one time budget for all the RPCs it makes: a route may declare its own
(`endpoint(timeout=...)`); otherwise reads get `LICHENG_RPC_READ_TIMEOUT_SECONDS` and writes
`LICHENG_RPC_TIMEOUT_SECONDS`. Work that needs longer belongs in a job, not in a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, request

from gateway.auth import request_id
from shared.caller import Caller
from shared.deadline import deadline_after
from shared.rpc_pool import DeadlineClusterProxy

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Reads that build a file from a whole table (exports, roster workbooks) get a write's budget.
FILE_BUILD_SECONDS = 30.0


def route_timeout() -> float:
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(getattr(view, "spec", None), "timeout", None)
    if declared:
        return float(declared)
    settings = current_app.config["SETTINGS"]
    return float(settings.rpc_read_timeout_seconds if request.method in READ_METHODS else settings.rpc_timeout_seconds)


def request_deadline() -> float:
    """The deadline of this request's RPCs, fixed when the first one is made."""
    if "rpc_deadline" not in g:
        g.rpc_deadline = deadline_after(route_timeout())
    return g.rpc_deadline


@contextmanager
def rpc(*, timeout: float | None = None) -> Iterator[DeadlineClusterProxy]:
    """`timeout` gives these calls their own budget instead of the request's (health probes)."""
    caller = g.get("caller")
    context = caller.to_context() if caller else {"request_id": request_id()}
    deadline = deadline_after(timeout) if timeout is not None else request_deadline()
    with current_app.extensions["rpc_pool"].rpc(context, deadline=deadline) as proxy:
        yield proxy


@contextmanager
def system_rpc() -> Iterator[DeadlineClusterProxy]:
    """The gateway's own calls, not on a user's behalf (renewing a browser session)."""
    with current_app.extensions["rpc_pool"].rpc(Caller.system(request_id()).to_context(), deadline=request_deadline()) as proxy:
        yield proxy
