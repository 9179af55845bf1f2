"""Token verification refuses every tampered, expired, unsigned or misdirected token."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.errors import Unauthenticated
from shared.tokens import issue_token, verify_token

SECRET = "s" * 48
USER = {"_id": "u1", "username": "alice", "school_id": "A00001", "roles": ["teacher"], "student_id": None}


def _token(now: datetime | None = None, ttl: int = 600, audience: str = "licheng") -> str:
    token, _ = issue_token(secret=SECRET, audience=audience, user=USER, session_id="s1", now=now or datetime.now(UTC), ttl_seconds=ttl)
    return token


def test_valid_token_gives_the_caller():
    caller = verify_token(_token(), secret=SECRET, audience="licheng")
    assert caller.user_id == "u1" and caller.school_id == "A00001" and {str(r) for r in caller.roles} == {"teacher"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _alg_none() -> str:
    payload = jwt.decode(_token(), options={"verify_signature": False})
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."


def _tampered() -> str:
    header, payload, signature = _token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["registrar"]
    return f"{header}.{_b64(claims)}.{signature}"


def _other_algorithm() -> str:
    payload = jwt.decode(_token(), options={"verify_signature": False})
    return jwt.encode(payload, SECRET, algorithm="HS512")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: _token(now=datetime.now(UTC) - timedelta(hours=2), ttl=60), id="expired"),
        pytest.param(lambda: _token(audience="elsewhere"), id="wrong-audience"),
        pytest.param(_alg_none, id="alg-none"),
        pytest.param(_tampered, id="tampered"),
        pytest.param(_other_algorithm, id="hs512-not-pinned"),
        pytest.param(lambda: jwt.encode({"sub": "u1"}, SECRET, algorithm="HS256"), id="missing-claims"),
        pytest.param(lambda: "not.a.token", id="garbage"),
        pytest.param(
            lambda: jwt.encode(
                {**jwt.decode(_token(), options={"verify_signature": False}), "roles": ["emperor"]}, SECRET, algorithm="HS256"
            ),
            id="unknown-role",
        ),
    ],
)
def test_bad_tokens_are_refused(make):
    with pytest.raises(Unauthenticated):
        verify_token(make(), secret=SECRET, audience="licheng")


def test_token_signed_with_another_secret_is_refused():
    token, _ = issue_token(secret="x" * 48, audience="licheng", user=USER, session_id="s", now=datetime.now(UTC), ttl_seconds=60)
    with pytest.raises(Unauthenticated):
        verify_token(token, secret=SECRET, audience="licheng")
