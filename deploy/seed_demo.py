"""Seed a demo district through the gateway API, the way its users would (idempotent).

Two schools; in each, a registrar and one account per unit role, homeroom classes and students.
Prints the gateway URL and the demo logins. The demo password exists only in this local run's
`var/secrets.env`; nothing here is a built-in login.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta

import requests

from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from shared.clock import to_taipei, utcnow
from shared.config import load_settings
from shared.mongo import make_client
from shared.national_id import with_check_digit

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
    """Logs in; a demo account's first login makes the published demo password its own (otherwise the
    account could do nothing but change it)."""
    session = requests.Session()
    result = _ok(session.post(f"{base}/api/v1/auth/login", json={"school_code": school, "username": username, "password": password})).json()
    token = result["token"]
    if result["account"]["must_change_password"]:
        body = {"current_password": password, "new_password": password}
        token = _ok(session.put(f"{base}/api/v1/me/password", json=body, headers={"Authorization": f"Bearer {token}"})).json()["token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def seed(base: str, password: str) -> None:
    settings = load_settings()
    client = make_client(settings)
    store = IdentityStore(client[settings.database_name("identity")])
    store.ensure_indexes()
    ensure_district_admin(store, "district", password)
    client.close()

    seed_schools(base, _login(base, "", "district", password), password)


def seed_schools(base: str, district: requests.Session, password: str) -> None:
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
            if "student" in roles:
                body["student_id"] = username  # links the account to its 學籍 record (records service)
            if _ok(registrar.post(f"{base}/api/v1/accounts", json=body), 409).status_code == 201:
                _login(base, code, username, password)
        seed_records(base, code, password, registrar)
        seed_national_credentials(base, code, registrar)
        seed_working_group(base, registrar)


def seed_national_credentials(base: str, school: str, registrar: requests.Session) -> None:
    """The simulator's credential and receipt password for this school, so the demo upload works."""
    from deploy.national_sim.config import SimSettings

    sim = SimSettings()
    body = {"token": sim.bearer_token(school), "receipt_password": sim.receipt_password(school)}
    _ok(registrar.put(f"{base}/api/v1/national/credentials", json=body))


def current_semester(today: date) -> tuple[int, int, date, date]:
    """(ROC academic year, term, first day, last day) of the semester containing today (year starts 1 August)."""
    if today.month >= 8:
        return today.year - 1911, 1, date(today.year, 8, 1), date(today.year + 1, 1, 31)
    if today.month == 1:
        return today.year - 1912, 1, date(today.year - 1, 8, 1), date(today.year, 1, 31)
    return today.year - 1912, 2, date(today.year, 2, 1), date(today.year, 7, 31)


def semester_body(today: date, national_deadlines: dict[str, str] | None = None) -> dict:
    """The semester containing today as the registrar enters it: 休業式 ten days before its end and, unless
    given, national deadlines (名冊別 1 學生資料, 2 成績, 25 多元表現, 26 課程學習成果) 45 days after it
    (the school's internal deadline is two weeks before each)."""
    year, term, starts, ends = current_semester(today)
    return {
        "year": year,
        "term": term,
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "closing_ceremony": (ends - timedelta(days=10)).isoformat(),
        "national_deadlines": national_deadlines or {k: (ends + timedelta(days=45)).isoformat() for k in ("1", "2", "25", "26")},
    }


def seed_records(base: str, school: str, password: str, registrar: requests.Session) -> None:
    """The records a demo needs: this semester, classes 101/102 with their homeroom teachers, students, courses."""
    accounts = _ok(registrar.get(f"{base}/api/v1/accounts", params={"per_page": 200})).json()["items"]
    ids = {a["username"]: a["id"] for a in accounts}
    today = to_taipei(utcnow()).date()
    semester = semester_body(today)
    year, term = semester["year"], semester["term"]
    _ok(registrar.post(f"{base}/api/v1/records/semesters", json=semester), 409)
    for code in ("101", "102"):
        body = {"year": year, "code": code, "name": f"{code} 班", "homeroom_teacher_id": ids.get(f"homeroom{code}")}
        _ok(registrar.post(f"{base}/api/v1/records/classes", json={k: v for k, v in body.items() if v}))
    school_digit = DEMO_SCHOOLS.index(next(s for s in DEMO_SCHOOLS if s[0] == school))
    for n, (username, display, _roles, class_code) in enumerate(DEMO_STUDENTS, start=1):
        gender = "1" if n % 2 else "2"
        student = {
            "student_id": username,
            "national_id": with_check_digit(f"Z{gender}{school_digit}99{n:04d}"),  # demo IDs, valid checksums
            "name": display,
            "birth_date": date(today.year - 16, (n % 12) + 1, 10).isoformat(),
            "gender": gender,
            "class_code": class_code,
            "seat_no": int(username[-2:]),
        }
        _ok(registrar.post(f"{base}/api/v1/records/students", json=student), 409)
    curriculum = _login(base, school, "curriculum", password)
    courses = (  # (課程代碼 23 chars, 名稱, 學分, 班級, 教師, 選修)
        (f"{year}{school}10100000000001", "國語文", 4, "101", "teacher", False),
        (f"{year}{school}10100000000002", "數學", 4, "101", "homeroom101", False),
        (f"{year}{school}10100000000003", "國語文", 4, "102", "teacher", False),
        (f"{year}{school}10100000000004", "英語文", 4, "102", "homeroom102", False),
        (f"{year}{school}10100000000005", "探究與實作", 2, "101", "counselor", True),
    )
    for code, name, credits, class_code, teacher, elective in courses:
        body = {
            "year": year,
            "term": term,
            "code": code,
            "name": name,
            "credits": credits,
            "class_code": class_code,
            "teacher_ids": [ids[teacher]] if teacher in ids else [],
            "elective": elective,
        }
        _ok(curriculum.post(f"{base}/api/v1/records/courses", json=body))
    elective = courses[-1]
    for username in ("s10101", "s10102"):
        selection = {"year": year, "term": term, "student_id": username, "course_code": elective[0], "course_class": elective[3]}
        _ok(curriculum.post(f"{base}/api/v1/records/selections", json=selection))
        if "counselor" in ids:
            assignment = {"counselor_id": ids["counselor"], "student_id": username}
            _ok(registrar.post(f"{base}/api/v1/records/counsellor_assignments", json=assignment))


def seed_working_group(base: str, registrar: requests.Session) -> None:
    """The 工作小組 by position; the 'workgroup' account is the executive secretary. Reruns: seats are taken (409)."""
    accounts = _ok(registrar.get(f"{base}/api/v1/accounts", params={"per_page": 200})).json()["items"]
    ids = {a["username"]: a["id"] for a in accounts}
    year_starts = date(current_semester(to_taipei(utcnow()).date())[0] + 1911, 8, 1)  # the academic year's first day
    members = (
        ("principal", "校長", None, ""),
        ("academic_director", "教務主任", "workgroup", ""),
        ("guidance_director", "輔導主任", None, ""),
        ("student_affairs_director", "學務主任", None, ""),
        ("registration_head", "註冊組長", "registrar", ""),
        ("instruction_head", "教學組長", "curriculum", ""),
        ("activities_head", "訓育組長", "activities", ""),
        ("counselor_representative", "課諮老師", "counselor", ""),
        ("subject_chair", "國文老師", "teacher", "國文"),
        ("parent_representative", "家長代表", None, ""),
        ("student_representative", "學生代表", None, ""),
    )
    for position, name, username, subject in members:
        body = {"position": position, "name": name, "subject": subject, "term_starts": year_starts.isoformat()}
        if username and username in ids:
            body["account_id"] = ids[username]
        _ok(registrar.post(f"{base}/api/v1/working-group/members", json=body), 409)


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
