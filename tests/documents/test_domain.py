"""The documents' rules without a server: 民國 dates, the 確認單 fingerprint, class progress rows,
readable receipts, the portfolio's caps and image scaling."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from services.documents import confirmation, portfolio, progress, receipts
from services.documents.dates import roc_long, roc_moment, roc_short
from services.documents.portfolio_rules import DEFAULT, MB


def test_roc_dates():
    assert roc_long(date(2026, 12, 1)) == "中華民國 115 年 12 月 1 日"
    assert roc_short("1150915") == "115/09/15"
    assert roc_short(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == "115/12/01"  # Taipei is 8 hours ahead
    assert roc_moment("2026-12-01T01:30:00+00:00") == "115/12/01 09:30"
    assert roc_long(None) == ""


def _outcome(**changes):
    base = {
        "id": "o1",
        "course_name": "國語文",
        "summary": "報告",
        "state": "certified",
        "selected": True,
        "teacher_ids": ["t1"],
        "evidence_ids": ["e1"],
        "history": [{"action": "certify", "at": "2026-10-01T02:00:00+00:00"}],
    }
    return {**base, **changes}


def test_the_sheet_lists_only_ticked_certified_outcomes_and_its_fingerprint_follows_the_content():
    evidence = {"e1": {"filename": "報告.pdf", "sha256": "a" * 64}}
    student = {"student_id": "S001", "name": "學生1", "class_code": "101", "seat_no": 1}
    sheet = confirmation.sheet(student, [_outcome(), _outcome(id="o2", selected=False)], [], evidence, {"t1": "王老師"}, 115, 1)
    assert [o["teachers"] for o in sheet["outcomes"]] == ["王老師"]
    same = confirmation.sheet(student, [_outcome()], [], evidence, {"t1": "王老師"}, 115, 1)
    assert confirmation.fingerprint(sheet) == confirmation.fingerprint({**same, "version": 9, "printed_at": "later"})
    replaced = {"e1": {"filename": "報告.pdf", "sha256": "b" * 64}}
    assert confirmation.fingerprint(sheet) != confirmation.fingerprint(
        confirmation.sheet(student, [_outcome()], [], replaced, {"t1": "王老師"}, 115, 1)
    )


def test_progress_rows_say_what_is_missing():
    rows, totals = progress.rows(
        [
            {"id": "S001", "name": "甲", "outcomes": [_outcome()], "performance_ids": ["p"]},
            {"id": "S002", "name": "乙", "outcomes": [], "performance_ids": []},
            {"id": "S003", "name": "丙", "outcomes": [_outcome(state="draft", selected=False)], "performance_ids": []},
        ]
    )
    assert [r["missing"] for r in rows] == ["—", "尚未上傳", "尚無已認證成果、1 件未送出"]
    assert totals == {"not_uploaded": 1, "certified": 1, "ticked": 1}


def test_receipt_values_read_as_names_dates_and_titles():
    files = {"c" * 64: "期末報告.pdf"}
    assert receipts.readable("出生日期", "0980301", 115, files) == "98/03/01"
    assert receipts.readable("性別代碼", "1", 115, files) == "男（1）"
    assert receipts.readable("成果檔案", "c" * 64 + ".pdf", 115, files) == "期末報告.pdf"
    assert receipts.readable("成果檔案", "d" * 64, 115, files) == "（本校已無此檔案）"


def _item(title: str, size: int) -> portfolio.Item:
    return portfolio.Item(kind="outcome", title=title, lines=[], files=[], size=size)


def test_caps_name_the_item_too_big_and_what_to_drop():
    with pytest.raises(portfolio.OverCap) as over:
        portfolio.check_caps([_item("甲", 6 * MB), _item("乙", 1 * MB)], DEFAULT, 0)
    assert "第 1 項「甲」" in over.value.problems[0]["message"] and "5 MB" in over.value.problems[0]["message"]
    with pytest.raises(portfolio.OverCap) as over:
        portfolio.check_caps([_item("甲", 4 * MB), _item("乙", int(4.5 * MB)), _item("丙", 3 * MB)], DEFAULT, 0)
    message = over.value.problems[-1]["message"]
    assert "10 MB" in message and "第 2 項「乙」" in message and "甲" not in message
    portfolio.check_caps([_item("甲", 4 * MB), _item("乙", 4 * MB)], DEFAULT, MB)  # 9 MB: fits


def test_large_images_are_scaled_small_ones_kept():
    out = io.BytesIO()
    Image.frombytes("RGB", (2400, 1200), os.urandom(2400 * 1200 * 3)).save(out, "PNG")
    scaled, mime, changed = portfolio.scale_image(out.getvalue(), DEFAULT)
    assert changed and mime == "image/jpeg" and max(Image.open(io.BytesIO(scaled)).size) == DEFAULT.image_max_px
    small = io.BytesIO()
    Image.new("RGB", (100, 100)).save(small, "PNG")
    assert portfolio.scale_image(small.getvalue(), DEFAULT)[2] is False
