"""Backups also go to an S3 bucket (another store in production; another bucket of the same store here)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from services.backup import engine
from shared.mongo import make_client
from shared.s3 import make_s3_client
from tests.support.system import ROOT


@pytest.fixture(scope="module")
def target(system):
    settings = system.settings()
    s3 = make_s3_client(settings)
    bucket = f"bk-{system.run_id}"  # outside the system's prefix: never itself backed up
    yield s3, bucket
    if s3.bucket_exists(bucket):
        for item in s3.list_objects(bucket, recursive=True, include_version=True):
            s3.remove_object(bucket, item.object_name, version_id=item.version_id)
        s3.remove_bucket(bucket)


def test_a_backup_copied_to_the_bucket_comes_back_whole_and_copies_are_incremental(system, school_a, target, tmp_path):
    s3, bucket = target
    settings = system.settings()
    client = make_client(settings)
    try:
        root = tmp_path / "local"
        first = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
        copied = engine.upload_to_s3(s3, bucket, root, first.backup_id)
        assert copied["objects_uploaded"] == len({o.sha256 for o in first.objects})
        second = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
        assert engine.upload_to_s3(s3, bucket, root, second.backup_id)["objects_uploaded"] == 0  # same files: nothing again
    finally:
        client.close()
    assert engine.list_s3_backups(s3, bucket)[:2] == [second.backup_id, first.backup_id]
    shutil.rmtree(root)
    fetched = tmp_path / "fetched"
    engine.fetch_from_s3(s3, bucket, first.backup_id, fetched)
    report = engine.verify(fetched, first.backup_id)
    assert report.ok, report.problems
    assert report.checked["documents"] == first.totals()["documents"]
    with pytest.raises(engine.BackupError):
        engine.fetch_from_s3(s3, bucket, "19990101T000000000000Z", fetched)


def _cli(system, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.backup", *args],
        cwd=ROOT,
        env={**system.env, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_backup_command_copies_to_the_bucket_and_verify_fetches_from_it(system, school_a, target, tmp_path):
    _, bucket = target
    done = _cli(system, "backup", LICHENG_BACKUP_DIR=str(tmp_path / "a"), LICHENG_BACKUP_S3_BUCKET=bucket)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verified"] and result["s3_copy"]["bucket"] == bucket and result["backup_bytes"] > 0
    checked = _cli(
        system, "verify", result["backup_id"], "--from-s3", LICHENG_BACKUP_DIR=str(tmp_path / "b"), LICHENG_BACKUP_S3_BUCKET=bucket
    )
    assert checked.returncode == 0 and json.loads(checked.stdout)["ok"], checked.stdout + checked.stderr


def test_the_purge_command_is_a_dry_run_unless_told(system, school_a):
    done = _cli(system, "purge", school_a.code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["dry_run"] is True
