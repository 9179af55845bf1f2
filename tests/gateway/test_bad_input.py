"""Bad input gets a problem+json 4xx in zh-TW and English, never a 500 or an HTML page."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from tests.support.api import assert_problem


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("GET", "/no/such/route", 404),
        ("GET", "/api/v1/nothing-here", 404),
        ("DELETE", "/api/v1/me", 405),
        ("PUT", "/api/v1/auth/login", 405),
    ],
)
def test_unknown_routes_and_methods(anonymous, method, path, status):
    assert_problem(anonymous.request(method, path), status)


@pytest.mark.parametrize(
    "kwargs,status",
    [
        ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400),  # syntax: 400; content: 422
        ({"data": "school_code=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415),
        ({"json": ["a", "list"]}, 422),
        ({"json": {"username": 7, "password": ["x"]}}, 422),
        ({"json": {"username": "a" * 65, "password": "x"}}, 422),
        ({"json": {"username": "u", "password": "p", "extra": 1}}, 422),
        ({"json": {}}, 422),
    ],
)
def test_malformed_login_bodies(anonymous, kwargs, status):
    body = assert_problem(anonymous.post("/api/v1/auth/login", **kwargs), status)
    if status == 422 and "errors" in body:
        assert all(e["message"] and e["message_en"] for e in body["errors"])


def test_oversized_body_is_refused(anonymous):
    assert_problem(anonymous.post("/api/v1/auth/login", data=b"x" * (13 * 1024 * 1024), headers={"Content-Type": "application/json"}), 413)


def test_field_errors_name_the_field_in_zh_tw(school_a):
    body = assert_problem(
        school_a.registrar.post("/api/v1/accounts", json={"username": "ok1", "display_name": "", "roles": ["teacher"]}), 422
    )
    assert body["errors"][0]["field"] == "display_name" and body["errors"][0]["message"] == "長度不足，至少 1 個字"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


FORGED_CLAIMS = {"sub": "x", "roles": ["registrar"], "school": "A00001", "aud": "licheng", "iss": "licheng-identity", "exp": 9999999999}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        f"Bearer {_b64({'alg': 'none'})}.{_b64(FORGED_CLAIMS)}.",
    ],
)
def test_bad_authorization_headers(anonymous, header):
    assert_problem(anonymous.get("/api/v1/me", headers={"Authorization": header}), 401)


def test_token_of_another_installation_is_refused(system, school_a):
    import jwt

    claims = jwt.decode(school_a.registrar.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-installation-secret-" * 2, algorithm="HS256")
    assert_problem(requests.get(system.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401)


def test_unicode_edge_cases_in_names(school_a):
    for name, status in (("𠀾𠁆 林", 201), ("a\u202eb", 422), ("e\u0301", 201)):
        username = f"uni{abs(hash(name)) % 100000}"
        response = school_a.registrar.post("/api/v1/accounts", json={"username": username, "display_name": name, "roles": ["student"]})
        assert response.status_code == status, response.text
    assert any(a["display_name"] == "\u00e9" for a in school_a.registrar.get("/api/v1/accounts", params={"per_page": 200}).json()["items"])
