"""Imports as jobs at a school's size: rows per second from upload to the job's end, through the gateway.

    make bench BENCH=imports     (an isolated system; writes var/bench/imports.json)

A school of 2,000 students in 60 classes with 18 courses each is imported file by file (one file per
kind, as a registrar does), then the grades: 5,000 rows into an empty collection, the whole term's
30,000 of 15 courses (5,000 of them already there), 5,000 new rows of the other 3 courses once the
collection holds 30,000 (the same speed as the first 5,000 means imports do not slow as the
collection grows), and 5,000 of the 30,000 again with changed scores. Accounts: the
2,063-row file (2,000 students, 63 staff), seconds until its password sheet is ready.

Baselines in the same run: the same 30,000 grade documents written by plain `insert_many` into a
scratch collection of the same database (the storage floor any import must pay), so
`vs_plain_insert` reads as the import's overhead (checks, audit trail, events); and 5,000 of them
changed by plain updates on `_id`, the floor for changed rows (`changed_vs_plain_update` above 1:
the import's side-by-side commands beat one client's plain updates).
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import requests
from pymongo import UpdateOne

from deploy.seed_school import grades_of
from shared.mongo import make_client
from shared.national_id import with_check_digit
from shared.roles import Role
from tests.conftest import make_school
from tests.records.conftest import build_school
from tests.support.api import Client, login

CLASSES = 60
STUDENTS = 2000
SUBJECTS = 18
TERM_SUBJECTS = 15  # the 30,000-row file's; the other courses' grades are the new rows at 30,000


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    columns = list(dict.fromkeys(name for row in rows for name in row))  # staff rows have no 學生編號
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def run_import(client: Client, path: str, rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """POST the file (202 + the job), poll the job until it ends; seconds and rows/s from upload to end."""
    data = _csv(rows)
    began = time.perf_counter()
    response = client.post(path, files={"file": (f"{name}.csv", data, "text/csv")}, headers={"Prefer": ""})
    assert response.status_code == 202, response.text[:500]
    accepted = time.perf_counter() - began
    url = response.headers["Location"]
    seen: list[int] = []
    while True:
        try:
            polled = client.get(url)
        except requests.RequestException:  # a poll lost on a loaded machine: the job goes on, poll again
            continue
        if polled.status_code != 200:
            time.sleep(0.5)
            continue
        job = polled.json()
        seen.append(job.get("processed", job.get("hashed", 0)))
        if job["status"] in ("done", "rejected", "failed"):
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - began
    assert job["status"] == "done", str(job)[:800]
    return {
        "rows": len(rows),
        "bytes": len(data),
        "seconds": round(seconds, 2),
        "accepted_after_seconds": round(accepted, 2),
        "rows_per_second": round(len(rows) / seconds, 1),
        "progress_polls": len(seen),
        "progress_seen_mid_job": any(0 < s < len(rows) for s in seen),
        "job": {k: job[k] for k in ("inserted", "updated", "unchanged", "imported") if k in job},
    }


def _plain_baselines(system, docs: list[dict[str, Any]], changed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The storage floors: `docs` by plain `insert_many` into a scratch collection, then `changed` of
    them by plain `UpdateOne`s on `_id`, in commands of 50 one after another (what one client gets)."""
    settings = system.settings()
    client = make_client(settings)
    try:
        scratch = client[settings.database_name("records")]["bench_plain_insert"]
        scratch.drop()
        began = time.perf_counter()
        for start in range(0, len(docs), 1000):
            scratch.insert_many([dict(d) for d in docs[start : start + 1000]], ordered=True)
        inserted = time.perf_counter() - began
        ops = [UpdateOne({"_id": d["_id"]}, {"$set": {"學期學業成績": 99}}) for d in docs[-changed:]]
        began = time.perf_counter()
        for start in range(0, len(ops), 50):
            scratch.bulk_write(ops[start : start + 50], ordered=True)
        updated = time.perf_counter() - began
        scratch.drop()
    finally:
        client.close()
    return (
        {"rows": len(docs), "seconds": round(inserted, 2), "rows_per_second": round(len(docs) / inserted, 1)},
        {"rows": changed, "seconds": round(updated, 2), "rows_per_second": round(changed / updated, 1)},
    )


def bench_imports(system, district_password: str) -> dict[str, Any]:
    district = login(system.base_url, "", "district", district_password)
    rec = build_school(system, make_school(system, district, "IM0001", "匯入效能高中"), "im")
    registrar = rec.registrar
    year, term = rec.year, rec.term
    class_codes = [f"{1 + i // 20}{(i % 20) + 1:02d}" for i in range(CLASSES)]
    results: dict[str, Any] = {}

    staff = [
        {"帳號": f"t{n:03d}", "姓名": f"老師{n:03d}", "角色": "任課教師、導師", "班級": c} for n, c in enumerate(class_codes, start=1)
    ] + [{"帳號": f"staff{n}", "姓名": f"職員{n}", "角色": "教學組", "班級": ""} for n in range(3)]
    per_class = STUDENTS // CLASSES + 1
    students = [
        {
            "學號": f"s{class_codes[n // per_class]}{n % per_class + 1:02d}",
            "身分證號": with_check_digit(f"{'AB'[n % 2]}{1 + n % 2}{(7_000_000 + n):07d}"),
            "姓名": f"學生{n}",
            "出生日期": "2009-03-01",
            "性別": "1" if n % 2 == 0 else "2",
            "班級": class_codes[n // per_class],
            "座號": n % per_class + 1,
        }
        for n in range(STUDENTS)
    ]
    accounts = staff + [{"帳號": s["學號"], "姓名": s["姓名"], "角色": "學生", "班級": s["班級"], "學生編號": s["學號"]} for s in students]

    classes = [{"學年度": year, "班級代碼": c, "班級名稱": f"{c} 班"} for c in class_codes if c not in ("101", "102")]
    results["classes"] = run_import(registrar, "/api/v1/records/classes/import", classes, "classes")
    results["students"] = run_import(registrar, "/api/v1/records/students/import", students, "students")
    teacher = rec.ids[Role.TEACHER]
    courses = [
        {
            "學年度": year,
            "學期": term,
            "課程代碼": f"{year:03d}IM00011{c}00000{s:02d}0000"[:23],
            "課程名稱": f"科目{s}",
            "學分": 2,
            "開課班級": c,
            "任課教師帳號編號": teacher,
            "選修": "否",
        }
        for c in class_codes
        for s in range(1, SUBJECTS + 1)
    ]
    results["courses"] = run_import(rec.clients[Role.CURRICULUM], "/api/v1/records/courses/import", courses, "courses")
    term_courses = [c for c in courses if c["課程名稱"] in {f"科目{s}" for s in range(1, TERM_SUBJECTS + 1)}]
    grades = grades_of(year, term, students, term_courses)[:30000]
    other = [c for c in courses if c not in term_courses]
    results["grades_5000"] = run_import(registrar, "/api/v1/records/grades/import", grades[:5000], "grades-5000")
    results["grades_30000"] = run_import(registrar, "/api/v1/records/grades/import", grades, "grades-30000")
    new = grades_of(year, term, students, other)[:5000]
    results["grades_5000_new_at_30000"] = run_import(registrar, "/api/v1/records/grades/import", new, "grades-5000-new")
    changed = [{**g, "學期學業成績": 60 + int(g["學期學業成績"]) % 40, "採計學分": 2} for g in grades[-5000:]]  # passing: credits count
    results["grades_5000_changed"] = run_import(registrar, "/api/v1/records/grades/import", changed, "grades-5000-changed")
    results["accounts_2063"] = run_import(registrar, "/api/v1/accounts/import", accounts, "accounts")

    docs = [{**g, "school_id": "IM0001", "_id": f"plain-{n}"} for n, g in enumerate(grades)]
    baseline, update_baseline = _plain_baselines(system, docs, len(changed))
    grades30 = results["grades_30000"]["rows_per_second"]
    changed_rate = results["grades_5000_changed"]["rows_per_second"]
    return {
        "operations": sum(r["rows"] for r in results.values()),
        "imports": results,
        "baseline_plain_insert_30000": baseline,
        "vs_plain_insert": round(baseline["rows_per_second"] / grades30, 2) if grades30 else None,
        # FerretDB writes an update as its own statement and transaction: the floor for changed rows
        "baseline_plain_update_5000": update_baseline,
        "changed_vs_plain_update": round(changed_rate / update_baseline["rows_per_second"], 2),
        "goal_rows_per_second": 2000,
        "grades_5000_first_vs_at_30000": round(
            results["grades_5000_new_at_30000"]["rows_per_second"] / results["grades_5000"]["rows_per_second"], 2
        ),
    }
