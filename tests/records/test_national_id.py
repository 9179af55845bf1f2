"""身分證統一編號 / 居留證號 (old and 2021 formats): checksum, masking, encryption at rest, keyed hash."""

from __future__ import annotations

import pytest

from shared.national_id import IdKind, InvalidNationalId, NationalIdCipher, classify, is_valid, mask, with_check_digit


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("A123456789", IdKind.NATIONAL),
        ("a123456789", IdKind.NATIONAL),  # lower case is normalised
        (" F131104093 ", IdKind.NATIONAL),
        ("A800000014", IdKind.RESIDENT_NEW),  # 2021 新式統一證號
        ("AC01234567", IdKind.RESIDENT_OLD),  # 舊式居留證號
        (with_check_digit("FA1234568"), IdKind.RESIDENT_OLD),
        (with_check_digit("Z29876543"), IdKind.NATIONAL),
    ],
)
def test_valid_numbers_are_classified(value, kind):
    assert classify(value) is kind


@pytest.mark.parametrize(
    "value",
    [
        "A123456788",  # wrong check digit
        "A800000015",  # new resident, wrong check digit
        "AC01234568",  # old resident, wrong check digit
        "A323456789",  # second digit 3 is neither gender nor resident
        "AE01234567",  # old resident second letter beyond D
        "123456789",
        "A12345678",
        "A1234567890",
        "",
        "AB1234567X",
    ],
)
def test_invalid_numbers_are_refused(value):
    assert not is_valid(value)
    with pytest.raises(InvalidNationalId):
        classify(value)


def test_every_check_digit_but_one_fails():
    valid = [d for d in "0123456789" if is_valid("A12345678" + d)]
    assert valid == ["9"]


def test_mask_keeps_three_and_three():
    assert mask("A123456789") == "A12****789"
    assert mask("ac01234567") == "AC0****567"


def test_encryption_round_trip_and_keyed_hash():
    cipher = NationalIdCipher("secret-one")
    token = cipher.encrypt("a123456789")
    assert "A123456789" not in token and cipher.decrypt(token) == "A123456789"
    assert cipher.encrypt("A123456789") != token  # randomised
    assert cipher.lookup_hash("A123456789") == cipher.lookup_hash(" a123456789 ")
    other = NationalIdCipher("secret-two")
    assert other.lookup_hash("A123456789") != cipher.lookup_hash("A123456789")
    with pytest.raises(RuntimeError):
        other.decrypt(token)


def test_missing_key_is_refused():
    with pytest.raises(RuntimeError):
        NationalIdCipher("")
