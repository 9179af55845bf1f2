"""Retention rules of archived portfolios (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from services.backup import retention
from shared.errors import ValidationFailed
from shared.validation import parse

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it


@pytest.mark.parametrize(
    ("left_on", "years", "after"),
    [
        (date(2024, 6, 30), 1, date(2025, 6, 30)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),  # a leap day falls to 28 February
        (date(2024, 6, 30), 0, date(2024, 6, 30)),  # 0 years: due the day they left
    ],
)
def test_purge_after(left_on, years, after):
    assert retention.purge_after(left_on, years) == after


def test_split_due_keeps_the_not_yet_due_apart_with_their_dates():
    archived = [{"student_id": "A", "left_on": "2024-06-30"}, {"student_id": "B", "left_on": "2025-06-30"}]
    due, waiting = retention.split_due(archived, 1, date(2025, 6, 29))
    assert due == [] and [w["purge_after"] for w in waiting] == ["2025-06-30", "2026-06-30"]
    due, waiting = retention.split_due(archived, 1, date(2025, 6, 30))
    assert [d["student_id"] for d in due] == ["A"] and [w["student_id"] for w in waiting] == ["B"]


@pytest.mark.parametrize("body", [{"retention_years": -1}, {"retention_years": 31}, {"retention_years": "many"}, {}, {"years": 1}])
def test_retention_setting_refuses_bad_values(body):
    with pytest.raises(ValidationFailed):
        parse(retention.RetentionIn, body)


@pytest.mark.parametrize("body", [{"student_ids": ["../x"]}, {"dry_run": "perhaps"}, {"student_ids": "S1"}])
def test_purge_request_refuses_bad_values(body):
    with pytest.raises(ValidationFailed):
        parse(retention.PurgeIn, body)


def test_totals_read_each_services_counts():
    counts = {
        "records": {"students": 1, "clubs": 2, "audit": 5, "competition_results": 1},
        "certification": {"outcomes": 3, "audit": 4},
        "evidence": {"evidence": 2, "object_versions": 3, "delete_markers": 1, "bytes": 10, "audit": 2},
    }
    assert retention.totals(counts) == {
        "records": 3,
        "outcomes": 3,
        "evidence_files": 2,
        "object_versions": 3,
        "delete_markers": 1,
        "bytes": 10,
        "audit_entries": 11,
    }
