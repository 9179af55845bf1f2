"""Seed a demo district through the gateway API, the way its users would (idempotent).

Two schools; in each, a registrar and one account per unit role, homeroom classes and students.
Prints the gateway URL and the demo logins. The demo password exists only in this local run's
`var/secrets.env`; nothing here is a built-in login.
"""

from __future__ import annotations

import os
import sys

import requests

from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from shared.config import load_settings
from shared.mongo import make_client

DEMO_SCHOOLS = (("990001", "示範高級中學"), ("990002", "範例高級中學"))
# (username, display name, roles, class)
DEMO_STAFF = (
    ("curriculum", "教學組長", ["curriculum"], None),
    ("guidance", "輔導老師", ["guidance"], None),
    ("counselor", "課諮老師", ["counselor", "teacher"], None),
    ("discipline", "生輔組長", ["discipline"], None),
    ("activities", "訓育組長", ["activities"], None),
    ("contest", "競賽承辦人", ["contest_organizer"], None),
    ("homeroom101", "101 導師", ["homeroom", "teacher"], "101"),
    ("homeroom102", "102 導師", ["homeroom", "teacher"], "102"),
    ("teacher", "國文老師", ["teacher"], None),
    ("workgroup", "教務主任", ["working_group"], None),
)
DEMO_STUDENTS = tuple((f"s{c}{n:02d}", f"{c} 班 {n} 號", ["student"], c) for c in ("101", "102") for n in range(1, 4))


def _ok(response: requests.Response, *allowed: int) -> requests.Response:
    if response.status_code not in (200, 201, *allowed):
        raise SystemExit(f"seed failed: {response.request.method} {response.url}: {response.status_code} {response.text[:300]}")
    return response


def _login(base: str, school: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    token = _ok(session.post(f"{base}/api/v1/auth/login", json={"school_code": school, "username": username, "password": password})).json()[
        "token"
    ]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def seed(base: str, password: str) -> None:
    settings = load_settings()
    client = make_client(settings)
    store = IdentityStore(client[settings.database_name("identity")])
    store.ensure_indexes()
    ensure_district_admin(store, "district", password)
    client.close()

    district = _login(base, "", "district", password)
    for code, name in DEMO_SCHOOLS:
        _ok(district.post(f"{base}/api/v1/schools", json={"code": code, "name": name}), 409)
        _ok(
            district.post(
                f"{base}/api/v1/schools/{code}/registrars", json={"username": "registrar", "display_name": "註冊組長", "password": password}
            ),
            409,
        )
        registrar = _login(base, code, "registrar", password)
        for username, display, roles, class_code in DEMO_STAFF + DEMO_STUDENTS:
            body = {"username": username, "display_name": display, "roles": roles, "password": password}
            if class_code:
                body["class_code"] = class_code
            _ok(registrar.post(f"{base}/api/v1/accounts", json=body), 409)


def print_logins(base: str, password: str) -> None:
    print(f"\n歷程 Licheng is running: {base}/\n")
    print(f"Demo logins (password for all: {password})")
    print("  district admin: school code empty, username 'district'")
    for code, name in DEMO_SCHOOLS:
        staff = ", ".join(["registrar"] + [u for u, *_ in DEMO_STAFF])
        students = ", ".join(u for u, *_ in DEMO_STUDENTS)
        print(f"  {name} (school code {code}): {staff}; students {students}")


def main() -> int:
    base = os.environ.get("LICHENG_PUBLIC_URL", "http://127.0.0.1:8080")
    password = os.environ.get("LICHENG_DEMO_PASSWORD", "")
    if not password:
        print("LICHENG_DEMO_PASSWORD is not set (make up generates it into var/secrets.env)", file=sys.stderr)
        return 2
    seed(base, password)
    print_logins(base, password)
    return 0


if __name__ == "__main__":
    sys.exit(main())
