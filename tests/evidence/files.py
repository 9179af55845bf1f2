"""Small sample files of every accepted type, and impostors."""

from __future__ import annotations

import hashlib


def pdf(size: int = 2048) -> bytes:
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    return head + b"0" * (size - len(head))


def png(size: int = 2048) -> bytes:
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    return head + b"\x01" * (size - len(head))


def jpeg(size: int = 2048) -> bytes:
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    return head + b"\x02" * (size - len(head))


def mp4(size: int = 4096) -> bytes:
    head = b"\x00\x00\x00\x18ftypmp42"
    return head + b"\x03" * (size - len(head))


def exe(size: int = 2048) -> bytes:
    head = b"MZ\x90\x00\x03\x00\x00\x00"
    return head + b"\x00" * (size - len(head))


def html(size: int = 2048) -> bytes:
    head = b"<!DOCTYPE html><html><script>alert(1)</script>"
    return head + b" " * (size - len(head))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
