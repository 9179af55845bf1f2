"""Invitation codes: typed as printed in any case with spaces or dashes, hashed with the key, aging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.identity import invitation_codes as codes

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def test_a_code_avoids_look_alike_characters_and_prints_in_groups_of_four():
    code = codes.new_code()
    assert len(code) == 12 and not set(code) & set("01OIL")
    assert codes.shown(code).count("-") == 2 and codes.normalise(codes.shown(code)) == code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("K7QM-3XPA-9RTC", "K7QM3XPA9RTC"),
        ("k7qm 3xpa 9rtc", "K7QM3XPA9RTC"),
        (" K7QM3XPA9RTC ", "K7QM3XPA9RTC"),
        ("K7QM-3XPA-9RT", ""),  # too short
        ("K7QM-3XPA-9RT0", ""),  # 0 is never in a code
        ("", ""),
    ],
)
def test_typing_is_forgiving_but_only_a_whole_code_counts(typed, stored):
    assert codes.normalise(typed) == stored


def test_the_hash_depends_on_the_key():
    assert codes.code_hash("key-a", "K7QM3XPA9RTC") != codes.code_hash("key-b", "K7QM3XPA9RTC")
    assert codes.code_hash("key-a", "K7QM3XPA9RTC") == codes.code_hash("key-a", "K7QM3XPA9RTC")
    with pytest.raises(RuntimeError):
        codes.code_hash("", "K7QM3XPA9RTC")


@pytest.mark.parametrize(
    ("doc", "state"),
    [
        ({"expires_at": NOW + timedelta(days=1)}, "pending"),
        ({"expires_at": (NOW - timedelta(seconds=1)).replace(tzinfo=None)}, "expired"),  # as the store keeps it (naive UTC)
        ({"expires_at": NOW + timedelta(days=1), "revoked_at": NOW}, "revoked"),
        ({"expires_at": NOW - timedelta(days=1), "used_at": NOW}, "used"),
    ],
)
def test_an_invitations_state(doc, state):
    assert codes.state_of(doc, NOW) == state and state in codes.STATE_NAMES
