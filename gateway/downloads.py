"""Downloads the blueprints share: one cell rule, one XLSX response, one PDF response."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from flask import Response, request

from shared.disposition import content_disposition
from shared.xlsx import SheetRows, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_cell(value: Any) -> Any:
    """Export cells: lists joined, dicts as JSON, and text that a spreadsheet would run as a formula defused."""
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        value = "'" + value
    return value


def xlsx_response(sheet: str, columns: list[tuple[str, str]], items: Iterable[dict[str, Any]], filename: str) -> Response:
    rows = ([export_cell(item.get(name)) for name, _ in columns] for item in items)
    data = workbook([SheetRows(sheet, [label for _, label in columns], rows)])
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


def pdf_response(result: dict) -> Response:
    """The PDF inline (the browser's viewer prints it); ?download=1 saves it instead."""
    response = Response(base64.b64decode(result["pdf"]), mimetype="application/pdf")
    disposition = content_disposition(result["filename"])
    if request.args.get("download") != "1":
        disposition = disposition.replace("attachment", "inline", 1)
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "private, no-store"
    return response
