"""HTML + CSS templates to PDF with WeasyPrint, set in Debian's Noto Sans CJK TC (embedded, subset).

WeasyPrint lays out real HTML and CSS (tables that break across pages, running headers, page
numbers, @page A4), so every document is a plain Jinja template any developer can read and change;
the fonts come from the system (fonts-noto-cjk) through fontconfig and are embedded as subsets.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from nameko.extensions import DependencyProvider
from weasyprint import HTML

from services.documents.dates import roc_long, roc_moment, roc_short

TEMPLATES = Path(__file__).resolve().parent / "templates"
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one line per layout step is noise in the logs


def short_sha(value: str | None) -> str:
    """The first and last 8 hex digits of a SHA-256: enough to compare by eye against a file."""
    text = value or ""
    return f"{text[:8]}…{text[-8:]}" if len(text) > 16 else text


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(roc_long=roc_long, roc_short=roc_short, roc_moment=roc_moment, short_sha=short_sha)


def html(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


def pdf(template: str, **context: Any) -> bytes:
    return HTML(string=html(template, **context), base_url=str(TEMPLATES)).write_pdf()


class Warmup(DependencyProvider):
    """Lays out one line of CJK text when the service starts: fontconfig reads the Noto CJK fonts once
    (seconds on a cold machine), so the first student who prints does not wait for it."""

    def setup(self) -> None:
        HTML(string="<p style=\"font-family: 'Noto Sans CJK TC'\">勾選確認單</p>").write_pdf()

    def get_dependency(self, worker_ctx) -> None:
        return None
