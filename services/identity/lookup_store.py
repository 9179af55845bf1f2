"""Staff look-ups for pickers (queries): a person is chosen by name, never typed as an account id.

Only what a picker shows leaves identity (id, display name, roles, class); never a username of a
student, a hash or a flag. Queries are bounded (at most `LIMIT` suggestions) and always name the school.
"""

from __future__ import annotations

import re
from typing import Any

from services.identity.domain import NOT_STAFF, is_staff
from services.identity.store import IdentityStore
from shared.roles import ROLE_NAMES_ZH, Role

LIMIT = 20
MAX_USERNAMES = 5000  # a school's staff, many times over


def _suggestion(doc: dict[str, Any]) -> dict[str, Any]:
    roles = sorted(doc.get("roles", []))
    names = "、".join(ROLE_NAMES_ZH.get(Role(r), r) for r in roles if r in Role._value2member_map_)
    name = doc.get("display_name") or doc.get("username", "")
    return {"id": doc["_id"], "name": name, "label": f"{name}（{names}）" if names else name, "roles": roles}


def staff(store: IdentityStore, school_id: str, q: str = "", role: str | None = None, ids: list[str] | None = None) -> list[dict]:
    """Enabled staff whose display name or username contains `q` (or the named ids, to show stored values)."""
    filter_: dict[str, Any] = {"roles": {"$nin": sorted(NOT_STAFF)}}
    if ids:
        filter_ = {"_id": {"$in": [i for i in ids if isinstance(i, str)][:200]}}
    else:
        filter_["disabled"] = {"$ne": True}
        if role:
            filter_["roles"] = role
        needle = (q or "").strip()[:40]
        if needle:
            pattern = re.escape(needle)
            filter_["$or"] = [{"display_name": {"$regex": pattern, "$options": "i"}}, {"username_key": {"$regex": pattern.lower()}}]
    docs = store.accounts.find(
        school_id,
        filter_,
        projection={"display_name": 1, "username": 1, "roles": 1},
        sort=[("display_name", 1)],
        limit=200 if ids else LIMIT,
    )
    return [_suggestion(d) for d in docs if is_staff(d)]


def staff_by_username(store: IdentityStore, school_id: str, usernames: list[str]) -> dict[str, str]:
    """Username (as typed, any case) -> account id, for enabled staff of the school: an import file names
    teachers by the 帳號 the school knows; unknown, disabled or student accounts are simply absent."""
    keys = sorted({u.strip().lower() for u in usernames if isinstance(u, str) and u.strip()})[:MAX_USERNAMES]
    if not keys:
        return {}
    docs = store.accounts.find(
        school_id,
        {"username_key": {"$in": keys}, "disabled": {"$ne": True}},
        projection={"username_key": 1, "roles": 1},
    )
    return {d["username_key"]: d["_id"] for d in docs if is_staff(d)}
