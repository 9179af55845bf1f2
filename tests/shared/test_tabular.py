"""Import files: good CSV/XLSX read into rows; malformed files refused before any row is used."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from shared.errors import PayloadTooLarge, ValidationFailed
from shared.tabular import MAX_ROWS, read_table


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_with_bom_and_big5_are_read():
    assert read_table("a.csv", "\ufeff帳號,姓名\nt1,王\n".encode()) == [{"帳號": "t1", "姓名": "王"}]
    assert read_table("a.csv", "帳號,姓名\nt1,王小明\n".encode("cp950")) == [{"帳號": "t1", "姓名": "王小明"}]


def test_xlsx_numbers_become_text():
    rows = read_table("a.XLSX", _xlsx([["帳號", "班級"], ["t1", 101], [None, None]]))
    assert rows == [{"帳號": "t1", "班級": "101"}]


@pytest.mark.parametrize(
    "name,data",
    [
        ("a.xlsx", b"PK\x03\x04 not really a zip"),
        ("a.xlsx", b"hello"),
        ("a.csv", b"\xff\xfe\x00\x00garbage\x00"),
        ("a.csv", b""),
        ("a.csv", "帳號,帳號\n1,2\n".encode()),
        ("a.txt", b"a,b\n"),
        ("a.csv", b'a,b\n"unterminated\n'),
    ],
)
def test_malformed_files_are_refused(name, data):
    with pytest.raises(ValidationFailed):
        read_table(name, data)


def test_too_many_rows_is_refused():
    data = ("u\n" + "x\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(PayloadTooLarge):
        read_table("a.csv", data)
