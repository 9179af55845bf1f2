"""The student's portfolio PDF for 自行上傳PDF: the chosen items in order, each with a bookmark, its
PDFs embedded page by page and its images scaled onto A4; the caps checked before a file is given.
No I/O: the service fetches the bytes and keeps the result."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from services.documents import render
from services.documents.portfolio_rules import MB, PortfolioRules


@dataclass
class Item:
    """One chosen outcome or performance with its files' bytes (content type, data, filename)."""

    kind: str  # "outcome" | "performance"
    title: str
    lines: list[str]
    files: list[tuple[str, bytes, str]]
    images: list[str] = field(default_factory=list)  # data: URIs after scaling
    pdfs: list[bytes] = field(default_factory=list)
    compressed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    size: int = 0


class OverCap(Exception):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("over cap")
        self.problems = problems


def mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def scale_image(data: bytes, rules: PortfolioRules) -> tuple[bytes, str, bool]:
    """The image as it goes into the PDF: kept when small, else scaled to `image_max_px` and JPEG-encoded."""
    image = Image.open(io.BytesIO(data))
    if max(image.size) <= rules.image_max_px and len(data) <= MB:
        return data, Image.MIME.get(image.format or "", "image/png"), False
    image.thumbnail((rules.image_max_px, rules.image_max_px))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=rules.image_quality, optimize=True)
    return out.getvalue(), "image/jpeg", True


def prepare(item: Item, rules: PortfolioRules) -> Item:
    for content_type, data, filename in item.files:
        if content_type == "application/pdf":
            try:
                PdfReader(io.BytesIO(data), strict=False).pages[0]
            except (PdfReadError, IndexError, ValueError, KeyError):
                item.unreadable.append(filename)
                continue
            item.pdfs.append(data)
            item.size += len(data)
        elif content_type.startswith("image/"):
            try:
                scaled, mime, changed = scale_image(data, rules)
            except (UnidentifiedImageError, OSError):
                item.unreadable.append(filename)
                continue
            if changed:
                item.compressed.append(f"{filename}（{mb(len(data))} → {mb(len(scaled))}）")
            item.images.append(f"data:{mime};base64,{base64.b64encode(scaled).decode()}")
            item.size += len(scaled)
    return item


def check_caps(items: list[Item], rules: PortfolioRules, texts_size: int) -> None:
    """Refuse with what to do: which item is too big, or which to drop to fit the 校系's cap."""
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if item.unreadable:
            problems.append(
                {
                    "index": index,
                    "message": f"第 {index + 1} 項「{item.title}」的檔案無法讀取：{'、'.join(item.unreadable)}，請更換檔案或移除此項",
                }
            )
        if item.size > rules.item_max_bytes.value:
            problems.append(
                {
                    "index": index,
                    "message": f"第 {index + 1} 項「{item.title}」{mb(item.size)}，"
                    f"超過{rules.item_max_bytes.label}，請移除此項或換較小的檔案",
                }
            )
    total = texts_size + sum(i.size for i in items)
    if total > rules.program_max_bytes.value:
        over, drop = total - rules.program_max_bytes.value, []
        for index, item in sorted(enumerate(items), key=lambda pair: -pair[1].size):
            drop.append((index, item))
            over -= item.size
            if over <= 0:
                break
        names = "、".join(f"第 {i + 1} 項「{it.title}」（{mb(it.size)}）" for i, it in sorted(drop))
        problems.append({"index": None, "message": f"合計約 {mb(total)}，超過{rules.program_max_bytes.label}；建議移除：{names}"})
    if problems:
        raise OverCap(problems)


def assemble(cover: dict[str, Any], items: list[Item], rules: PortfolioRules) -> bytes:
    """Cover (and texts), then per item a title page (with its images) and its PDFs' pages; one bookmark per item."""
    writer = PdfWriter()
    front = PdfReader(io.BytesIO(render.pdf("portfolio_cover.html", title="學習歷程檔案", page_numbers=False, **cover)))
    for page in front.pages:
        writer.add_page(page)
    writer.add_outline_item("封面與自述", 0)
    for index, item in enumerate(items, start=1):
        start = len(writer.pages)
        page = render.pdf(
            "portfolio_item.html", title="學習歷程檔案", page_numbers=False, school_name=cover["school_name"], n=index, item=item
        )
        for p in PdfReader(io.BytesIO(page)).pages:
            writer.add_page(p)
        for data in item.pdfs:
            for p in PdfReader(io.BytesIO(data), strict=False).pages:
                writer.add_page(p)
        writer.add_outline_item(f"{index}. {item.title}", start)
    writer.add_metadata({"/Title": f"{cover['student']['name']} 學習歷程檔案", "/Author": cover["student"]["name"]})
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
