"""Reading generated PDFs back the way a reviewer would: poppler-utils' pdftotext, pdfinfo, pdffonts, pdftoppm."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _run(*args: str, data: bytes) -> str:
    """Runs a poppler tool on the PDF in a temporary file (named where "{}" stands)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(data)
        pdf.flush()
        command = [pdf.name if a == "{}" else a for a in args]
        return subprocess.run(command, capture_output=True, check=True).stdout.decode()


def text(data: bytes) -> str:
    return _run("pdftotext", "-layout", "{}", "-", data=data)


def flat(data: bytes) -> str:
    """The text in content order with all white space removed: a table cell wrapped over lines reads whole."""
    return "".join(_run("pdftotext", "-raw", "{}", "-", data=data).split())


def info(data: bytes) -> dict[str, str]:
    out = _run("pdfinfo", "{}", data=data)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


def fonts(data: bytes) -> list[dict[str, str]]:
    """One row per font: name and whether it is embedded (emb) — pdffonts' columns."""
    lines = _run("pdffonts", "{}", data=data).splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object ID: the last five columns are fixed
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return rows


def check_printable(data: bytes) -> str:
    """A4, every font embedded, some CJK font among them; returns the text."""
    assert data[:5] == b"%PDF-", data[:20]
    meta = info(data)
    assert "(A4)" in meta["Page size"], meta["Page size"]
    used = fonts(data)
    assert used and all(f["emb"] == "yes" for f in used), used
    assert any("CJK" in f["name"] for f in used), used
    return text(data)


def page_png(data: bytes, name: str, page: int = 1) -> Path:
    """Page `page` as var/screenshots/<name>.png (for review; the test looks at the file too)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / name
    _run("pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", "{}", str(target), data=data)
    return target.with_suffix(".png")
