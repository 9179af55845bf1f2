"""身分證統一編號 and 居留證號: checksum validation, masking, encryption at rest, keyed lookup hash.

docs/architecture.md §4: the number is validated, encrypted at rest (Fernet), masked everywhere
(A12****789), and appears in clear only in the national roster. A keyed HMAC of the normalised
number lets a store index and unique-check it without holding it in clear.

Both the Fernet key and the HMAC key are derived from the one secret `LICHENG_FIELD_KEY`
(Settings.field_key) with distinct labels, so one secret never serves two purposes directly.
"""

from __future__ import annotations

import re
from enum import StrEnum

from shared.crypto import FieldCipher

# Letter -> two-digit area code (the official table; I, O, W, X, Y, Z are out of order).
_LETTER_CODES: dict[str, int] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18, "K": 19, "L": 20, "M": 21,
    "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1)  # for the 2nd..9th positions; the check digit has weight 1

_NATIONAL = re.compile(r"^[A-Z][12][0-9]{8}$")
_RESIDENT_NEW = re.compile(r"^[A-Z][89][0-9]{8}$")  # 新式統一證號 (from 2021)
_RESIDENT_OLD = re.compile(r"^[A-Z][A-D][0-9]{8}$")  # 舊式居留證號


class IdKind(StrEnum):
    NATIONAL = "national"  # 身分證統一編號
    RESIDENT_NEW = "resident_new"  # 新式外來人口統一證號 (2021)
    RESIDENT_OLD = "resident_old"  # 舊式居留證統一證號


class InvalidNationalId(ValueError):
    """Raised with a zh-TW|English message, the form shared.validation understands."""


def normalise(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def _checksum_ok(letter: str, second_digit: int, rest: str) -> bool:
    code = _LETTER_CODES[letter]
    total = (code // 10) * 1 + (code % 10) * 9 + second_digit * _WEIGHTS[0]
    total += sum(int(d) * w for d, w in zip(rest[:7], _WEIGHTS[1:], strict=True))
    total += int(rest[7])
    return total % 10 == 0


def classify(value: str) -> IdKind:
    """The kind of a valid number; raises InvalidNationalId (format or checksum)."""
    text = normalise(value)
    if _NATIONAL.match(text) or _RESIDENT_NEW.match(text):
        kind = IdKind.NATIONAL if text[1] in "12" else IdKind.RESIDENT_NEW
        second = int(text[1])
    elif _RESIDENT_OLD.match(text):
        kind = IdKind.RESIDENT_OLD
        second = _LETTER_CODES[text[1]] % 10  # the old format uses the units digit of the 2nd letter's code
    else:
        raise InvalidNationalId(
            "身分證號或居留證號格式不正確（1 個英文字母加 9 碼）|"
            "not a national ID or resident certificate number (a letter and 9 characters)"
        )
    if not _checksum_ok(text[0], second, text[2:]):
        raise InvalidNationalId("身分證號或居留證號檢查碼錯誤|the check digit is wrong")
    return kind


def is_valid(value: str) -> bool:
    try:
        classify(value)
    except InvalidNationalId:
        return False
    return True


def mask(value: str) -> str:
    """A12****789: the first three and last three characters stay visible."""
    text = normalise(value)
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 6) + text[-3:]


def with_check_digit(first9: str) -> str:
    """Complete a letter + 8 characters with its check digit (seed data and tests)."""
    text = normalise(first9)
    second = int(text[1]) if text[1].isdigit() else _LETTER_CODES[text[1]] % 10
    for digit in "0123456789":
        if _checksum_ok(text[0], second, text[2:] + digit):
            return text + digit
    raise ValueError(first9)  # pragma: no cover - one digit always fits


class NationalIdCipher(FieldCipher):
    """The field cipher for ID numbers: the value is normalised first, so A123… and a123… are one ID."""

    def encrypt(self, value: str) -> str:
        return super().encrypt(normalise(value))

    def lookup_hash(self, value: str) -> str:
        return super().lookup_hash(normalise(value))
