"""Signed access tokens (JWT, HS256 pinned). Identity issues them; the gateway verifies them locally,
so a request costs no identity call.

Every token names its server-side session (`sid`). Access tokens are short-lived; the session behind
them lives on in identity (refresh for API clients, silent renewal for the browser cookie), and the
gateway refuses tokens of ended sessions from a revocation feed (gateway/sessions.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jwt

from shared.caller import Caller
from shared.errors import Unauthenticated
from shared.roles import Role

ALGORITHM = "HS256"  # the only algorithm we accept; never taken from the token header
ISSUER = "licheng-identity"


def issue_token(
    *, secret: str, audience: str, user: dict[str, Any], session_id: str, now: datetime, ttl_seconds: int
) -> tuple[str, datetime]:
    expires = now + timedelta(seconds=ttl_seconds)
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": user["_id"],
        "name": user["username"],
        "school": user.get("school_id"),
        "roles": sorted(user["roles"]),
        "student": user.get("student_id"),
        "sid": session_id,
        "mcp": bool(user.get("must_change_password", False)),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


class TokenExpired(Unauthenticated):
    """A genuine token past its expiry: the browser's session may still be renewed from it."""


def verify_token(token: str, *, secret: str, audience: str, request_id: str = "") -> Caller:
    return caller_from_claims(decode_token(token, secret=secret, audience=audience), request_id)


def decode_token(token: str, *, secret: str, audience: str, allow_expired: bool = False) -> dict[str, Any]:
    """The verified claims; `allow_expired` still checks the signature, audience and issuer."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"], "verify_exp": not allow_expired},
        )
        frozenset(Role(r) for r in claims.get("roles", []))
    except jwt.ExpiredSignatureError:
        raise TokenExpired("登入已逾時，請重新登入", "the session has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthenticated("登入憑證無效，請重新登入", "the token is invalid") from None
    return claims


def caller_from_claims(claims: dict[str, Any], request_id: str = "") -> Caller:
    try:
        roles = frozenset(Role(r) for r in claims.get("roles", []))
    except (ValueError, TypeError):
        raise Unauthenticated("登入憑證無效，請重新登入", "the token is invalid") from None
    school = claims.get("school")
    if school is not None and not isinstance(school, str):
        raise Unauthenticated("登入憑證無效，請重新登入", "the token is invalid")
    return Caller(
        user_id=str(claims["sub"]),
        username=str(claims.get("name", "")),
        school_id=school,
        roles=roles,
        request_id=request_id,
        student_id=claims.get("student"),
        session_id=str(claims.get("sid") or ""),
        must_change_password=claims.get("mcp") is True,
    )
