"""收訖明細: a password-protected ZIP of JSON documents with SHA.txt; one changed byte is caught."""

from __future__ import annotations

import io
import zipfile

import pytest

from shared.national.receipt import (
    ReceiptError,
    build_receipt_zip,
    document_name,
    open_receipt,
    receipt_document,
    sha256_hex,
    verify_receipt,
)
from shared.national.rules import rules_for
from tests.national.samples import PDF_SHA, valid_sheets

RULES = rules_for(113)
ROSTER_BYTES = b"pretend xlsx bytes"
ROSTER_NAME = "123456_113_0_26_20250121_00_05_09.xlsx"


def _receipt(password: str = "pw-123") -> bytes:
    sheets = valid_sheets(RULES, 26)
    info = {"名稱": "學生課程學習成果名冊", "SHA": sha256_hex(ROSTER_BYTES)}
    document = receipt_document(RULES, info, "註冊組長", "1140125", sheets, 26)
    name = document_name("123456", 113, 0, 26, "課程學習成果")
    return build_receipt_zip({name: document}, [(ROSTER_NAME, sha256_hex(ROSTER_BYTES)), (f"{PDF_SHA}.pdf", PDF_SHA)], password)


def test_receipt_opens_with_its_password_and_matches_what_was_sent():
    receipt = open_receipt(_receipt(), "pw-123")
    assert verify_receipt(receipt, {ROSTER_NAME: sha256_hex(ROSTER_BYTES), f"{PDF_SHA}.pdf": PDF_SHA}) == []
    (document,) = receipt.documents().values()
    assert document["名冊資訊"][0]["SHA"] == sha256_hex(ROSTER_BYTES) and document["開放確認期限"] == "1140125"
    students = document["課程學習成果"]
    assert len(students) == 2 and set(students[0]) == {"身分證號", "出生日期", *RULES.roster(26).sheet_names}
    record = students[0]["學期課程學習成果"][0]
    assert "身分證號" not in record and record["成果檔案"] == PDF_SHA


def test_the_zip_is_encrypted():
    with zipfile.ZipFile(io.BytesIO(_receipt())) as archive:
        assert all(info.flag_bits & 0x1 for info in archive.infolist())
    with pytest.raises(ReceiptError):
        open_receipt(_receipt(), "wrong")


def test_one_changed_byte_in_a_document_is_detected():
    receipt = open_receipt(_receipt(), "pw-123")
    name = next(iter(receipt.files))
    data = bytearray(receipt.files[name])
    data[10] ^= 0x01
    receipt.files[name] = bytes(data)
    assert verify_receipt(receipt) == [f"{name}: SHA-256 differs from SHA.txt"]


def test_one_changed_byte_in_the_archive_is_detected():
    data = bytearray(_receipt())
    data[len(data) // 3] ^= 0x01
    with pytest.raises(ReceiptError):
        receipt = open_receipt(bytes(data), "pw-123")
        assert verify_receipt(receipt) == []


def test_what_we_sent_must_be_what_they_received():
    receipt = open_receipt(_receipt(), "pw-123")
    problems = verify_receipt(receipt, {ROSTER_NAME: sha256_hex(b"other bytes"), "missing.pdf": "0" * 64})
    assert problems == [
        f"{ROSTER_NAME}: the national side received other bytes than we sent",
        "missing.pdf: what we sent is not in the receipt",
    ]
