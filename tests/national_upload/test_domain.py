"""Idempotency keys, retry backoff and HTTP classification."""

import pytest

from services.national_upload.domain import RetryPolicy, Verdict, classify_http, idempotency_key, parse_retry_after

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it


def test_idempotency_key_is_stable_and_content_sensitive():
    args = ("A00001", 114, 1, "26", "stu1", "out1", "ab" * 32)
    assert idempotency_key(*args) == idempotency_key(*args)
    assert idempotency_key(*args[:-1], "cd" * 32) != idempotency_key(*args)


@pytest.mark.parametrize(
    "attempt,retry_after,delay", [(1, None, 5), (2, None, 30), (3, None, 30), (4, None, 120), (9, None, 120), (1, 20, 30), (1, 500, 120)]
)
def test_backoff_tiers_honour_retry_after(attempt, retry_after, delay):
    assert RetryPolicy().delay_for(attempt, retry_after) == delay


@pytest.mark.parametrize(
    "status,verdict",
    [
        (200, Verdict.ACCEPTED),
        (201, Verdict.ACCEPTED),
        (422, Verdict.REJECTED),
        (409, Verdict.REJECTED),
        (429, Verdict.RETRY),
        (408, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
    ],
)
def test_http_status_classification(status, verdict):
    assert classify_http(status, None) is verdict


def test_a_key_still_in_progress_is_retried_but_a_reused_key_is_not():
    assert classify_http(409, "in_progress") is Verdict.RETRY
    assert classify_http(409, "idempotency_conflict") is Verdict.REJECTED


def test_retry_after_parsing():
    assert parse_retry_after("7") == 7.0 and parse_retry_after("soon") is None and parse_retry_after(None) is None
