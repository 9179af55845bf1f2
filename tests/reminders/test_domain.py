"""Reminder rules without I/O: which days a deadline speaks, the keys, the unsubscribe tokens, the throttle."""

from __future__ import annotations

from datetime import date

import pytest

from services.reminders import compose
from services.reminders.domain import (
    Mail,
    Reason,
    TokenBucket,
    WorkLeft,
    daily_run_due,
    deadline_mark,
    idempotency_key,
    read_unsubscribe_token,
    unsubscribe_token,
)

pytestmark = pytest.mark.unit

DEADLINE = date(2027, 1, 20)


@pytest.mark.parametrize(("today", "mark"), [(date(2027, 1, 13), 7), (date(2027, 1, 17), 3), (date(2027, 1, 19), 1)])
def test_a_deadline_speaks_seven_three_and_one_days_before(today, mark):
    assert deadline_mark(DEADLINE, today) == mark


@pytest.mark.parametrize("today", [date(2027, 1, 12), date(2027, 1, 14), date(2027, 1, 18), date(2027, 1, 20), date(2027, 1, 21)])
def test_other_days_and_the_deadline_itself_are_quiet(today):
    assert deadline_mark(DEADLINE, today) is None
    assert deadline_mark(None, today) is None


def test_one_key_per_recipient_reason_mark_and_day():
    key = idempotency_key("S1", "a1", Reason.UPLOAD_DEADLINE, "7", DEADLINE)
    assert key == idempotency_key("S1", "a1", Reason.UPLOAD_DEADLINE, "7", DEADLINE)
    others = {
        idempotency_key("S2", "a1", Reason.UPLOAD_DEADLINE, "7", DEADLINE),
        idempotency_key("S1", "a2", Reason.UPLOAD_DEADLINE, "7", DEADLINE),
        idempotency_key("S1", "a1", Reason.RECEIPT_DEADLINE, "7", DEADLINE),
        idempotency_key("S1", "a1", Reason.UPLOAD_DEADLINE, "3", DEADLINE),
        idempotency_key("S1", "a1", Reason.UPLOAD_DEADLINE, "7", date(2027, 1, 21)),
    }
    assert key not in others and len(others) == 5
    mail = Mail("S1", "a1", "x@y.test", "王小明", Reason.UPLOAD_DEADLINE, "7", DEADLINE, "s", "b")
    assert mail.key == key


def test_unsubscribe_tokens_name_one_account_and_cannot_be_forged():
    token = unsubscribe_token("secret", "S1", "acct-1")
    assert read_unsubscribe_token("secret", token) == ("S1", "acct-1")
    assert read_unsubscribe_token("another secret", token) is None
    raw, signature = token.split(".")
    forged = unsubscribe_token("secret", "S1", "acct-2").split(".")[0] + "." + signature
    assert read_unsubscribe_token("secret", forged) is None
    for bad in ("", ".", "abc", "a.b.c", raw, "%%%." + signature, "x" * 400, None, 12):
        assert read_unsubscribe_token("secret", bad) is None  # type: ignore[arg-type]


def test_work_left_is_nothing_submitted_a_draft_or_a_returned_outcome():
    assert WorkLeft.of(None).any and WorkLeft.of(None).lines() == ["本學期尚未上傳任何課程學習成果"]
    assert not WorkLeft.of({"done": 2}).any
    assert WorkLeft.of({"done": 1, "drafts": 1}).lines() == ["有 1 件草稿尚未送出認證"]
    assert WorkLeft.of({"done": 1, "returned": 2}).lines() == ["有 2 件被老師退回，待修改後再送出"]


def test_the_throttle_spaces_sends_evenly():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    bucket = TokenBucket(120, lambda: now[0], sleep)
    for _ in range(4):
        bucket.wait()
    assert slept == [0.5, 0.5, 0.5]


def test_every_letter_is_zh_tw_with_roc_dates_and_the_way_out():
    letter = compose.upload_deadline(
        "王小明", DEADLINE, 3, WorkLeft(returned=1), "https://licheng.test", "https://licheng.test/mail/unsubscribe/t"
    )
    assert "116/01/20" in letter.subject and "3 天" in letter.subject
    assert "王小明 同學您好" in letter.body and "/mail/unsubscribe/t" in letter.body and "2027" not in letter.body
    ops = compose.operations("註冊組長", ["國教署上傳目前為暫停狀態"], "https://licheng.test", "u")
    assert "（1 項）" in ops.subject and "・國教署上傳目前為暫停狀態" in ops.body


def test_the_daily_run_starts_at_its_hour_and_can_be_turned_off():
    assert not daily_run_due(6, 7) and daily_run_due(7, 7) and daily_run_due(23, 7)
    assert not daily_run_due(12, -1)
