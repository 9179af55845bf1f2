"""收訖明細 (receipts): checking what the national side says it received, and what each student sees.

A receipt is checked byte for byte: every JSON document against SHA.txt, the roster file and every
evidence file against the SHA-256 we sent (and that the evidence service still holds). Then its
records are split per student (身分證號 -> 學號) for the students to confirm or to report an error
within the confirmation window (at least `receipt_check_min_days`). No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.clock import parse_roc_date
from shared.national.receipt import Receipt, verify_receipt

EVIDENCE_NAME_SEPARATOR = "."  # the national side names a file "<sha256>.<extension>"


@dataclass
class CheckedReceipt:
    roster_code: int | None
    problems: list[str] = field(default_factory=list)
    students: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # 學號 -> records held
    unknown_ids: int = 0  # rows whose 身分證號 is not one of our students
    confirm_deadline: str = ""  # the national side's 開放確認期限, as given


def check_receipt(
    receipt: Receipt,
    sent_roster: tuple[str, str] | None,
    sent_evidence: dict[str, str],
    held_evidence: dict[str, str],
    student_of_id: dict[str, str],
) -> CheckedReceipt:
    """`sent_roster`: (file name, sha256) we sent; `sent_evidence`: sha256 -> file name we sent;
    `held_evidence`: sha256 -> sha256 the evidence service holds now (missing = no longer held)."""
    sent: dict[str, str] = {}
    if sent_roster:
        sent[sent_roster[0]] = sent_roster[1]
    listed_evidence = {name.split(EVIDENCE_NAME_SEPARATOR, 1)[0]: name for name in receipt.hashes if _is_sha(name.split(".", 1)[0])}
    for sha in sent_evidence:
        if sha in listed_evidence:
            sent[listed_evidence[sha]] = sha
    problems = [_zh(p) for p in verify_receipt(receipt, sent)]
    for name, listed in receipt.hashes.items():
        stem = name.split(EVIDENCE_NAME_SEPARATOR, 1)[0]
        if _is_sha(stem) and listed != stem:
            problems.append(f"{name}：收訖雜湊與檔名不符 / the listed hash differs from the file's own")
        if _is_sha(stem) and stem in sent_evidence and held_evidence.get(stem) != stem:
            problems.append(f"{name}：本校已無相同內容的檔案 / our evidence store no longer holds these bytes")
    checked = CheckedReceipt(roster_code=None, problems=problems)
    for document in receipt.documents().values():
        info = (document.get("名冊資訊") or [{}])[0]
        checked.roster_code = int(info.get("名冊別") or 0) or None
        checked.confirm_deadline = str(document.get("開放確認期限") or "")
        for key, value in document.items():
            if key in ("名冊資訊", "上傳人員", "開放確認期限") or not isinstance(value, list):
                continue
            for entry in value:
                student = student_of_id.get(str(entry.get("身分證號", "")))
                if student is None:
                    checked.unknown_ids += 1
                    continue
                records = {k: v for k, v in entry.items() if k not in ("身分證號", "出生日期")}
                checked.students.setdefault(student, []).append({"root": key, **records})
    return checked


def confirm_deadline(national: str, imported_at: datetime, min_days: int) -> datetime:
    """The national side's deadline (7-digit ROC date, end of that day), never under `min_days` from now."""
    floor = imported_at + timedelta(days=min_days)
    try:
        day = parse_roc_date(national[:7])
    except ValueError:
        return floor
    end_of_day = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=imported_at.tzinfo) - timedelta(hours=8)  # Taipei
    return max(end_of_day, floor)


def _is_sha(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _zh(problem: str) -> str:
    if "other bytes" in problem:
        return problem.replace(
            ": the national side received other bytes than we sent",
            "：國教署收到的內容與本校送出的不同 / received other bytes than we sent",
        )
    if "not in the receipt" in problem:
        return problem.replace(
            ": what we sent is not in the receipt", "：收訖明細未列出本校送出的檔案 / what we sent is not in the receipt"
        )
    if "SHA-256 differs" in problem:
        return problem.replace(": SHA-256 differs from SHA.txt", "：內容與 SHA.txt 不符 / differs from SHA.txt")
    return problem
