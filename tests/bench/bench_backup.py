"""Backup and restore of a seeded school: how long a verified backup, its S3 copy and a restore take,
and how big the backup is. Baseline in the same run: one plain read of every document and every
object version (what any backup must at least do), so `backup_vs_plain_read` reads as overhead.

    python -m tests.bench.run backup     (an isolated system; writes var/bench/backup.json)

Seeds through the API like users: students, clubs and attendance imported, one 100 KB proof file per
student uploaded by 訓育組 (BENCH_BACKUP_STUDENTS students, default 300).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from services.backup import engine
from shared.mongo import make_client
from shared.roles import Role
from shared.s3 import make_s3_client
from tests.conftest import make_school
from tests.records.conftest import build_school, national_id
from tests.support.api import login
from tests.support.s3 import remove_buckets
from tests.support.system import wait_until

STUDENTS = int(os.environ.get("BENCH_BACKUP_STUDENTS", "300"))
FILE_BYTES = 100 * 1024


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    return ("\n".join(",".join(str(v) for v in row) for row in [header, *rows]) + "\n").encode()


def _import(client, key: str, data: bytes) -> None:
    response = client.post(f"/api/v1/records/{key}/import", files={"file": (f"{key}.csv", data, "text/csv")})
    assert response.status_code == 200 and response.json()["status"] == "done", response.text[:500]


def _seed(system, district_password: str):
    district = login(system.base_url, "", "district", district_password)
    rec = build_school(system, make_school(system, district, "BK0001", "備份效能高中"), "bk")
    ids = [f"K{n:04d}" for n in range(STUDENTS)]
    _import(
        rec.registrar,
        "students",
        _csv(
            ["學號", "身分證號", "姓名", "出生日期", "性別", "班級", "座號"],
            [[sid, national_id(2000 + n), f"學生{n}", "2009-01-01", "1", f"1{n % 6 + 1:02d}", n % 50 + 1] for n, sid in enumerate(ids)],
        ),
    )
    sem = [rec.year, rec.term]
    _import(
        rec.clients[Role.ACTIVITIES],
        "clubs",
        _csv(["學年度", "學期", "學號", "社團名稱", "社團職務"], [[*sem, s, "熱舞社", "社員"] for s in ids]),
    )
    rows = [[*sem, s, kind, 2] for s in ids for kind in ("病假", "事假")]
    _import(rec.clients[Role.DISCIPLINE], "attendance", _csv(["學年度", "學期", "學號", "假別", "節數"], rows))
    activities = rec.clients[Role.ACTIVITIES]

    def upload(sid: str) -> None:
        data = b"%PDF-1.4\n" + os.urandom(FILE_BYTES - 9)
        for _ in range(3):  # seeding, not the measurement: a server hiccup under load is retried
            response = activities.post(
                "/api/v1/evidence/proxy-upload",
                data=io.BytesIO(data),
                headers={"Content-Type": "application/pdf", "Content-Length": str(len(data))},
                params={"kind": "document", "purpose": "service_proof", "filename": f"{sid}.pdf", "student_id": sid},
            )
            if response.status_code < 500:
                break
        assert response.status_code == 201, response.text[:300]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(upload, ids))
    return rec, {"students": STUDENTS, "files": STUDENTS, "file_bytes": FILE_BYTES}


def _archive_and_purge(rec) -> dict[str, Any]:
    """The whole seeded year leaves (archived with an old leaving date), then the retention purge through the gateway."""
    registrar = rec.registrar
    started = time.perf_counter()
    archived = registrar.post("/api/v1/archive/students", json={"class_codes": [f"10{n}" for n in range(1, 7)], "left_on": "2020-06-30"})
    assert archived.status_code == 200, archived.text
    archive_seconds = time.perf_counter() - started
    wait_until(lambda: registrar.post("/api/v1/archive/purges", json={}).status_code == 200, 60, "the archive projections")
    started = time.perf_counter()
    dry = registrar.post("/api/v1/archive/purges", json={}).json()
    dry_seconds = time.perf_counter() - started
    started = time.perf_counter()
    real = registrar.post("/api/v1/archive/purges", json={"dry_run": False})
    assert real.status_code == 202, real.text[:300]
    path = f"/api/v1/archive/purges/{real.json()['purge_id']}"
    real = wait_until(lambda: (r := registrar.get(path)).json()["status"] in ("done", "failed") and r, 600, "the purge")
    purge_seconds = time.perf_counter() - started
    assert real.json()["status"] == "done", real.text[:300]
    return {
        "archived_students": len(archived.json()["archived"]),
        "archive_seconds": round(archive_seconds, 2),
        "purge_dry_run_seconds": round(dry_seconds, 2),
        "purge_seconds": round(purge_seconds, 2),
        "purged": real.json()["totals"] | {"students": len(dry["students"])},
    }


def _plain_read(client, s3, settings) -> float:
    started = time.perf_counter()
    for name in client.list_database_names():
        if name.startswith(settings.db_prefix + "_"):
            for coll in client[name].list_collection_names():
                for _ in client[name][coll].find({}):
                    pass
    for bucket in [b.name for b in s3.list_buckets() if b.name.startswith(settings.bucket_prefix)]:
        for item in s3.list_objects(bucket, recursive=True, include_version=True):
            if not item.is_delete_marker:
                response = s3.get_object(bucket, item.object_name, version_id=item.version_id)
                for _ in response.stream(1024 * 1024):
                    pass
                response.close()
                response.release_conn()
    return time.perf_counter() - started


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bench_backup(system, district_password: str) -> dict[str, Any]:
    rec, seeded = _seed(system, district_password)
    settings = system.settings()
    client, s3 = make_client(settings), make_s3_client(settings)
    root = Path(tempfile.mkdtemp(prefix="licheng-bench-backup-"))
    target_prefix, copy_bucket = f"{system.run_id}r", f"bk-{system.run_id}"
    try:
        plain = _plain_read(client, s3, settings)
        started = time.perf_counter()
        manifest = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
        backup_seconds = time.perf_counter() - started
        started = time.perf_counter()
        assert engine.verify(root, manifest.backup_id).ok
        verify_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
        incremental_seconds = time.perf_counter() - started
        started = time.perf_counter()
        engine.upload_to_s3(s3, copy_bucket, root, manifest.backup_id)
        copy_seconds = time.perf_counter() - started
        started = time.perf_counter()
        restored = engine.restore(client, s3, root=root, backup_id=manifest.backup_id, db_prefix=target_prefix, bucket_prefix=target_prefix)
        restore_seconds = time.perf_counter() - started
        assert restored["documents"] == manifest.totals()["documents"]
        purge = _archive_and_purge(rec)
        totals = manifest.totals()
        return {
            "seeded": seeded,
            **{k: totals[k] for k in ("documents", "objects", "object_bytes", "collections")},
            "backup_bytes_on_disk": _size(root / manifest.backup_id) + _size(root / "objects"),
            "backup_seconds": round(backup_seconds, 2),
            "verify_seconds": round(verify_seconds, 2),
            "incremental_backup_seconds": round(incremental_seconds, 2),
            "incremental_objects_reused": again.objects_reused,
            "s3_copy_seconds": round(copy_seconds, 2),
            "restore_seconds": round(restore_seconds, 2),
            "baseline_plain_read_seconds": round(plain, 2),
            "backup_vs_plain_read": round(backup_seconds / plain, 2) if plain else None,
            "restore_vs_plain_read": round(restore_seconds / plain, 2) if plain else None,
            **purge,
        }
    finally:
        for name in client.list_database_names():
            if name.startswith(target_prefix + "_"):
                client.drop_database(name)
        remove_buckets(settings, target_prefix + "-")
        remove_buckets(settings, copy_bucket)
        client.close()
        shutil.rmtree(root, ignore_errors=True)
