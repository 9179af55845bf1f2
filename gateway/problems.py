"""One error shape for every failure: application/problem+json, zh-TW title with English beside it."""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, g
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException

from shared.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    InternalError,
    LichengError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)

log = logging.getLogger("licheng.gateway")

RETRY_AFTER_UNAVAILABLE_SECONDS = 5

_HTTP_TO_ERROR: dict[int, type[LichengError]] = {
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def problem_response(error: LichengError) -> Response:
    body = error.to_problem()
    if "request_id" in g:
        body["request_id"] = g.request_id
    response = Response(json.dumps(body, ensure_ascii=False), status=error.status, content_type=PROBLEM_CONTENT_TYPE)
    if error.status == 429:
        response.headers["Retry-After"] = "60"
    elif error.status == 503:  # a dead service is restarted within seconds (deploy/native/supervise.py)
        response.headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE_SECONDS)
    return response


def _from_http(exc: HTTPException) -> LichengError:
    cls = _HTTP_TO_ERROR.get(exc.code or 400)
    if cls is not None:
        return cls()
    error = BadRequest("請求格式不正確", exc.description or "bad request")
    return error


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(LichengError, problem_response)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return problem_response(_from_http(exc))

    @app.errorhandler(RemoteError)
    def _remote(exc: RemoteError) -> Response:
        log.error(
            "unexpected service error", extra={"fields": {"exc_type": exc.exc_type, "value": exc.value, "request_id": g.get("request_id")}}
        )
        return problem_response(InternalError("系統發生錯誤，請稍後再試", "unexpected service error"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected gateway error", extra={"fields": {"request_id": g.get("request_id")}})
        return problem_response(InternalError("系統發生錯誤，請稍後再試", "unexpected error"))
