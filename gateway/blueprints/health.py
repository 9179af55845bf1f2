"""Probes: /healthz (the process is up) and /readyz (every service answers its health RPC).

/readyz asks every service through this worker's own RPC pool: a service without a consumer is reported
at once (no message is sent), one that does not answer within HEALTH_TIMEOUT_SECONDS is not ready.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.services import rpc
from services.registry import SERVICES
from shared.errors import LichengError

bp = Blueprint("health", __name__)

# Each service's health RPC gets its own short budget, so one stalled service cannot hold the probe.
HEALTH_TIMEOUT_SECONDS = 3.0


@bp.get("/healthz")
def healthz():
    return jsonify({"ok": True})


@bp.get("/readyz")
def readyz():
    results: dict[str, dict] = {}
    for name in SERVICES:  # each answers `health()` after pinging its own stores
        try:
            with rpc(timeout=HEALTH_TIMEOUT_SECONDS) as services:
                results[name] = getattr(services, name).health()
        except LichengError as exc:
            results[name] = {"ok": False, "error": exc.detail_en or exc.code}
        except Exception as exc:  # a readiness probe reports, it never fails with a 500
            results[name] = {"ok": False, "error": type(exc).__name__}
    ready = all(r.get("ok") for r in results.values())
    return jsonify({"ok": ready, "services": results}), (200 if ready else 503)
