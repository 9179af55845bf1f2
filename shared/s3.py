"""The S3 client (MinIO SDK), built from Settings: any S3 store works (SeaweedFS here, AWS, Ceph, MinIO)."""

from __future__ import annotations

from minio import Minio

from shared.config import Settings


def make_s3_client(settings: Settings) -> Minio:
    return Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        secure=settings.s3_secure,
        region="us-east-1",  # fixed, so the SDK never probes the store for its region
    )
