"""Evidence's request and response models, shared with the gateway (validation and OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from shared.validation import StrictModel

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lowercase hex")]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Kind(StrEnum):
    DOCUMENT = "document"  # PDF, JPG, PNG
    MEDIA = "media"  # MP3, MP4


class State(StrEnum):
    STORED = "stored"  # verified; the student may still replace or delete it
    LOCKED = "locked"  # certified or submitted: immutable
    DELETED = "deleted"  # removed by its owner before certification (the store keeps the versions)


class LockReason(StrEnum):
    CERTIFIED = "certified"
    SUBMITTED = "submitted"


# The names the document offers; services/evidence/domain.py holds what each allows (and checks the two agree).
PURPOSE_NAMES = ("outcome", "performance", "competition_proof", "service_proof", "working_group")
CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png", "audio/mpeg", "video/mp4")


class RequestUpload(StrictModel):
    kind: Kind
    # Plain strings checked by the domain (its refusal names the allowed values); the document lists them.
    purpose: Annotated[
        str, Field(min_length=1, max_length=40, description="what the file is for", json_schema_extra={"enum": list(PURPOSE_NAMES)})
    ]
    # Any text: the service keeps a cleaned display name and never uses it as the key.
    filename: Annotated[str, Field(min_length=1, max_length=1024)]
    size: Annotated[int, Field(ge=1, description="bytes")]
    content_type: Annotated[str, Field(min_length=3, max_length=100, json_schema_extra={"enum": list(CONTENT_TYPES)})]
    student_id: Id | None = Field(None, description="for staff uploading on a student's behalf; students upload their own")
    sha256: Sha256 | None = Field(None, description="the client's checksum; a mismatch at complete rejects the file")
    replaces: Id | None = Field(None, description="an evidence id to replace (before certification only)")


class UploadForm(BaseModel):
    upload_id: str
    url: str = Field(description="POST the form here as multipart/form-data, `file` last")
    fields: dict[str, str]
    key: str
    max_size: int
    expires_at: datetime


class CompleteUpload(StrictModel):
    sha256: Sha256 | None = None


class Evidence(BaseModel):
    id: str
    school_id: str
    student_id: str | None
    purpose: str
    kind: Kind
    filename: str
    content_type: str
    size: int
    sha256: str
    state: State
    lock_reason: LockReason | None = None
    uploaded_by: str
    created_at: datetime
    stored_at: datetime
    locked_at: datetime | None = None
    previous_versions: int = 0


class Download(BaseModel):
    url: str
    filename: str
    content_type: str
    expires_at: datetime


class Described(BaseModel):
    id: str
    student_id: str | None
    uploaded_by: str
    purpose: str
    filename: str
    kind: Kind
    content_type: str
    size: int
    sha256: str
    state: State
    lock_reason: LockReason | None = None


class LockRequest(StrictModel):
    ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    reason: LockReason


class GrantRequest(StrictModel):
    ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    account_ids: Annotated[list[Id], Field(min_length=1, max_length=100)]


class SweepReport(BaseModel):
    expired_uploads: int
    objects_removed: int
    errors: list[str] = Field(default_factory=list)


class ReconcileReport(BaseModel):
    objects_without_records: list[str]
    records_without_objects: list[str]
    repaired: list[str]
    needs_attention: list[str]


class ScrubReport(BaseModel):
    checked: int
    ok: int
    mismatches: list[str]
    missing: list[str]
