"""Evidence files the national side accepts: type by extension AND content, size by kind."""

from __future__ import annotations

from shared.national.findings import Finding
from shared.national.rules import YearRules


def sniff(head: bytes) -> str | None:
    """The file type the first bytes show: pdf, png, jpg, mp3 or mp4 (None when none of these)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    return None


_SAME_TYPE = {"jpeg": "jpg"}


def check_file(rules: YearRules, filename: str, size: int, head: bytes, where: str = "") -> list[Finding]:
    """Findings for one file: an allowed extension, content that matches it, within its kind's size."""
    kind = rules.file_kind_for(filename)
    allowed = ", ".join(e.upper() for k in rules.file_kinds() for e in k.extensions if e != "jpeg")
    if kind is None:
        return [
            Finding(
                "file_type",
                f"檔案類型不符：只接受 {allowed}",
                f"file type not accepted: only {allowed}",
                column=where,
                value=filename,
            )
        ]
    extension = filename.rsplit(".", 1)[-1].lower()
    seen = sniff(head)
    if seen != _SAME_TYPE.get(extension, extension):
        return [
            Finding(
                "file_content",
                f"檔案內容與副檔名 .{extension} 不符",
                f"the file's content does not match its extension .{extension}",
                column=where,
                value=filename,
            )
        ]
    if size <= 0:
        return [Finding("file_empty", "檔案是空的", "the file is empty", column=where, value=filename)]
    if size > kind.max_bytes:
        mb = kind.max_bytes // (1024 * 1024)
        label = "文件" if kind.name == "document" else "影音檔"
        return [
            Finding(
                "file_size",
                f"{label}不可超過 {mb} MB",
                f"a {kind.name} file may not exceed {mb} MB",
                column=where,
                value=f"{filename} ({size} bytes)",
            )
        ]
    return []
