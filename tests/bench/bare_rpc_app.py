"""The second baseline of the gateway read path: bare Flask making the same one RPC (identity's `me`)
through the same proxy pool, on the same gunicorn settings; what the gateway adds on top is its own
work (token, revocation check, permission, limits, metrics, problem mapping).

The caller comes from the environment (BENCH_CALLER_*), as a verified token would give it."""

from __future__ import annotations

import os

from flask import Flask, jsonify

from shared.caller import Caller
from shared.config import load_settings
from shared.roles import parse_roles
from shared.rpc_pool import RpcPool

settings = load_settings()
pool = RpcPool(settings.nameko_config(), size=settings.rpc_pool_size, timeout=settings.rpc_timeout_seconds)
caller = Caller(
    user_id=os.environ["BENCH_CALLER_ID"],
    username=os.environ["BENCH_CALLER_USERNAME"],
    school_id=os.environ.get("BENCH_CALLER_SCHOOL") or None,
    roles=parse_roles(os.environ["BENCH_CALLER_ROLES"]),
)
app = Flask(__name__)


@app.get("/me")
def me():
    with pool.rpc(caller.to_context()) as services:
        return jsonify(services.identity.me())
