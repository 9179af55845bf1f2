"""Import columns that name staff by 帳號 (username) rather than by account id.

A school's file knows its teachers' usernames (they are on the 帳號管理 list and on every password
sheet), never the 32-hex ids records stores. Records cannot ask identity, the gateway can: before an
import job starts, a 導師帳號 / 任課教師帳號 / 課程諮詢教師帳號 column is turned into the id column
records reads. An unknown, disabled or student username stops the file with the row named (nothing is
imported), as a wrong 學號 does. The id columns are still read as they are, for files exported before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.errors import ValidationFailed, field_error

MAX_ROW_ERRORS = 200


@dataclass(frozen=True)
class StaffColumn:
    id_header: str  # the column records reads (account ids)
    header: str  # the column a school writes (usernames)
    many: bool  # several names in one cell, separated by 、 , ; or spaces


STAFF_COLUMNS: dict[str, StaffColumn] = {
    "classes": StaffColumn("導師帳號編號", "導師帳號", many=False),
    "courses": StaffColumn("任課教師帳號編號", "任課教師帳號", many=True),
    "counsellor_assignments": StaffColumn("課程諮詢教師帳號編號", "課程諮詢教師帳號", many=False),
}

_SEPARATORS = re.compile(r"[,;、，；\s]+")


def import_headers(type_key: str, headers: list[str]) -> list[str]:
    """The headers a page offers for the type's file: the username column in place of the id column."""
    column = STAFF_COLUMNS.get(type_key)
    return [column.header if column and h == column.id_header else h for h in headers]


def usernames_in(column: StaffColumn, cell: str) -> list[str]:
    if column.many:
        return [n for n in _SEPARATORS.split(cell.strip()) if n]
    return [cell.strip()] if cell.strip() else []


def resolve_staff(type_key: str, rows: list[dict[str, str]], lookup) -> list[dict[str, str]]:
    """Rows with the username column replaced by the id column. `lookup(usernames)` answers
    {lower-cased username: account id} for the caller's school's enabled staff."""
    column = STAFF_COLUMNS.get(type_key)
    if column is None or not rows:
        return rows
    header = next((h for h in rows[0] if h.strip() == column.header), None)
    if header is None:
        return rows
    wanted = sorted({n for row in rows for n in usernames_in(column, row.get(header) or "")})
    ids = lookup(wanted) if wanted else {}
    errors, resolved = [], []
    for number, row in enumerate(rows, start=2):  # row 1 holds the headers
        names = usernames_in(column, row.get(header) or "")
        missing = [n for n in names if n.lower() not in ids]
        if missing:
            shown = "、".join(missing)
            errors.append(
                {
                    "row": number,
                    **field_error(
                        column.header,
                        f"找不到本校教職員帳號「{shown}」（請填寫帳號管理中的帳號，且帳號未停用）",
                        f"no enabled staff account {shown!r} in this school",
                        "staff_not_found",
                    ),
                }
            )
            continue
        out = {k: v for k, v in row.items() if k != header}
        out[column.id_header] = "、".join(ids[n.lower()] for n in names)
        resolved.append(out)
    if errors:
        raise ValidationFailed(
            f"有 {len(errors)} 列的{column.header}找不到，未匯入任何資料",
            f"{len(errors)} rows name unknown staff accounts; nothing was imported",
            errors[:MAX_ROW_ERRORS],
        )
    return resolved
