"""Receipt checks without servers: byte-for-byte comparison, per-student split, the confirmation window."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from services.national_upload.receipts import check_receipt, confirm_deadline
from shared.national.receipt import build_receipt_zip, open_receipt, receipt_document
from shared.national.rules import rules_for
from tests.national.samples import PDF_SHA, student_id, valid_sheets

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

RULES = rules_for(114)
ROSTER = b"roster workbook bytes"
ROSTER_SHA = hashlib.sha256(ROSTER).hexdigest()
NOW = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)


def _receipt(received_sha: str = ROSTER_SHA, evidence_sha: str = PDF_SHA):
    sheets = valid_sheets(RULES, 26, students=2)
    info = {"名稱": "學生課程學習成果名冊", "名冊別": 26, "SHA": received_sha}
    document = receipt_document(RULES, info, "註冊組長", "1150127", sheets, 26)
    data = build_receipt_zip(
        {"123456_114_0_26_課程學習成果.json": document}, [("f.xlsx", received_sha), (f"{PDF_SHA}.pdf", evidence_sha)], "pw"
    )
    return open_receipt(data, "pw")


STUDENTS = {student_id(0): "S001", student_id(1): "S002"}


def test_a_faithful_receipt_is_verified_and_split_per_student():
    checked = check_receipt(_receipt(), ("f.xlsx", ROSTER_SHA), {PDF_SHA: "a.pdf"}, {PDF_SHA: PDF_SHA}, STUDENTS)
    assert checked.problems == [] and checked.roster_code == 26 and set(checked.students) == {"S001", "S002"}
    assert checked.confirm_deadline == "1150127"


def test_other_bytes_at_the_national_side_are_named():
    checked = check_receipt(_receipt(received_sha="0" * 64), ("f.xlsx", ROSTER_SHA), {}, {}, STUDENTS)
    assert any("f.xlsx" in p and "不同" in p for p in checked.problems)


def test_an_evidence_hash_that_differs_from_its_file_name_is_named():
    checked = check_receipt(_receipt(evidence_sha="1" * 64), ("f.xlsx", ROSTER_SHA), {PDF_SHA: "a.pdf"}, {PDF_SHA: PDF_SHA}, STUDENTS)
    assert any(PDF_SHA in p for p in checked.problems)


def test_evidence_our_store_no_longer_holds_is_named():
    checked = check_receipt(_receipt(), ("f.xlsx", ROSTER_SHA), {PDF_SHA: "a.pdf"}, {}, STUDENTS)
    assert any("本校已無" in p for p in checked.problems)


def test_rows_of_unknown_ids_are_counted_not_shown_to_anyone():
    checked = check_receipt(_receipt(), ("f.xlsx", ROSTER_SHA), {}, {}, {student_id(0): "S001"})
    assert set(checked.students) == {"S001"} and checked.unknown_ids == 1


def test_the_confirmation_window_is_never_under_the_minimum():
    assert confirm_deadline("1150127", NOW, 3) == datetime(2026, 1, 27, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Taipei
    assert confirm_deadline("1150121", NOW, 3) == datetime(2026, 1, 23, 2, 0, tzinfo=UTC)  # national gave < 3 days
    assert confirm_deadline("", NOW, 3) == datetime(2026, 1, 23, 2, 0, tzinfo=UTC)
