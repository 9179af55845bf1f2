"""Identity rules without I/O: password policy, login throttling, bulk-import rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.identity import domain
from shared.errors import ValidationFailed

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
POLICY = domain.ThrottlePolicy(max_failures=3, lock_seconds=600)


@pytest.mark.parametrize("username,password", [("alice", "alice"), ("alice", "ALICE"), ("bob", "aaaaaaaa"), ("bob", "abababab")])
def test_password_policy_rejects_guessable(username, password):
    with pytest.raises(ValidationFailed) as info:
        domain.check_password_policy(username, password)
    assert info.value.errors[0]["code"] == "weak_password"


def test_password_policy_accepts_ordinary_password():
    domain.check_password_policy("alice", "correct-horse-9")


def test_generated_passwords_are_unambiguous_and_unique():
    passwords = {domain.generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert not any(ch in p for p in passwords for ch in "0O1lI")


@pytest.mark.parametrize("failures,locks", [(1, False), (2, False), (3, True), (7, True)])
def test_lock_after_reaches_the_limit(failures, locks):
    assert (domain.lock_after(failures, NOW, POLICY) is not None) == locks


def test_lock_runs_out():
    state = {"locked_until": NOW + timedelta(seconds=60)}
    assert domain.locked_until(state, NOW) == NOW + timedelta(seconds=60)
    assert domain.locked_until(state, NOW + timedelta(seconds=61)) is None
    assert domain.locked_until(None, NOW) is None


def _rows(*rows: tuple[str, str, str, str]) -> list[dict[str, str]]:
    return [{"帳號": u, "姓名": n, "角色": r, "班級": c} for u, n, r, c in rows]


def test_import_accepts_zh_headers_and_role_lists():
    accounts, errors = domain.validate_import(
        _rows(("t001", "王老師", "teacher、homeroom", "101"), ("s001", "林同學", "student", "101")), set()
    )
    assert errors == []
    assert [a.username for a in accounts] == ["t001", "s001"]
    assert set(accounts[0].roles) == {"teacher", "homeroom"}


@pytest.mark.parametrize(
    "row,code",
    [
        (("t001", "王老師", "wizard", "101"), "unknown_role"),
        (("t001", "王老師", "teacher", "901"), "bad_class"),
        (("t001", "王老師", "teacher", "1年1班"), "bad_class"),
        (("t 001", "王老師", "teacher", "101"), "string_pattern_mismatch"),
        (("t001", "", "teacher", "101"), "missing"),
        (("t001", "王老師", "district_admin", "101"), "value_error"),
    ],
)
def test_import_reports_bad_rows(row, code):
    accounts, errors = domain.validate_import(_rows(row), set())
    assert accounts == []
    assert errors and errors[0]["row"] == 2 and errors[0]["code"] == code


def test_import_reports_duplicates_in_file_and_with_existing_accounts():
    accounts, errors = domain.validate_import(
        _rows(("t001", "甲", "teacher", "101"), ("T001", "乙", "teacher", "101"), ("old", "丙", "teacher", "101")), {"old"}
    )
    assert [e["code"] for e in errors] == ["duplicate", "duplicate"]
    assert [e["row"] for e in errors] == [3, 4]


def test_import_refuses_a_file_without_required_columns():
    with pytest.raises(ValidationFailed) as info:
        domain.validate_import([{"帳號": "x", "備註": "y"}], set())
    assert {e["field"] for e in info.value.errors} == {"display_name", "roles"}
