#!/usr/bin/env python3
"""Checks that the S3 store offers what the evidence service needs, through the MinIO SDK.

Usage: eval "$(deploy/native/infra.sh env)"; var/venv/bin/python deploy/native/check_s3.py

Reads LICHENG_S3_ENDPOINT / LICHENG_S3_ACCESS_KEY / LICHENG_S3_SECRET_KEY / LICHENG_S3_SECURE.
Prints one line per feature (ok / FAIL + reason) and exits non-zero if any feature fails.
Everything it creates lives in buckets named licheng-check-<random> and is removed at the end
(except what the store refuses to delete, which is then reported).
"""

from __future__ import annotations

import io
import os
import secrets
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta

import requests
from minio import Minio
from minio.commonconfig import ENABLED, GOVERNANCE
from minio.datatypes import PostPolicy
from minio.error import S3Error
from minio.retention import Retention
from minio.versioningconfig import VersioningConfig

ENDPOINT = os.environ.get("LICHENG_S3_ENDPOINT", "127.0.0.1:8333")
ACCESS = os.environ.get("LICHENG_S3_ACCESS_KEY", "")
SECRET = os.environ.get("LICHENG_S3_SECRET_KEY", "")
SECURE = os.environ.get("LICHENG_S3_SECURE", "0") not in ("0", "", "false", "no")
BASE_URL = f"{'https' if SECURE else 'http'}://{ENDPOINT}"

results: list[tuple[str, bool, str]] = []


def check(name: str):
    """Decorator: run one feature check, record ok/FAIL with a short reason."""

    def wrap(fn):
        try:
            detail = fn() or ""
            results.append((name, True, detail))
        except Exception as exc:
            msg = f"{type(exc).__name__}: {exc}"
            if os.environ.get("CHECK_S3_DEBUG"):
                traceback.print_exc()
            results.append((name, False, msg.splitlines()[0][:300]))
        return fn

    return wrap


def expect_s3_error(fn, *codes: str) -> str:
    """Call fn, which must fail with an S3Error (any code if none given). Returns the code."""
    try:
        fn()
    except S3Error as err:
        if codes and err.code not in codes:
            raise AssertionError(f"expected {codes}, got {err.code}") from err
        return err.code
    raise AssertionError("the store accepted a request it should refuse")


def main() -> int:
    if not ACCESS or not SECRET:
        print('LICHENG_S3_ACCESS_KEY / LICHENG_S3_SECRET_KEY not set; run: eval "$(deploy/native/infra.sh env)"', file=sys.stderr)
        return 2
    client = Minio(ENDPOINT, access_key=ACCESS, secret_key=SECRET, secure=SECURE)
    suffix = secrets.token_hex(4)
    bucket = f"licheng-check-{suffix}"
    vbucket = f"licheng-check-{suffix}-ver"
    lbucket = f"licheng-check-{suffix}-lock"
    payload = b"evidence bytes " * 64  # 960 bytes
    cleanup: list[tuple[str, str, str | None]] = []  # (bucket, key, version)

    @check("credentials required (anonymous and wrong-secret requests refused)")
    def _():
        anon = requests.get(f"{BASE_URL}/", timeout=10)
        assert anon.status_code == 403, f"anonymous ListBuckets gave HTTP {anon.status_code}"
        bad = Minio(ENDPOINT, access_key=ACCESS, secret_key=SECRET + "x", secure=SECURE)
        code = expect_s3_error(bad.list_buckets)
        return f"anonymous HTTP 403, wrong secret {code}"

    @check("make_bucket")
    def _():
        client.make_bucket(bucket)
        assert client.bucket_exists(bucket)

    @check("presigned_post_policy + multipart POST (content-length-range enforced)")
    def _():
        policy = PostPolicy(bucket, datetime.now(UTC) + timedelta(minutes=10))
        policy.add_equals_condition("key", "post/ok.bin")
        policy.add_content_length_range_condition(1, 1024)
        fields = client.presigned_post_policy(policy)
        # The SDK returns only the signed fields; the form's key must match the policy.
        form = dict(fields, key="post/ok.bin")
        ok = requests.post(f"{BASE_URL}/{bucket}", data=form, files={"file": ("ok.bin", payload, "application/octet-stream")}, timeout=30)
        assert ok.status_code in (200, 201, 204), f"POST within limit: HTTP {ok.status_code} {ok.text[:200]}"
        assert client.stat_object(bucket, "post/ok.bin").size == len(payload)
        cleanup.append((bucket, "post/ok.bin", None))
        big = requests.post(
            f"{BASE_URL}/{bucket}", data=form, files={"file": ("big.bin", b"x" * 2048, "application/octet-stream")}, timeout=30
        )
        assert big.status_code >= 400, f"oversized POST accepted: HTTP {big.status_code}"
        try:
            client.stat_object(bucket, "post/ok.bin")  # the oversized body must not have replaced it
            size = client.stat_object(bucket, "post/ok.bin").size
            assert size == len(payload), f"oversized POST overwrote the object (size {size})"
        except S3Error as err:
            raise AssertionError(f"object vanished after refused POST: {err.code}") from err
        wrong_key = requests.post(
            f"{BASE_URL}/{bucket}",
            data=dict(fields, key="post/other.bin"),
            files={"file": ("o.bin", payload, "application/octet-stream")},
            timeout=30,
        )
        assert wrong_key.status_code >= 400, f"POST with a key outside the policy accepted: HTTP {wrong_key.status_code}"
        return f"in-range HTTP {ok.status_code}, oversized HTTP {big.status_code}, wrong key HTTP {wrong_key.status_code}"

    @check("put_object + stat_object (size, content type, user metadata)")
    def _():
        client.put_object(
            bucket, "obj/a.txt", io.BytesIO(payload), len(payload), content_type="text/plain", metadata={"x-amz-meta-sha256": "abc"}
        )
        cleanup.append((bucket, "obj/a.txt", None))
        st = client.stat_object(bucket, "obj/a.txt")
        assert st.size == len(payload), st.size
        assert st.content_type == "text/plain", st.content_type
        meta = {k.lower(): v for k, v in (st.metadata or {}).items()}
        assert meta.get("x-amz-meta-sha256") == "abc", meta
        return f"etag {st.etag}"

    @check("get_object streaming (and ranged read)")
    def _():
        resp = client.get_object(bucket, "obj/a.txt")
        try:
            got = b"".join(resp.stream(100))
        finally:
            resp.close()
            resp.release_conn()
        assert got == payload, "content differs"
        part = client.get_object(bucket, "obj/a.txt", offset=15, length=10)
        try:
            assert part.read() == payload[15:25], "range read differs"
        finally:
            part.close()
            part.release_conn()

    @check("presigned_get_object with response-content-disposition")
    def _():
        url = client.presigned_get_object(
            bucket,
            "obj/a.txt",
            expires=timedelta(minutes=5),
            response_headers={
                "response-content-disposition": 'attachment; filename="a.txt"',
                "response-content-type": "application/octet-stream",
            },
        )
        resp = requests.get(url, timeout=30)
        assert resp.status_code == 200, f"HTTP {resp.status_code} {resp.text[:200]}"
        assert resp.content == payload, "content differs"
        cd = resp.headers.get("Content-Disposition", "")
        assert cd == 'attachment; filename="a.txt"', f"Content-Disposition={cd!r}"
        ct = resp.headers.get("Content-Type", "")
        assert ct == "application/octet-stream", f"Content-Type={ct!r}"
        tampered = requests.get(url.replace("a.txt", "b.txt"), timeout=30)
        assert tampered.status_code == 403, f"tampered URL gave HTTP {tampered.status_code}"

    @check("bucket versioning (ENABLED, two versions of one key listed and readable)")
    def _():
        client.make_bucket(vbucket)
        client.set_bucket_versioning(vbucket, VersioningConfig(ENABLED))
        assert client.get_bucket_versioning(vbucket).status == ENABLED
        v1 = client.put_object(vbucket, "k", io.BytesIO(b"one"), 3).version_id
        v2 = client.put_object(vbucket, "k", io.BytesIO(b"two!"), 4).version_id
        assert v1 and v2 and v1 != v2, (v1, v2)
        listed = [o.version_id for o in client.list_objects(vbucket, prefix="k", include_version=True)]
        for v in (v1, v2):
            cleanup.append((vbucket, "k", v))
        assert set(listed) >= {v1, v2}, f"listed versions {listed}"
        old = client.get_object(vbucket, "k", version_id=v1)
        try:
            assert old.read() == b"one", "old version content differs"
        finally:
            old.close()
            old.release_conn()
        return f"{len(listed)} versions"

    lock_key = "locked.bin"
    lock_state: dict[str, object] = {}

    @check("object lock bucket (make_bucket(object_lock=True))")
    def _():
        client.make_bucket(lbucket, object_lock=True)
        ver = client.get_bucket_versioning(lbucket).status
        assert ver == ENABLED, f"versioning on a lock bucket is {ver}"
        lock_state["version"] = client.put_object(lbucket, lock_key, io.BytesIO(b"sealed"), 6).version_id
        cleanup.append((lbucket, lock_key, lock_state["version"]))

    @check("object retention (GOVERNANCE) blocks deleting the version")
    def _():
        version = lock_state["version"]
        until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        client.set_object_retention(lbucket, lock_key, Retention(GOVERNANCE, until), version_id=version)
        got = client.get_object_retention(lbucket, lock_key, version_id=version)
        assert got is not None and got.mode == GOVERNANCE, got
        code = expect_s3_error(lambda: client.remove_object(lbucket, lock_key, version_id=version))
        lock_state["retain_until"] = until
        return f"delete refused ({code})"

    @check("legal hold blocks deleting the version")
    def _():
        version = lock_state["version"]
        client.enable_object_legal_hold(lbucket, lock_key, version_id=version)
        assert client.is_object_legal_hold_enabled(lbucket, lock_key, version_id=version)
        # wait for the short retention to lapse so only the legal hold protects the version
        until = lock_state.get("retain_until")
        if isinstance(until, datetime):
            time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.5)
        code = expect_s3_error(lambda: client.remove_object(lbucket, lock_key, version_id=version))
        client.disable_object_legal_hold(lbucket, lock_key, version_id=version)
        assert not client.is_object_legal_hold_enabled(lbucket, lock_key, version_id=version)
        return f"delete refused ({code}), then released"

    # --- cleanup: delete every version we wrote, then the buckets ---------------------------
    leftovers = []
    for b, key, version in cleanup:
        try:
            client.remove_object(b, key, version_id=version)
        except S3Error as err:
            leftovers.append(f"{b}/{key}@{version}: {err.code}")
    for b in (bucket, vbucket, lbucket):
        try:
            if client.bucket_exists(b):
                # delete markers and anything else left behind
                for o in client.list_objects(b, recursive=True, include_version=True):
                    client.remove_object(b, o.object_name, version_id=o.version_id)
                client.remove_bucket(b)
        except S3Error as err:
            leftovers.append(f"bucket {b}: {err.code}")

    width = max(len(name) for name, _, _ in results)
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'}  {name:<{width}}  {detail}")
    if leftovers:
        print("left behind: " + "; ".join(leftovers))
    failed = [name for name, ok, _ in results if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} S3 checks passed against {BASE_URL}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
