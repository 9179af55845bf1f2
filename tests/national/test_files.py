"""Evidence files: extension and content must agree; documents ≤ 4 MB, media ≤ 10 MB."""

from __future__ import annotations

import pytest

from shared.national.files import check_file, sniff
from shared.national.rules import rules_for
from tests.national.samples import MP3, MP4, PDF, PNG

MB = 1024 * 1024


@pytest.mark.parametrize(
    "name,head,size",
    [("a.pdf", PDF, 100), ("b.PNG", PNG, 4 * MB), ("c.jpeg", b"\xff\xd8\xff\xe0", 10), ("d.mp3", MP3, 10 * MB), ("e.mp4", MP4, 5 * MB)],
)
def test_accepted_files(name, head, size):
    assert check_file(rules_for(113), name, size, head) == []


@pytest.mark.parametrize(
    "name,head,size,code",
    [
        ("a.gif", b"GIF89a", 10, "file_type"),
        ("a.exe", b"MZ", 10, "file_type"),
        ("noextension", PDF, 10, "file_type"),
        ("virus.pdf", b"MZ\x90\x00", 10, "file_content"),
        ("photo.png", PDF, 10, "file_content"),
        ("big.pdf", PDF, 4 * MB + 1, "file_size"),
        ("long.mp4", MP4, 10 * MB + 1, "file_size"),
        ("empty.pdf", PDF, 0, "file_empty"),
    ],
)
def test_refused_files(name, head, size, code):
    findings = check_file(rules_for(113), name, size, head)
    assert [f.code for f in findings] == [code]
    assert findings[0].message and findings[0].message_en


def test_sniff_knows_the_five_types():
    assert [sniff(h) for h in (PDF, PNG, b"\xff\xd8\xff", MP3, MP4, b"hello")] == ["pdf", "png", "jpg", "mp3", "mp4", None]
