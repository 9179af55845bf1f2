"""Create the district admin account if it is missing: `python -m services.identity.bootstrap USERNAME`.

The password comes from LICHENG_DISTRICT_ADMIN_PASSWORD. This is how an installation gets its first
account; everything else is created through the API by the people who own it.
"""

from __future__ import annotations

import os
import sys

from services.identity import domain
from services.identity.passwords import hash_password
from services.identity.store import IdentityStore
from shared.audit import DISTRICT
from shared.clock import utcnow
from shared.config import load_settings
from shared.mongo import make_client
from shared.roles import Role


def ensure_district_admin(store: IdentityStore, username: str, password: str, display_name: str = "縣市管理者") -> bool:
    """True when the account was created, False when it already existed."""
    if store.find_by_username(DISTRICT, username) is not None:
        return False
    domain.check_password_policy(username, password)
    store.insert_account(
        {
            "_id": domain.new_id(),
            "school_id": DISTRICT,
            "username": username,
            "username_key": username.lower(),
            "display_name": display_name,
            "roles": [Role.DISTRICT_ADMIN.value],
            "class_code": None,
            "student_id": None,
            "password_hash": hash_password(password),
            "disabled": False,
            "must_change_password": False,
            "created_at": utcnow(),
        }
    )
    store.audit.record(DISTRICT, None, "account.bootstrap", username)
    return True


def main(argv: list[str]) -> int:
    password = os.environ.get("LICHENG_DISTRICT_ADMIN_PASSWORD", "")
    if len(argv) != 1 or not password:
        print("usage: LICHENG_DISTRICT_ADMIN_PASSWORD=... python -m services.identity.bootstrap USERNAME", file=sys.stderr)
        return 2
    settings = load_settings()
    client = make_client(settings)
    store = IdentityStore(client[settings.database_name("identity")])
    store.ensure_indexes()
    created = ensure_district_admin(store, argv[0], password)
    print("created" if created else "exists")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
