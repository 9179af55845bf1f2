"""The restore drill on real servers: back up, wipe every database and bucket, restore, compare."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import threading
from pathlib import Path

import pytest
from minio.commonconfig import ENABLED
from minio.versioningconfig import VersioningConfig

from services.backup import engine
from services.backup.manifest import keep
from shared.mongo import make_client
from shared.s3 import make_s3_client
from tests.evidence import files
from tests.support.api import login
from tests.support.s3 import remove_buckets
from tests.support.system import wait_until


@pytest.fixture(scope="module")
def stores(system):
    settings = system.settings()
    client = make_client(settings)
    s3 = make_s3_client(settings)
    yield settings, client, s3
    drill = f"{settings.bucket_prefix}-drill"  # only what this module made; the services' buckets stay
    if s3.bucket_exists(drill):
        for item in s3.list_objects(drill, recursive=True, include_version=True):
            s3.remove_object(drill, item.object_name, version_id=item.version_id)
        s3.remove_bucket(drill)
    client.close()


def _put(s3, bucket: str, key: str, data: bytes) -> None:
    s3.put_object(bucket, key, io.BytesIO(data), length=len(data))


def _seed_files(s3, bucket: str) -> dict[str, bytes]:
    s3.make_bucket(bucket)
    s3.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    files = {"A00001/s1/first.pdf": b"%PDF-1.4 first version", "A00001/s2/photo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40}
    _put(s3, bucket, "A00001/s1/first.pdf", b"%PDF-1.4 an older version")
    for key, data in files.items():
        _put(s3, bucket, key, data)
    return files


def _wipe(client, s3, settings) -> None:
    for name in client.list_database_names():
        if name.startswith(settings.db_prefix + "_"):
            client.drop_database(name)
    remove_buckets(settings, settings.bucket_prefix)  # legal holds (certified files) released first


def _drill(client, s3, settings, root, tmp_path) -> None:
    """Back up, wipe, restore; what is restored is what was backed up, collection by collection."""
    manifest = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
    assert engine.verify(root, manifest.backup_id).ok
    totals = manifest.totals()
    assert totals["documents"] > 0 and sum(o.bucket.endswith("-drill") for o in manifest.objects) == 3

    _wipe(client, s3, settings)
    assert engine.is_empty(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix)
    result = engine.restore(
        client, s3, root=root, backup_id=manifest.backup_id, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix
    )
    assert result["documents"] == totals["documents"]

    again = engine.dump_databases(client, settings.db_prefix, tmp_path / "again")
    remapped = set(result["remapped"])  # records naming an object version now name the restored version

    def figures(databases: dict) -> dict:
        return {
            f"{db}.{c}": (e.count, None if f"{db}.{c}" in remapped else e.digest)
            for db, colls in databases.items()
            for c, e in colls.items()
        }

    assert figures(again) == figures(manifest.databases)


def test_backup_wipe_restore_gives_back_everything(system, school_a, stores, tmp_path):
    settings, client, s3 = stores
    school_a.registrar.post(
        "/api/v1/accounts", json={"username": "drill1", "display_name": "演練", "roles": ["student"], "password": "Drill-pass-1"}
    )
    files = _seed_files(s3, f"{settings.bucket_prefix}-drill")
    # A restore goes into a stopped system (make restore). Identity's leavers reconcile, on its timer,
    # would otherwise re-enable accounts while records is still empty between the wipe and the restore.
    system.stop_process("identity")
    try:
        _drill(client, s3, settings, tmp_path / "backups", tmp_path)
    finally:
        system.start_service("identity")
    for key, data in files.items():
        response = s3.get_object(f"{settings.bucket_prefix}-drill", key)
        assert hashlib.sha256(response.read()).hexdigest() == hashlib.sha256(data).hexdigest()
        response.close()
    versions = list(s3.list_objects(f"{settings.bucket_prefix}-drill", prefix="A00001/s1/", include_version=True))
    assert len(versions) == 2

    # a sample through the gateway: the restored account logs in and the registrar still sees it
    def logs_in() -> bool:
        try:
            return login(system.base_url, school_a.code, "drill1", "Drill-pass-1").get("/api/v1/me").json()["username"] == "drill1"
        except AssertionError:  # identity not consumed yet: 503 for a moment
            return False

    wait_until(logs_in, 90, "the restored account to log in")
    assert any(a["username"] == "drill1" for a in school_a.registrar.get("/api/v1/accounts", params={"per_page": 200}).json()["items"])


def test_restore_refuses_a_system_that_is_not_empty(stores, school_a, tmp_path):
    settings, client, s3 = stores
    root = tmp_path / "backups"
    manifest = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
    with pytest.raises(engine.BackupError, match="not empty"):
        engine.restore(
            client, s3, root=root, backup_id=manifest.backup_id, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix
        )


def test_second_backup_copies_only_new_object_versions(stores, school_a, tmp_path):
    settings, client, s3 = stores
    root = tmp_path / "backups"
    first = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
    bucket = next(b.name for b in s3.list_buckets() if b.name.startswith(settings.bucket_prefix))
    _put(s3, bucket, "A00001/s3/new.pdf", b"%PDF-1.4 new")
    second = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
    assert second.objects_reused == len(first.objects)
    assert second.bytes_written == len(b"%PDF-1.4 new")


@pytest.mark.parametrize("target", ["dump", "object", "manifest"])
def test_one_changed_byte_is_caught_by_verify_and_restore(stores, school_a, tmp_path, target):
    settings, client, s3 = stores
    root = tmp_path / "backups"
    manifest = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
    if target == "dump":
        entry = next(e for colls in manifest.databases.values() for e in colls.values() if e.count)
        path = root / manifest.backup_id / entry.file
    elif target == "object":
        path = root / manifest.objects[0].file
    else:
        path = root / manifest.backup_id / "manifest.json"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert not engine.verify(root, manifest.backup_id).ok
    with pytest.raises(engine.BackupError):
        engine.restore(
            client,
            s3,
            root=root,
            backup_id=manifest.backup_id,
            db_prefix=settings.db_prefix,
            bucket_prefix=settings.bucket_prefix,
            force=True,
        )


def test_retention_keeps_the_newest_and_the_young():
    day = 86400
    entries = [{"backup_id": f"b{i}", "created_epoch": 100 * day - i * day} for i in range(10)]
    kept, dropped = keep(entries, count=3, max_age_days=5, now_epoch=100 * day)
    assert kept == ["b0", "b1", "b2", "b3", "b4", "b5"] and dropped == ["b6", "b7", "b8", "b9"]


def test_remove_backup_keeps_files_other_backups_need(tmp_path):
    root = tmp_path
    (root / "objects").mkdir()
    for name in ("shared", "only-old"):
        (root / "objects" / name).write_bytes(b"x")
    for backup_id, shas in (("old", ["shared", "only-old"]), ("new", ["shared"])):
        (root / backup_id).mkdir()
        (root / backup_id / "manifest.json").write_text(json.dumps({"objects": [{"sha256": s} for s in shas]}))
    engine.remove_backup(root, "old")
    assert sorted(p.name for p in (root / "objects").iterdir()) == ["shared"]
    shutil.rmtree(root / "new")
    assert Path(root / "objects" / "shared").exists()


def test_registrar_sees_backup_status_and_readiness_reports_the_alarm(system, school_a, anonymous):
    status = school_a.registrar.get("/api/v1/backups")
    assert status.status_code == 200 and "stale" in status.json()
    ready = anonymous.get("/readyz").json()
    assert ready["services"]["backup"]["backup"]["interval_hours"] == 24


def test_a_backup_taken_while_uploads_run_holds_everything_acknowledged_before_it_started(system, school_a, stores, tmp_path):
    settings, client, s3 = stores
    school_a.registrar.post(
        "/api/v1/accounts",
        json={"username": "bk-student", "display_name": "備份生", "roles": ["student"], "student_id": "BK001", "password": "Backup-pass-1"},
    )
    student = login(system.base_url, school_a.code, "bk-student", "Backup-pass-1")
    acknowledged: list[dict] = []
    stop = threading.Event()

    def upload_until_stopped() -> None:
        n = 0
        while not stop.is_set() and n < 40:
            data = files.pdf(2000 + n)
            response = student.post(
                "/api/v1/evidence/proxy-upload",
                data=data,
                headers={"Content-Type": "application/pdf"},
                params={"kind": "document", "purpose": "outcome", "filename": f"作品{n}.pdf"},
            )
            assert response.status_code == 201, response.text
            acknowledged.append(response.json())
            n += 1

    uploader = threading.Thread(target=upload_until_stopped)
    uploader.start()
    try:
        wait_until(lambda: len(acknowledged) >= 5, 60, "the first uploads")
        before = list(acknowledged)  # acknowledged before the backup started
        manifest = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=tmp_path / "b")
    finally:
        stop.set()
        uploader.join(timeout=120)
    assert engine.verify(tmp_path / "b", manifest.backup_id).ok
    backed_up = {o.sha256 for o in manifest.objects}
    assert all(e["sha256"] in backed_up for e in before)
    evidence_db = next(db for db in manifest.databases if db.endswith("_evidence"))
    assert manifest.databases[evidence_db]["evidence"].count >= len(before)
