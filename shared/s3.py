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


def make_backup_s3_client(settings: Settings) -> Minio:
    """The store that keeps the second copy of backups (LICHENG_BACKUP_S3_*; defaults to the main store)."""
    return Minio(
        settings.backup_s3_endpoint or settings.s3_endpoint,
        access_key=settings.backup_s3_access_key or settings.s3_access_key,
        secret_key=settings.backup_s3_secret_key or settings.s3_secret_key,
        secure=settings.backup_s3_secure if settings.backup_s3_endpoint else settings.s3_secure,
        region="us-east-1",
    )
