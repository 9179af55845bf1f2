"""Benchmark: import 2,000 students through the gateway, against real servers (not a timed test).

    eval "$(deploy/native/infra.sh env)" && var/venv/bin/python -m tests.records.bench_import

Starts its own isolated system (as the tests do), creates a school, a semester and the classes, then
posts one CSV of 2,000 students to POST /api/v1/records/students/import and measures:
- the first import (2,000 inserted: validation, encryption, keyed hashes, audit, events),
- the same file again (2,000 unchanged: the idempotent path),
- the baseline: the same rows through the validation only (a file with one bad row, rejected before writing),
and polls the import job while the first import runs to show progress is visible.
Writes var/bench/records-import.json.
"""

from __future__ import annotations

import json
import secrets
import threading
import time

from shared.national_id import with_check_digit
from tests.bench.harness import bench_system, write_result
from tests.support.api import login

STUDENTS = 2000
HEADER = "學號,身分證號,姓名,出生日期,性別,班級,座號,學籍狀態"


def students_csv(n: int) -> bytes:
    lines = [HEADER]
    for i in range(n):
        class_code = f"1{(i // 40) % 20 + 1:02d}" if i < 800 else f"2{(i // 40) % 20 + 1:02d}" if i < 1600 else f"3{(i // 40) % 10 + 1:02d}"
        lines.append(
            f"B{i:05d},{with_check_digit(f'B{1 + i % 2}{i:07d}')},學生{i},0980{i % 9 + 1}15,{1 + i % 2},{class_code},{i % 40 + 1},在學"
        )
    return ("\n".join(lines) + "\n").encode()


def post_file(client, data: bytes, form: dict | None = None):
    return client.session.post(
        client.base_url + "/api/v1/records/students/import",
        files={"file": ("students.csv", data)},
        data=form or {},
        headers={"Authorization": f"Bearer {client.token}"},
        timeout=600,
    )


def main() -> int:
    with bench_system() as (system, password):
        district = login(system.base_url, "", "district", password)
        assert district.post("/api/v1/schools", json={"code": "BENCH1", "name": "效能高中"}).status_code == 201
        registrar_password = "Bench-" + secrets.token_urlsafe(8)
        district.post(
            "/api/v1/schools/BENCH1/registrars", json={"username": "registrar", "display_name": "註冊組", "password": registrar_password}
        )
        registrar = login(system.base_url, "BENCH1", "registrar", registrar_password)
        data = students_csv(STUDENTS)  # 7-digit ROC birth dates
        progress: list[dict] = []
        done = threading.Event()

        def poll() -> None:
            watcher = login(system.base_url, "BENCH1", "registrar", registrar_password)
            while not done.is_set():
                try:
                    response = watcher.get("/api/v1/records/imports/bench-first-import")
                except OSError:
                    return
                if response.status_code == 200:
                    body = response.json()
                    progress.append(
                        {"t": round(time.perf_counter() - started, 3), "processed": body["processed"], "status": body["status"]}
                    )
                time.sleep(0.2)

        started = time.perf_counter()
        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        first = post_file(registrar, data, {"import_id": "bench-first-import"})
        first_seconds = time.perf_counter() - started
        done.set()
        assert first.status_code == 200, first.text[:500]
        started = time.perf_counter()
        again = post_file(registrar, data)
        again_seconds = time.perf_counter() - started
        assert again.json()["unchanged"] == STUDENTS, again.text[:300]
        bad = data.rsplit(b"\n", 2)[0] + b"\nBAD,A123456788,x,0980115,1,101,1,\xe5\x9c\xa8\xe5\xad\xb8\n"
        started = time.perf_counter()
        rejected = post_file(registrar, bad)
        validate_seconds = time.perf_counter() - started
        assert rejected.status_code == 422
        result = {
            "benchmark": "records student import through the gateway (CSV, real servers)",
            "students": STUDENTS,
            "first_import_seconds": round(first_seconds, 2),
            "first_import_rows_per_second": round(STUDENTS / first_seconds, 1),
            "reimport_unchanged_seconds": round(again_seconds, 2),
            "validation_only_seconds": round(validate_seconds, 2),
            "ratio_first_import_to_validation_only": round(first_seconds / validate_seconds, 2),
            "counts": {k: first.json()[k] for k in ("inserted", "updated", "unchanged")},
            "progress_samples": progress[:50],
        }
        write_result("records-import", result)
        print(json.dumps({k: v for k, v in result.items() if k != "progress_samples"}, ensure_ascii=False, indent=2))
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
