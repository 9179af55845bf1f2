"""shared/xlsx.py: what it writes is what openpyxl (and so Excel's format) reads back."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from shared.xlsx import SheetRows, workbook


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_values_text_numbers_header_and_frozen_pane_read_back():
    rows = [["S001", "0800116", 85, 72.5, None], ["  前後空白 ", "a & b <c>", 0, -1, "第一行\n第二行"]]
    data = workbook([SheetRows("成績", ["學號", "日期", "分數", "平均", "備註"], rows)])
    ws = _book(data)["成績"]
    assert [c.value for c in ws[1]] == ["學號", "日期", "分數", "平均", "備註"] and ws["A1"].font.b
    assert [c.value for c in ws[2]] == ["S001", "0800116", 85, 72.5, None]
    assert [c.value for c in ws[3]] == ["  前後空白 ", "a & b <c>", 0, -1, "第一行\n第二行"]
    assert ws.freeze_panes == "A2" and ws["C2"].data_type == "n" and ws["B2"].data_type == "s"


def test_text_sheets_keep_every_cell_text_in_the_text_format():
    data = workbook([SheetRows("封面", ["學年度"], [[114]], as_text=True), SheetRows("名冊", ["代碼"], [["01"], [7]], as_text=True)])
    book = _book(data)
    assert book.sheetnames == ["封面", "名冊"]
    assert book["封面"]["A2"].value == "114" and book["名冊"]["A2"].value == "01" and book["名冊"]["A3"].value == "7"
    assert book["名冊"]["A2"].number_format == "@" and book["名冊"]["A1"].number_format == "@"


def test_characters_xml_cannot_carry_are_dropped_and_names_are_cut_and_escaped():
    name = '「特殊」名稱 & "引號" 很長很長很長很長很長很長很長很長很長很長很長'
    data = workbook([SheetRows(name, ["x"], [["a\x00b\x1fc"]])])
    book = _book(data)
    assert book.sheetnames == [name[:31]] and book.worksheets[0]["A2"].value == "abc"


def test_the_same_rows_give_the_same_bytes_and_a_big_sheet_is_one_pass():
    rows = [[f"s{n:05d}", n, "國語文"] for n in range(30_000)]
    first = workbook([SheetRows("成績", ["學號", "序", "科目"], rows)])
    assert first == workbook([SheetRows("成績", ["學號", "序", "科目"], iter(rows))])
    assert zipfile.ZipFile(io.BytesIO(first)).testzip() is None
    ws = load_workbook(io.BytesIO(first), read_only=True).worksheets[0]
    assert sum(1 for _ in ws.iter_rows(values_only=True)) == 30_001
