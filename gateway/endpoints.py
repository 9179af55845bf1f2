"""Declaring an API route: its permission, request model and response model in one place.

`endpoint()` registers the route on a blueprint, checks the caller against the permission table,
validates the JSON body with the pydantic model, and records everything for the OpenAPI document,
so the document is generated from the very schemas that validate requests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, g
from pydantic import BaseModel

from gateway.auth import current_caller
from gateway.idempotency import idempotent
from gateway.limits import read_json_body
from shared.errors import Forbidden
from shared.permissions import Permission, is_allowed
from shared.validation import parse


@dataclass(frozen=True)
class QueryParam:
    """A query parameter whose values are narrower than any short string (the document states them)."""

    description: str
    schema: dict[str, Any]
    required: bool = False


# A 學年度 in a query string, as the services accept it.
ACADEMIC_YEAR_SCHEMA = {"type": "integer", "minimum": 100, "maximum": 200}


@dataclass
class EndpointSpec:
    blueprint: str
    rule: str
    method: str
    summary: str
    permission: Permission | None
    body: type[BaseModel] | None
    response: Any
    status: int
    tags: list[str]
    query: dict[str, str | QueryParam] = field(default_factory=dict)  # name -> description, or its QueryParam
    multipart: bool = False
    raw_body: str | None = None  # the media type of a body that is the file itself (not JSON, not a form)
    timeout: float | None = None  # seconds for the request's RPCs together (None: by method, gateway.services)
    job_id_field: str | None = None  # a client-chosen job id (form or query field) that keys retries like Idempotency-Key
    other_statuses: dict[int, str] = field(default_factory=dict)  # further success answers, for the document


REGISTRY: list[EndpointSpec] = []


def endpoint(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    permission: Permission | None,
    body: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    query: dict[str, str | QueryParam] | None = None,
    multipart: bool = False,
    raw_body: str | None = None,
    timeout: float | None = None,
    job_id_field: str | None = None,
    other_statuses: dict[int, str] | None = None,
) -> Callable:
    """`permission=None` marks a public route (login, health)."""

    def decorate(view: Callable) -> Callable:
        spec = EndpointSpec(
            bp.name,
            (bp.url_prefix or "") + rule,
            method,
            summary,
            permission,
            body,
            response,
            status,
            [bp.name],
            query or {},
            multipart,
            raw_body=raw_body,
            timeout=timeout,
            job_id_field=job_id_field,
            other_statuses=other_statuses or {},
        )
        REGISTRY.append(spec)

        @functools.wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            if permission is not None:
                caller = current_caller()
                if not is_allowed(caller.roles, permission):
                    raise Forbidden("您的角色不能執行此操作", f"your roles may not {permission.value}")
            if body is not None:
                g.body = parse(body, read_json_body())
            return idempotent(view, kwargs, spec.job_id_field)

        wrapped.spec = spec  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        return wrapped

    return decorate
