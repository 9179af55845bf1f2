"""Evidence rules: purposes and who uploads for them, file kinds and limits, type sniffing, filenames,
who may read, quotas, locking. Plain Python, no I/O."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from services.evidence.errors import EvidenceLocked, FileTooLarge, FileTypeNotAllowed, PurposeNotAllowed, QuotaExceeded
from services.evidence.schemas import CONTENT_TYPES, PURPOSE_NAMES, Kind, State
from shared.caller import Caller
from shared.errors import ValidationFailed, field_error
from shared.national.files import sniff as sniff_kind
from shared.roles import Role

MB = 1024 * 1024


@dataclass(frozen=True)
class Purpose:
    name_zh: str
    uploaders: frozenset[Role]
    kinds: frozenset[Kind]
    per_student: bool = True  # False: a school document (meeting attachments), keyed under `_school`


# What a file is for, and who may upload for it. A new purpose is a data change here.
PURPOSES: dict[str, Purpose] = {
    "outcome": Purpose("課程學習成果", frozenset({Role.STUDENT}), frozenset(Kind)),
    "performance": Purpose("多元表現", frozenset({Role.STUDENT}), frozenset(Kind)),
    "competition_proof": Purpose("競賽證明", frozenset({Role.CONTEST_ORGANIZER}), frozenset({Kind.DOCUMENT})),
    "service_proof": Purpose("服務學習證明", frozenset({Role.ACTIVITIES}), frozenset({Kind.DOCUMENT})),
    "working_group": Purpose("工作小組會議附件", frozenset({Role.WORKING_GROUP}), frozenset({Kind.DOCUMENT}), per_student=False),
}


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]
    kind: Kind


# National rule (docs/national-rules.md): documents PDF/JPG/PNG <= 4 MB, media MP3/MP4 <= 10 MB.
FILE_TYPES: dict[str, FileType] = {
    "application/pdf": FileType("application/pdf", (".pdf",), Kind.DOCUMENT),
    "image/jpeg": FileType("image/jpeg", (".jpg", ".jpeg"), Kind.DOCUMENT),
    "image/png": FileType("image/png", (".png",), Kind.DOCUMENT),
    "audio/mpeg": FileType("audio/mpeg", (".mp3",), Kind.MEDIA),
    "video/mp4": FileType("video/mp4", (".mp4",), Kind.MEDIA),
}
# the request document's lists (schemas.py) are these
assert set(PURPOSES) == set(PURPOSE_NAMES) and set(FILE_TYPES) == set(CONTENT_TYPES), "evidence purposes or file types differ"
KIND_MAX_BYTES: dict[Kind, int] = {Kind.DOCUMENT: 4 * MB, Kind.MEDIA: 10 * MB}
KIND_NAMES_ZH: dict[Kind, str] = {Kind.DOCUMENT: "文件（PDF/JPG/PNG）", Kind.MEDIA: "影音（MP3/MP4）"}
SNIFF_BYTES = 16  # enough leading bytes for every signature below


@dataclass(frozen=True)
class Quota:
    max_files: int
    max_bytes: int


def new_id() -> str:
    return uuid.uuid4().hex


def object_key(school_id: str, student_id: str | None, upload_id: str) -> str:
    """The server-chosen key: never derived from the user's filename."""
    owner = student_id if student_id else "_school"
    return f"{school_id}/{_key_part(owner)}/{upload_id}"


def student_prefix(school_id: str, student_id: str) -> str:
    """Every object of one student's files, all versions, lies under this prefix (the retention purge's unit)."""
    return f"{school_id}/{_key_part(student_id)}/"


def _key_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)[:64] or "_"


# --- who uploads, what, for whom ---


def check_purpose(caller: Caller, purpose_name: str, kind: Kind) -> Purpose:
    purpose = PURPOSES.get(purpose_name)
    if purpose is None:
        raise ValidationFailed(
            "不支援的檔案用途",
            "unknown purpose",
            [field_error("purpose", "可用值：" + "、".join(PURPOSES), "one of: " + ", ".join(PURPOSES), "enum")],
        )
    if not (purpose.uploaders & caller.roles):
        raise PurposeNotAllowed(f"您的角色不能上傳「{purpose.name_zh}」", f"your roles may not upload {purpose_name} files")
    if kind not in purpose.kinds:
        raise FileTypeNotAllowed(f"「{purpose.name_zh}」不接受{KIND_NAMES_ZH[kind]}", f"{purpose_name} does not take {kind} files")
    return purpose


def upload_student(caller: Caller, purpose: Purpose, requested: str | None) -> str | None:
    """Whose evidence this is: a student uploads their own; staff name the student."""
    if not purpose.per_student:
        return None
    if Role.STUDENT in caller.roles and purpose.uploaders & caller.roles == {Role.STUDENT}:
        if not caller.student_id:
            raise ValidationFailed("此帳號未連結學生資料，請洽註冊組", "this account has no student record")
        if requested and requested != caller.student_id:
            raise PurposeNotAllowed("學生只能上傳自己的檔案", "students upload only their own files")
        return caller.student_id
    if not requested:
        raise ValidationFailed(
            "請指定學生", "name the student", [field_error("student_id", "此欄位為必填", "required for staff uploads", "missing")]
        )
    return requested


def check_file(kind: Kind, content_type: str, filename: str, size: int) -> FileType:
    """The declaration is consistent with the kind's types and limits."""
    file_type = FILE_TYPES.get(content_type.lower().split(";")[0].strip())
    if file_type is None or file_type.kind is not kind:
        allowed = ", ".join(t.content_type for t in FILE_TYPES.values() if t.kind is kind)
        raise FileTypeNotAllowed(f"{KIND_NAMES_ZH[kind]}不接受此類型", f"{kind} accepts {allowed}")
    extension = _extension(filename)
    if extension and extension not in file_type.extensions:
        raise FileTypeNotAllowed(f"副檔名 {extension} 與檔案類型不符", f"the extension {extension} does not match {file_type.content_type}")
    limit = KIND_MAX_BYTES[kind]
    if size > limit:
        raise FileTooLarge(f"{KIND_NAMES_ZH[kind]}每檔不可超過 {limit // MB} MB", f"{kind} files may not exceed {limit // MB} MB")
    return file_type


def check_quota(quota: Quota, used_files: int, used_bytes: int, size: int) -> None:
    if used_files + 1 > quota.max_files or used_bytes + size > quota.max_bytes:
        raise QuotaExceeded(
            f"每位學生最多 {quota.max_files} 個檔案、共 {quota.max_bytes // MB} MB",
            f"at most {quota.max_files} files and {quota.max_bytes // MB} MB per student",
        )


# --- what the bytes really are ---


_MIME_OF_KIND = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "mp4": "video/mp4", "mp3": "audio/mpeg"}


def sniff(head: bytes) -> str | None:
    """The content type the leading bytes prove, or None (executables, HTML, anything else).

    The magic bytes are the national rules' own (shared.national.files), so we refuse what they would.
    """
    kind = sniff_kind(head)
    return _MIME_OF_KIND[kind] if kind else None


def verify_object(declared_type: str, declared_size: int, actual_size: int, head: bytes) -> str | None:
    """Why the stored object must be refused (zh|en), or None when it matches the declaration."""
    if actual_size != declared_size:
        return f"檔案大小 {actual_size} 與申報的 {declared_size} 位元組不符|size {actual_size} differs from the declared {declared_size}"
    real = sniff(head)
    if real is None:
        return "檔案內容不是允許的類型（PDF/JPG/PNG/MP3/MP4）|the content is not an accepted file type"
    if real != declared_type:
        return f"檔案內容為 {real}，與申報的 {declared_type} 不符|the content is {real}, not the declared {declared_type}"
    return None


# --- filenames ---

_MAX_NAME = 120


def _extension(filename: str) -> str:
    name = clean_filename(filename)
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def clean_filename(raw: str) -> str:
    """A safe display name: no directories, no control or bidi-override characters, bounded length."""
    name = unicodedata.normalize("NFC", raw)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip().strip(".").strip()
    if len(name) > _MAX_NAME:
        dot = name.rfind(".")
        ext = name[dot:] if dot > 0 and len(name) - dot <= 10 else ""
        name = name[: _MAX_NAME - len(ext)] + ext
    return name or "file"


def download_name(filename: str, content_type: str) -> str:
    """The stored name with the extension of what the bytes really are."""
    file_type = FILE_TYPES.get(content_type)
    if file_type and _extension(filename) not in file_type.extensions:
        return filename + file_type.extensions[0]
    return filename


# --- who may read, what may change ---

READ_ALL_ROLES = frozenset({Role.REGISTRAR})


def can_read(caller: Caller, doc: dict[str, Any]) -> bool:
    """The owner student, the uploader, the registrar, and accounts granted access (certifying
    teachers, the homeroom teacher; granted by the certification service). Same school only."""
    if caller.school_id != doc["school_id"]:
        return False
    if caller.roles & READ_ALL_ROLES:
        return True
    if doc.get("student_id") and caller.student_id == doc["student_id"] and Role.STUDENT in caller.roles:
        return True
    return caller.user_id == doc.get("uploaded_by") or caller.user_id in doc.get("grants", [])


def can_change(caller: Caller, doc: dict[str, Any]) -> bool:
    """Replace or delete: the owner student or the uploader (registrar too), never once locked."""
    if caller.school_id != doc["school_id"]:
        return False
    owner = doc.get("student_id") and caller.student_id == doc["student_id"] and Role.STUDENT in caller.roles
    return bool(owner or caller.user_id == doc.get("uploaded_by") or caller.roles & READ_ALL_ROLES)


def ensure_mutable(doc: dict[str, Any]) -> None:
    if doc.get("state") == State.LOCKED:
        raise EvidenceLocked("此檔案已認證或已提交，不可修改或刪除", "certified or submitted evidence cannot change")
