"""Removing a test session's buckets (every version, legal holds released first)."""

from __future__ import annotations

from minio import Minio
from minio.error import S3Error

from shared.config import Settings


def remove_buckets(settings: Settings, prefix: str) -> None:
    client = Minio(settings.s3_endpoint, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key, secure=settings.s3_secure)
    for bucket in client.list_buckets():
        if not bucket.name.startswith(prefix):
            continue
        for obj in client.list_objects(bucket.name, recursive=True, include_version=True):
            if not obj.is_delete_marker:
                try:
                    client.disable_object_legal_hold(bucket.name, obj.object_name, version_id=obj.version_id)
                except S3Error:
                    pass
            client.remove_object(bucket.name, obj.object_name, version_id=obj.version_id)
        client.remove_bucket(bucket.name)
