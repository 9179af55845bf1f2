"""Minimal 身分證統一編號 / 居留證 (統一證號) check for national rosters.

Interim: shared/national_id.py (written in parallel) is meant to be the one place for this; merge the
two and keep the tests of both. Formats: 身分證 = letter + 1|2 + 8 digits; new 居留證 (2021) =
letter + 8|9 + 8 digits; old 居留證 = letter + A–D + 8 digits. All use the same weighted checksum.
"""

from __future__ import annotations

import re

# Letter -> two-digit number, per the Ministry of the Interior's table (I, O, W, X, Y, Z are out of order).
LETTER_VALUES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18, "K": 19, "L": 20, "M": 21,
    "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)
_NATIONAL = re.compile(r"^[A-Z][12]\d{8}$")
_RESIDENT_NEW = re.compile(r"^[A-Z][89]\d{8}$")
_RESIDENT_OLD = re.compile(r"^[A-Z][A-D]\d{8}$")


def _checksum_ok(first: str, second_digit: int, rest: str) -> bool:
    value = LETTER_VALUES[first]
    total = value // 10 + (value % 10) * 9 + second_digit * _WEIGHTS[0]
    total += sum(int(d) * w for d, w in zip(rest, _WEIGHTS[1:], strict=True))
    return total % 10 == 0


def id_kind(text: str) -> str | None:
    """'national' (身分證), 'resident' (居留證), or None when the format or checksum is wrong.

    The first letter must already be upper case, as the national rosters require.
    """
    if _NATIONAL.match(text) or _RESIDENT_NEW.match(text):
        ok = _checksum_ok(text[0], int(text[1]), text[2:])
        return ("national" if text[1] in "12" else "resident") if ok else None
    if _RESIDENT_OLD.match(text):
        return "resident" if _checksum_ok(text[0], LETTER_VALUES[text[1]] % 10, text[2:]) else None
    return None


def with_check_digit(prefix: str) -> str:
    """Complete a 9-character prefix (letter + 8 characters) with its check digit; for test data."""
    for digit in "0123456789":
        if id_kind(prefix + digit):
            return prefix + digit
    raise ValueError(f"no check digit completes {prefix!r}")


def mask(text: str) -> str:
    """A12****789 style, for logs and messages."""
    return text[:3] + "*" * max(0, len(text) - 6) + text[-3:] if len(text) > 6 else "*" * len(text)
