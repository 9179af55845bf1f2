"""身分證 / 居留證 format and checksum (interim copy; see shared/national/ids.py)."""

from __future__ import annotations

import pytest

from shared.national.ids import id_kind, mask, with_check_digit


@pytest.mark.parametrize(
    "text,kind", [("A123456789", "national"), ("F231256781", "national"), ("A800000005", "resident"), ("AC01234567", "resident")]
)
def test_valid_ids(text, kind):
    assert id_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    ["a123456789", "A123456788", "A323456789", "A12345678", "A1234567890", "1123456789", "AE01234567", "A12345678X", "", "Ａ123456789"],
)
def test_invalid_ids(text):
    assert id_kind(text) is None


def test_check_digit_helper_and_mask():
    assert id_kind(with_check_digit("B20000000")) == "national"
    assert mask("A123456789") == "A12****789"
