"""Calling services from a request: one pooled proxy, the caller's identity as context_data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from nameko.standalone.rpc import ClusterProxy

from gateway.auth import request_id
from shared.caller import Caller


@contextmanager
def rpc() -> Iterator[ClusterProxy]:
    caller = g.get("caller")
    context = caller.to_context() if caller else {"request_id": request_id()}
    with current_app.extensions["rpc_pool"].rpc(context) as proxy:
        yield proxy


@contextmanager
def system_rpc() -> Iterator[ClusterProxy]:
    """The gateway's own calls, not on a user's behalf (renewing a browser session)."""
    with current_app.extensions["rpc_pool"].rpc(Caller.system(request_id()).to_context()) as proxy:
        yield proxy
