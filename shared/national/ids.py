"""身分證統一編號 / 居留證 (統一證號) as the national rosters take them.

The checks themselves live in shared.national_id (one implementation); rosters add that the value must be
written exactly (upper case, no spaces). Formats: 身分證 = letter + 1|2 + 8 digits; new 居留證 (2021) =
letter + 8|9 + 8 digits; old 居留證 = letter + A–D + 8 digits; one weighted checksum for all.
"""

from __future__ import annotations

from shared.national_id import IdKind, InvalidNationalId, classify, mask, normalise, with_check_digit

__all__ = ["id_kind", "mask", "with_check_digit"]


def id_kind(text: str) -> str | None:
    """'national' (身分證), 'resident' (居留證), or None when the format or checksum is wrong.

    The checks are shared.national_id's; rosters also need the value exactly as written (upper case, no spaces).
    """
    if text != normalise(text):
        return None
    try:
        return "national" if classify(text) is IdKind.NATIONAL else "resident"
    except InvalidNationalId:
        return None
