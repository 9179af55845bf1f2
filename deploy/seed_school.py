"""A school at a real school's size, built through the API as a registrar would: `make seed-school`.

2,000 students in 60 classes, 60 teachers (each the 導師 of one class and 任課教師 of its courses),
15 course offerings per class (900) and a grade per student and course (30,000), in the current semester.
Everything goes through the public API, one file per kind (imports run as jobs, followed to their end). Run against a running system
(`make up`); idempotent: a second run updates nothing it already has. The browser tests of daily work and
the benchmarks use it at this size; `--students 120 --classes 4` makes a small one.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time

import requests

from deploy.seed_demo import _login, _ok, semester_body
from shared.clock import to_taipei, utcnow
from shared.national_id import with_check_digit

SUBJECTS = (
    "國語文",
    "英語文",
    "數學",
    "物理",
    "化學",
    "生物",
    "地球科學",
    "歷史",
    "地理",
    "公民與社會",
    "音樂",
    "美術",
    "體育",
    "資訊科技",
    "生活科技",
)


def _csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _import(session: requests.Session, url: str, rows: list[dict[str, object]], what: str) -> None:
    """One file per kind, as a registrar uploads it: the import is a job (202), followed until it ends."""
    began = time.monotonic()
    response = session.post(url, files={"file": (f"{what}.csv", _csv(rows), "text/csv")}, timeout=600)
    job = response.json() if response.headers.get("Content-Type", "").startswith("application/") else {}
    if response.status_code not in (200, 202):
        raise SystemExit(f"seed-school: {what}: {response.status_code} {job.get('errors', [])[:3] or response.text[:300]}")
    base = url.split("/api/", 1)[0]
    while job.get("status") not in ("done", "rejected", "failed"):
        time.sleep(0.5)
        polled = session.get(base + job["url"], timeout=60)
        if polled.status_code == 200:
            job = polled.json()
    if job["status"] != "done":
        raise SystemExit(f"seed-school: {what}: {job['status']} {job.get('errors', [])[:3]}")
    print(f"  {what}: {len(rows)} rows ({time.monotonic() - began:.1f} s)", flush=True)


def grades_of(year: int, term: int, students: list[dict], courses: list[dict]) -> list[dict[str, object]]:
    """A grade for every student in every course of their class; about a fifth fail (no credits)."""
    by_class: dict[str, list[dict]] = {}
    for course in courses:
        by_class.setdefault(str(course["開課班級"]), []).append(course)
    return [
        {
            "學年度": year,
            "學期": term,
            "學號": student["學號"],
            "課程代碼": course["課程代碼"],
            "開課班級": student["班級"],
            "學期學業成績": 45 + (i * 7 + j * 13) % 55,
            "採計學分": 2 if 45 + (i * 7 + j * 13) % 55 >= 60 else 0,
        }
        for i, student in enumerate(students)
        for j, course in enumerate(by_class[str(student["班級"])])
    ]


def seed_school(base: str, district_password: str, code: str, students: int, classes: int, subjects: int, all_accounts: bool) -> None:
    password = district_password
    district = _login(base, "", "district", district_password)
    _ok(district.post(f"{base}/api/v1/schools", json={"code": code, "name": "規模測試高級中學"}), 409)
    _ok(
        district.post(
            f"{base}/api/v1/schools/{code}/registrars", json={"username": "registrar", "display_name": "註冊組長", "password": password}
        ),
        409,
    )
    registrar = _login(base, code, "registrar", password)
    today = to_taipei(utcnow()).date()
    semester = semester_body(today)
    year, term = semester["year"], semester["term"]
    _ok(registrar.post(f"{base}/api/v1/records/semesters", json=semester), 409)
    class_codes = [f"{1 + i // 20}{(i % 20) + 1:02d}" for i in range(classes)]  # 101..120, 201..220, 301..320

    staff = [
        {"帳號": f"t{n:03d}", "姓名": f"{'陳林黃張李王吳劉蔡楊'[n % 10]}老師{n:03d}", "角色": "任課教師、導師", "班級": c, "密碼": password}
        for n, c in enumerate(class_codes, start=1)
    ] + [
        {"帳號": u, "姓名": name, "角色": role, "班級": "", "密碼": password}
        for u, name, role in (
            ("curriculum", "教學組長", "教學組"),
            ("guidance", "輔導老師", "輔導室"),
            ("discipline", "生輔組長", "生輔組"),
            ("activities", "訓育組長", "訓育組"),
            ("counselor", "課諮老師", "課程諮詢教師"),
            ("workgroup", "教務主任", "工作小組"),
        )
    ]
    existing = {a["username"] for a in _accounts(base, registrar)}
    new_staff = [row for row in staff if row["帳號"] not in existing]
    if new_staff:
        _import(registrar, f"{base}/api/v1/accounts/import", new_staff, "staff accounts")
    ids = {a["username"]: a["id"] for a in _accounts(base, registrar)}

    class_rows = [
        {"學年度": year, "班級代碼": c, "班級名稱": f"{c} 班", "導師帳號編號": ids[f"t{n:03d}"]} for n, c in enumerate(class_codes, start=1)
    ]
    _import(registrar, f"{base}/api/v1/records/classes/import", class_rows, "classes")
    per_class = -(-students // classes)
    student_rows = []
    for n in range(students):
        c = class_codes[n // per_class]
        seat = n % per_class + 1
        student_rows.append(
            {
                "學號": f"s{c}{seat:02d}",
                "身分證號": with_check_digit(f"{'AB'[n % 2]}{1 + n % 2}{(7_000_000 + n):07d}"),
                "姓名": f"{'陳林黃張李王吳劉蔡楊'[n % 10]}{'怡志家雅俊宜承冠'[n % 8]}{'婷豪瑋安廷涵'[n % 6]}",
                "出生日期": f"{2009 - int(c[0]) + 1}-0{1 + n % 9}-1{n % 9}",
                "性別": "1" if n % 2 == 0 else "2",
                "班級": c,
                "座號": seat,
            }
        )
    _import(registrar, f"{base}/api/v1/records/students/import", student_rows, "students")

    curriculum = _login(base, code, "curriculum", password)
    course_rows = []
    for n, c in enumerate(class_codes, start=1):
        for s, subject in enumerate(SUBJECTS[:subjects], start=1):
            course_rows.append(
                {
                    "學年度": year,
                    "學期": term,
                    "課程代碼": f"{year:03d}{code}1{c}00000{s:02d}0000"[:23].ljust(23, "0"),
                    "課程名稱": subject,
                    "學分": 2,
                    "開課班級": c,
                    "任課教師帳號編號": ids[f"t{(n + s - 2) % len(class_codes) + 1:03d}"],
                    "選修": "否",
                }
            )
    _import(curriculum, f"{base}/api/v1/records/courses/import", course_rows, "courses")

    grade_rows = grades_of(year, term, student_rows, course_rows)
    _import(registrar, f"{base}/api/v1/records/grades/import", grade_rows, "grades")

    wanted = student_rows if all_accounts else [s for s in student_rows if s["座號"] == 1]
    existing = {a["username"] for a in _accounts(base, registrar)}
    accounts = [
        {"帳號": s["學號"], "姓名": s["姓名"], "角色": "學生", "班級": s["班級"], "學生編號": s["學號"], "密碼": password}
        for s in wanted
        if s["學號"] not in existing
    ]
    if accounts:
        _import(registrar, f"{base}/api/v1/accounts/import", accounts, "student accounts")
    print(
        f"seed-school: {code} with {len(student_rows)} students in {len(class_codes)} classes, {len(staff)} staff, "
        f"{len(course_rows)} courses, {len(grade_rows)} grades; log in as registrar / t001 / {wanted[0]['學號']} with the district password"
    )


def _accounts(base: str, registrar: requests.Session) -> list[dict]:
    out: list[dict] = []
    page = 1
    while True:
        data = _ok(registrar.get(f"{base}/api/v1/accounts", params={"page": page, "per_page": 200})).json()
        out += data["items"]
        if len(data["items"]) < 200:
            return out
        page += 1


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=os.environ.get("LICHENG_PUBLIC_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--school", default="990010")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--subjects", type=int, default=15, help="course offerings per class")
    parser.add_argument("--all-student-accounts", action="store_true", help="a login for every student (slow: one password hash each)")
    args = parser.parse_args(argv)
    password = os.environ.get("LICHENG_DEMO_PASSWORD")
    if not password:
        raise SystemExit("seed-school: set LICHENG_DEMO_PASSWORD (make seed-school reads it from var/secrets.env)")
    seed_school(args.base, password, args.school, args.students, args.classes, args.subjects, args.all_student_accounts)


if __name__ == "__main__":
    main(sys.argv[1:])
