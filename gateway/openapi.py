"""The OpenAPI 3.1 document, generated from the endpoint registry and its pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from gateway.endpoints import REGISTRY, EndpointSpec, QueryParam
from gateway.idempotency import MAX_KEY_LENGTH, UNSAFE_METHODS
from gateway.limits import MAX_DEPTH, MAX_INT_PARAM, MAX_JSON_BYTES, MAX_KEYS, PARAMETER_SCHEMA
from gateway.request_schema import RequestJsonSchema

_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")
_INT_PARAM = re.compile(r"<int:([a-zA-Z_][a-zA-Z0-9_]*)>")

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string", "description": "zh-TW"},
        "title_en": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "detail_en": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "message_en": {"type": "string"},
                },
            },
        },
    },
}


def _schema(model: Any, components: dict[str, Any], request: bool = False) -> dict[str, Any]:
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    generator = RequestJsonSchema if request else GenerateJsonSchema
    schema = adapter.json_schema(ref_template="#/components/schemas/{model}", schema_generator=generator)
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    if isinstance(model, type) and issubclass(model, BaseModel):
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}
    return schema


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _operation(spec: EndpointSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": spec.summary, "tags": spec.tags, "operationId": f"{spec.blueprint}_{spec.method.lower()}_{spec.rule}"}
    path_schema = {**PARAMETER_SCHEMA, "minLength": 1}
    integers = set(_INT_PARAM.findall(spec.rule))  # Flask's int converter: only digits route here
    params = [
        {
            "name": n,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT_PARAM} if n in integers else path_schema,
        }
        for n in _PARAM.findall(spec.rule)
    ]
    params += [_query_parameter(n, d) for n, d in spec.query.items()]
    if spec.method in UNSAFE_METHODS and spec.permission is not None:
        params.append(IDEMPOTENCY_PARAMETER)
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema(spec.body, components, request=True)}}}
    elif spec.multipart:
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}
                }
            },
        }
    elif spec.raw_body:
        op["requestBody"] = {"required": True, "content": {spec.raw_body: {"schema": {"type": "string", "format": "binary"}}}}
    ok: dict[str, Any] = {"description": "OK"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": _schema(spec.response, components)}}
    responses: dict[str, Any] = {
        **{str(code): {"description": why} for code, why in spec.other_statuses.items()},
        str(spec.status): ok,
        "400": _problem("bad request: malformed JSON, control characters or an over-long parameter"),
        "409": _problem("conflict with the current state (e.g. no semester set up yet: the detail says what to do)"),
        "422": _problem("validation failed"),
    }
    if spec.body is not None or spec.multipart or spec.raw_body:
        responses["413"] = _problem(f"body too large (JSON: at most {MAX_JSON_BYTES} bytes, {MAX_KEYS} members, depth {MAX_DEPTH})")
        responses["415"] = _problem("unsupported media type")
    if spec.permission is None and spec.body is not None:
        responses["401"] = _problem("wrong credentials, or the session has ended")
        responses["429"] = _problem("too many failed attempts")
    if spec.permission is not None:
        responses.update({"401": _problem("not logged in"), "403": _problem("role not allowed"), "404": _problem("not found")})
        op["security"] = [{"bearer": []}, {"cookie": []}]
        op["x-permission"] = spec.permission.value
    if spec.method in UNSAFE_METHODS and spec.permission is not None:
        responses["409"] = _problem("conflict, or a request with this Idempotency-Key still in progress (Retry-After)")
    responses["503"] = _problem("a service is down or did not answer in time: nothing was done (Retry-After)")
    op["responses"] = responses
    return op


def _query_parameter(name: str, declared: str | QueryParam) -> dict[str, Any]:
    if isinstance(declared, QueryParam):
        return {"name": name, "in": "query", "required": declared.required, "description": declared.description, "schema": declared.schema}
    return {"name": name, "in": "query", "required": False, "description": declared, "schema": PARAMETER_SCHEMA}


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "1-200 printable ASCII characters, per account, kept 24 h: sent again, the first answer is repeated "
        "(header Idempotent-Replayed: true) and the work is not done twice; the same key with another body is a 422"
    ),
    # printable ASCII, surrounding spaces dropped (gateway/idempotency.py)
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]*[!-~][ -~]*$"},
}


def build_openapi() -> dict[str, Any]:
    components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, Any] = {}
    for spec in REGISTRY:
        path = _PARAM.sub(r"{\1}", spec.rule)
        paths.setdefault(path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "歷程 Licheng API", "version": "1.0.0", "description": "學生學習歷程檔案平臺 / learning-portfolio platform"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "licheng_session"},
            },
        },
    }
