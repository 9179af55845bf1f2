"""Evidence rules without I/O: sniffing, declarations, filenames, who may read, quotas."""

from __future__ import annotations

import pytest

from services.evidence import domain
from services.evidence.errors import EvidenceLocked, FileTooLarge, FileTypeNotAllowed, PurposeNotAllowed, QuotaExceeded
from services.evidence.schemas import Kind
from shared.caller import Caller
from shared.disposition import content_disposition
from shared.errors import ValidationFailed
from shared.roles import Role
from tests.evidence import files

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

STUDENT = Caller("u1", "stu", "A00001", frozenset({Role.STUDENT}), student_id="S1")


@pytest.mark.parametrize(
    "head,expected",
    [
        (files.pdf(64), "application/pdf"),
        (files.png(64), "image/png"),
        (files.jpeg(64), "image/jpeg"),
        (files.mp4(64), "video/mp4"),
        (b"ID3\x04\x00" + b"\x00" * 20, "audio/mpeg"),
        (b"\xff\xfb\x90\x00" + b"\x00" * 20, "audio/mpeg"),
        (files.exe(64), None),
        (files.html(64), None),
        (b"PK\x03\x04zip", None),
        (b"", None),
    ],
)
def test_sniff_recognises_only_accepted_types(head, expected):
    assert domain.sniff(head[: domain.SNIFF_BYTES]) == expected


def test_verify_object_names_the_reason():
    assert domain.verify_object("application/pdf", 64, 64, files.pdf(16)) is None
    assert "size" in domain.verify_object("application/pdf", 64, 65, files.pdf(16))
    assert "not an accepted" in domain.verify_object("application/pdf", 64, 64, files.exe(16))
    assert "image/png" in domain.verify_object("application/pdf", 64, 64, files.png(16))


@pytest.mark.parametrize(
    "kind,content_type,filename,size,error",
    [
        (Kind.DOCUMENT, "application/pdf", "a.pdf", 4 * domain.MB + 1, FileTooLarge),
        (Kind.MEDIA, "video/mp4", "a.mp4", 10 * domain.MB + 1, FileTooLarge),
        (Kind.DOCUMENT, "video/mp4", "a.mp4", 10, FileTypeNotAllowed),
        (Kind.DOCUMENT, "text/html", "a.html", 10, FileTypeNotAllowed),
        (Kind.DOCUMENT, "application/pdf", "a.exe", 10, FileTypeNotAllowed),
    ],
)
def test_check_file_refuses_bad_declarations(kind, content_type, filename, size, error):
    with pytest.raises(error):
        domain.check_file(kind, content_type, filename, size)


@pytest.mark.parametrize(
    "kind,content_type,filename,size",
    [
        (Kind.DOCUMENT, "application/pdf", "a.PDF", 4 * domain.MB),
        (Kind.DOCUMENT, "image/jpeg", "photo.jpeg", 10),
        (Kind.DOCUMENT, "image/png", "no-extension", 10),
        (Kind.MEDIA, "audio/mpeg", "song.mp3", 10 * domain.MB),
    ],
)
def test_check_file_accepts_good_declarations(kind, content_type, filename, size):
    domain.check_file(kind, content_type, filename, size)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("../../a.pdf", "a.pdf"),
        ("C:\\Users\\me\\a.pdf", "a.pdf"),
        ("a\x00\x07b.pdf", "ab.pdf"),
        ("\u202egnp.pdf", "gnp.pdf"),
        ("\u2066x\u2069.pdf", "x.pdf"),
        ("...", "file"),
        ("", "file"),
        ("成果  報告.pdf", "成果  報告.pdf"),
    ],
)
def test_clean_filename(raw, expected):
    assert domain.clean_filename(raw) == expected


def test_long_filenames_keep_their_extension():
    name = domain.clean_filename("長" * 300 + ".pdf")
    assert len(name) == 120 and name.endswith(".pdf")


def test_content_disposition_is_ascii_with_utf8_name():
    header = content_disposition('成果"報告;.pdf')
    assert header.isascii() and header.startswith('attachment; filename="') and "filename*=UTF-8''%E6%88%90" in header


def test_key_never_uses_the_filename():
    assert domain.object_key("A00001", "S/1", "abc") == "A00001/S_1/abc"
    assert domain.object_key("A00001", None, "abc") == "A00001/_school/abc"


def test_purpose_table_decides_uploaders():
    assert domain.check_purpose(STUDENT, "outcome", Kind.MEDIA).name_zh == "課程學習成果"
    with pytest.raises(PurposeNotAllowed):
        domain.check_purpose(STUDENT, "service_proof", Kind.DOCUMENT)
    with pytest.raises(ValidationFailed):
        domain.check_purpose(STUDENT, "homework", Kind.DOCUMENT)
    activities = Caller("u2", "act", "A00001", frozenset({Role.ACTIVITIES}))
    with pytest.raises(FileTypeNotAllowed):
        domain.check_purpose(activities, "service_proof", Kind.MEDIA)
    with pytest.raises(ValidationFailed):
        domain.upload_student(activities, domain.PURPOSES["service_proof"], None)
    assert domain.upload_student(activities, domain.PURPOSES["service_proof"], "S9") == "S9"
    assert domain.upload_student(STUDENT, domain.PURPOSES["outcome"], None) == "S1"


def test_can_read_owner_uploader_registrar_granted_only():
    doc = {"school_id": "A00001", "student_id": "S1", "uploaded_by": "org", "grants": ["t1"]}
    assert domain.can_read(STUDENT, doc)
    assert domain.can_read(Caller("org", "o", "A00001", frozenset({Role.CONTEST_ORGANIZER})), doc)
    assert domain.can_read(Caller("r", "r", "A00001", frozenset({Role.REGISTRAR})), doc)
    assert domain.can_read(Caller("t1", "t", "A00001", frozenset({Role.TEACHER})), doc)
    assert not domain.can_read(Caller("t2", "t", "A00001", frozenset({Role.TEACHER, Role.HOMEROOM})), doc)
    assert not domain.can_read(Caller("r", "r", "B00002", frozenset({Role.REGISTRAR})), doc)
    assert not domain.can_read(Caller("u1", "stu", "B00002", frozenset({Role.STUDENT}), student_id="S1"), doc)


def test_quota_and_lock_rules():
    quota = domain.Quota(max_files=2, max_bytes=100)
    domain.check_quota(quota, 1, 50, 50)
    with pytest.raises(QuotaExceeded):
        domain.check_quota(quota, 2, 0, 1)
    with pytest.raises(QuotaExceeded):
        domain.check_quota(quota, 0, 60, 41)
    with pytest.raises(EvidenceLocked):
        domain.ensure_mutable({"state": "locked"})
    domain.ensure_mutable({"state": "stored"})
