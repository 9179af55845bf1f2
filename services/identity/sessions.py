"""Server-side sessions: identity's record of every login, the refresh secret, and the ended-sessions feed.

A session starts at login and ends on logout, "log out everywhere", an idle timeout, its absolute
lifetime, or when the account changes under it (disabled, password reset or changed, roles changed,
the student archived). Access tokens name their session (`sid`) and live minutes; the gateway learns
which sessions ended from `ended_since()` (a feed it polls), so no request waits on identity.

Documents (collection `sessions`, one per login, kept after they end for the list and the audit):
    _id (the session id), school_id (or _district), account_id, created_at, last_seen_at,
    expires_at (absolute), address, user_agent, refresh_hash, ended_at, end_reason
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

# Why a session ended, as the audit records it ("session.end" with this note).
END_REASONS = (
    "logout",
    "logout_everywhere",
    "ended_by_user",
    "idle",
    "expired",
    "disabled",
    "roles_changed",
    "password_reset",
    "password_changed",
    "archived",
)


def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def refresh_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_refresh_token(token: Any) -> tuple[str, str] | None:
    """A refresh token is `<session id>.<secret>`; anything else is not one."""
    if not isinstance(token, str) or token.count(".") != 1:
        return None
    session_id, secret = token.split(".")
    if not (16 <= len(session_id) <= 64 and session_id.isalnum() and 16 <= len(secret) <= 128):
        return None
    return session_id, secret


def refresh_matches(doc: dict[str, Any], secret: str) -> bool:
    return hmac.compare_digest(doc.get("refresh_hash") or "", refresh_hash(secret))


def why_over(doc: dict[str, Any], now: datetime, idle_seconds: int) -> str | None:
    """Why a session that has not been ended explicitly is over anyway (None: it is alive)."""
    if doc.get("ended_at") is not None:
        return doc.get("end_reason") or "ended"
    if doc["expires_at"] <= now:
        return "expired"
    if doc["last_seen_at"] + timedelta(seconds=idle_seconds) <= now:
        return "idle"
    return None


def client_of(client: Any) -> tuple[str, str]:
    """The source address and user agent as the gateway reported them (trimmed, printable)."""
    if not isinstance(client, dict):
        return "", ""
    address = str(client.get("address") or "")[:64]
    agent = "".join(ch for ch in str(client.get("user_agent") or "") if ch.isprintable())[:200]
    return address, agent
