"""Invitation codes for parents (no I/O): how a code looks, is typed, is hashed and ages.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), printed in groups of
four (K7QM-3XPA-9RTC); typing ignores case, spaces and dashes. 31^12 is about 2^59: with the address
throttle of failed logins, single use and 30 days of life, guessing is hopeless. Only a keyed hash is
stored (LICHENG_FIELD_KEY), so a copy of the database alone does not let anyone try codes offline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12

STATE_NAMES = {"pending": "未使用", "used": "已使用", "expired": "已逾期", "revoked": "已撤銷"}
# Why a code is refused, zh-TW and English, by the invitation's state.
REFUSALS = {
    "used": ("此邀請碼已使用過；如需再加入，請洽註冊組重新產生", "the code was used already"),
    "expired": ("此邀請碼已逾期；請洽註冊組重新產生", "the code has expired"),
    "revoked": ("此邀請碼已由註冊組撤銷；請洽註冊組", "the code was revoked by the registrar"),
}


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str:
    """The code as stored from what a person typed ('' when it cannot be one)."""
    code = "".join(c for c in str(typed).upper() if c not in " -\t")
    return code if len(code) == LENGTH and all(c in ALPHABET for c in code) else ""


def shown(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_hash(secret: str, code: str) -> str:
    if not secret:
        raise RuntimeError("LICHENG_FIELD_KEY is not set")
    key = hmac.new(secret.encode(), b"licheng/guardian-invitation/v1", hashlib.sha256).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the store keeps UTC


def state_of(doc: dict[str, Any], now: datetime) -> str:
    if doc.get("used_at") is not None:
        return "used"
    if doc.get("revoked_at") is not None:
        return "revoked"
    if _aware(doc["expires_at"]) <= now:
        return "expired"
    return "pending"
