"""收訖明細: the national side's receipt per roster, and how we open and check it.

A password-protected ZIP (AES-256, WinZip AE-2, via pyzipper) holding one JSON document per roster,
named `{學校代碼}_{學年度}_{學期}_{名冊別}_{root}.json` where root is 修課紀錄 / 校內幹部經歷 / 多元表現 /
課程學習成果 (the substring school platforms route by), and `SHA.txt`: one `name,sha256` line per
JSON document, for the roster file as received, and for every evidence file the roster refers to.
JSON shape (reconstructed, see docs/national-rosters.md §d): {名冊資訊: [{名稱, SHA, ...}], 上傳人員,
開放確認期限, <root>: [{身分證號, 出生日期, <sheet array>: [flat records]}]}.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

import pyzipper

from shared.national.rules import YearRules

SHA_FILE = "SHA.txt"


class ReceiptError(ValueError):
    pass


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def receipt_document(
    rules: YearRules, info: dict, uploader: str, confirm_deadline: str, rows_by_sheet: dict[str, list[dict]], roster_code: int
) -> dict:
    """The JSON document of one roster; rows_by_sheet holds the accepted rows (canonical sheet names)."""
    roster = rules.roster(roster_code)
    id_columns = ("身分證號", "出生日期")
    document: dict = {"名冊資訊": [info], "上傳人員": uploader, "開放確認期限": confirm_deadline}
    if not roster.per_student:
        document[roster.receipt_root] = {s.receipt_array: [_record(r) for r in rows_by_sheet.get(s.name, [])] for s in roster.sheets}
        return document
    students: dict[tuple[str, str], dict] = {}
    for sheet in roster.sheets:
        for row in rows_by_sheet.get(sheet.name, []):
            key = (row.get("身分證號", ""), row.get("出生日期", ""))
            if key not in students:
                students[key] = {"身分證號": key[0], "出生日期": key[1], **{s.receipt_array: [] for s in roster.sheets}}
            students[key][sheet.receipt_array].append({k: v for k, v in _record(row).items() if k not in id_columns})
    document[roster.receipt_root] = list(students.values())
    return document


def _record(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def document_name(school_code: str, year: int, semester: int, roster_code: int, root: str) -> str:
    return f"{school_code}_{year}_{semester}_{roster_code}_{root}.json"


def build_receipt_zip(documents: dict[str, dict], received: list[tuple[str, str]], password: str) -> bytes:
    """The receipt ZIP. `received` lists (name, sha256) of what was received (roster file, evidence)."""
    files = {name: json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8") for name, doc in documents.items()}
    lines = [f"{name},{sha256_hex(data)}" for name, data in files.items()]
    lines += [f"{name.replace(',', '_')},{sha}" for name, sha in received]
    out = io.BytesIO()
    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(SHA_FILE, ("\n".join(lines) + "\n").encode("utf-8"))
    return out.getvalue()


@dataclass
class Receipt:
    files: dict[str, bytes]  # JSON documents by name
    hashes: dict[str, str]  # SHA.txt: name -> sha256

    def documents(self) -> dict[str, dict]:
        return {name: json.loads(data.decode("utf-8-sig")) for name, data in self.files.items()}


def open_receipt(data: bytes, password: str) -> Receipt:
    """Decrypt and read a receipt; ReceiptError on a wrong password or damaged archive."""
    try:
        with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
            archive.setpassword(password.encode("utf-8"))
            names = archive.namelist()
            sha_name = next((n for n in names if n.lower() == SHA_FILE.lower()), None)
            if sha_name is None:
                raise ReceiptError("the receipt has no SHA.txt")
            contents = {n: archive.read(n) for n in names}
    except (RuntimeError, zipfile.BadZipFile, pyzipper.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError, EOFError) as exc:
        if isinstance(exc, ReceiptError):
            raise
        raise ReceiptError(f"cannot open the receipt: {exc}") from None
    hashes: dict[str, str] = {}
    for line in contents.pop(sha_name).decode("utf-8-sig").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and parts[0]:
            hashes[parts[0]] = parts[-1].lower()
    return Receipt(contents, hashes)


def verify_receipt(receipt: Receipt, sent: dict[str, str] | None = None) -> list[str]:
    """Problems found (empty = fine): a JSON document whose bytes do not match SHA.txt, one missing
    from SHA.txt, or something we sent (name -> sha256) that SHA.txt lists with another hash or not at all."""
    problems = []
    for name, data in receipt.files.items():
        listed = receipt.hashes.get(name)
        if listed is None:
            problems.append(f"{name}: not listed in SHA.txt")
        elif listed != sha256_hex(data):
            problems.append(f"{name}: SHA-256 differs from SHA.txt")
    for name, sha in (sent or {}).items():
        listed = receipt.hashes.get(name)
        if listed is None:
            problems.append(f"{name}: what we sent is not in the receipt")
        elif listed != sha.lower():
            problems.append(f"{name}: the national side received other bytes than we sent")
    return problems
