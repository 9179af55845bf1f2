"""The gateway's Flask app factory."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from gateway.auth import install_sessions, request_id
from gateway.blueprints import BLUEPRINTS
from gateway.limits import install_request_limits
from gateway.metrics import init_metrics
from gateway.openapi import build_openapi
from gateway.problems import register_error_handlers
from gateway.sso import SsoRegistry, providers_from_env
from services.registry import import_error_modules
from shared.config import Settings, load_settings
from shared.rpc_pool import RpcPool


def create_app(settings: Settings | None = None, rpc_pool: RpcPool | None = None) -> Flask:
    settings = settings or load_settings()
    settings.require_secrets()
    import_error_modules()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(SETTINGS=settings, MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_SORT_KEYS=False)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["rpc_pool"] = rpc_pool or RpcPool(
        settings.nameko_config(), size=settings.rpc_pool_size, timeout=settings.rpc_timeout_seconds
    )
    install_sessions(app)
    app.extensions["sso"] = SsoRegistry(providers_from_env())
    install_request_limits(app)
    if settings.trusted_proxies:
        # Behind this many reverse proxies the client's address is theirs to report (X-Forwarded-For).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    register_error_handlers(app)
    init_metrics(app)

    openapi = build_openapi()

    @app.get("/api/v1/openapi.json")
    def openapi_document():
        return jsonify(openapi)

    @app.before_request
    def _assign_request_id() -> None:
        request_id()

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
