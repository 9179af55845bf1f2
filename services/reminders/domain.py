"""Reminders by e-mail: who is told what on which day (rules, no I/O).

A reminder is decided once per recipient, reason and day: its idempotency key says so, the outbox
keeps one row per key, and the worker sends a row once. Deadline reasons fire 7, 3 and 1 days
before the deadline (Taipei dates) and only while work is left; digests and alarms fire on every day
their condition holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

DEADLINE_MARKS = (7, 3, 1)  # days before a deadline on which its reminder goes out


class Reason(StrEnum):
    UPLOAD_DEADLINE = "upload_deadline"  # 學生: 課程學習成果上傳截止, nothing uploaded or an outcome returned
    RECEIPT_DEADLINE = "receipt_deadline"  # 學生: 收訖明細確認截止, a receipt not yet answered
    CERTIFY_QUEUE = "certify_queue"  # 任課教師: daily digest of outcomes waiting for certification
    CLASS_MISSING = "class_missing"  # 導師: the class's students with work left before the upload deadline
    OPERATIONS = "operations"  # 註冊組 / 縣市: backup stale, dead letters, uploads paused
    PARENT_INVITATION = "parent_invitation"  # 家長: 註冊組 mailed an invitation code (the body holds it until sent)


REASON_NAMES_ZH: dict[Reason, str] = {
    Reason.UPLOAD_DEADLINE: "學習成果上傳截止提醒",
    Reason.RECEIPT_DEADLINE: "收訖明細確認提醒",
    Reason.CERTIFY_QUEUE: "待認證學習成果每日彙整",
    Reason.CLASS_MISSING: "班級未完成名單",
    Reason.OPERATIONS: "系統狀況警示",
    Reason.PARENT_INVITATION: "家長邀請",
}


class Status(StrEnum):
    QUEUED = "queued"  # decided, on (or about to be on) the mail queue
    SENDING = "sending"  # a worker claimed it and is talking to the relay
    RETRYING = "retrying"  # the relay refused for now (4xx, unreachable): tried again later
    SENT = "sent"  # the relay accepted it
    BOUNCED = "bounced"  # the relay refused the address for good (5xx)
    FAILED = "failed"  # temporary failures until the attempts ran out
    IN_DOUBT = "in_doubt"  # a worker died while sending: maybe sent, never sent twice
    SUPPRESSED = "suppressed"  # the recipient opted out after it was decided


STATUS_NAMES_ZH: dict[Status, str] = {
    Status.QUEUED: "排隊中",
    Status.SENDING: "寄送中",
    Status.RETRYING: "稍後重試",
    Status.SENT: "已寄出",
    Status.BOUNCED: "退信（地址無效）",
    Status.FAILED: "寄送失敗",
    Status.IN_DOUBT: "寄送中斷，可能未送達",
    Status.SUPPRESSED: "收件人已停止訂閱，未寄",
}

FINAL = frozenset({Status.SENT, Status.BOUNCED, Status.FAILED, Status.IN_DOUBT, Status.SUPPRESSED})
# What the registrar is shown as a problem to act on (wrong address, relay trouble).
PROBLEMS = frozenset({Status.BOUNCED, Status.FAILED, Status.IN_DOUBT})


def explain(status: Status, detail: str, attempts: int) -> str:
    """What the registrar reads beside a mail: what happened and what to do, not the relay's raw words."""
    code = detail.split(" ", 1)[0] if detail[:1].isdigit() else ""
    if status is Status.BOUNCED:
        return f"收件地址不存在或拒收{f'（{code}）' if code else ''}，請更正帳號的電子郵件"
    if status is Status.FAILED:
        if code:
            return f"郵件伺服器拒絕此信（{code}），請通知系統管理者"
        return f"郵件伺服器無法連線，已重試 {attempts} 次仍失敗，請通知系統管理者"
    if status is Status.RETRYING:
        return f"郵件伺服器暫時無法寄送，第 {attempts} 次失敗，稍後自動重試"
    if status is Status.IN_DOUBT:
        return "寄送途中中斷；為免重複，未再寄出，可能未送達"
    if status is Status.SUPPRESSED:
        return "收件人已停止訂閱提醒信"
    return ""


@dataclass(frozen=True)
class Mail:
    """One message decided for one recipient; `key` is its idempotency key."""

    school_id: str
    account_id: str
    to: str
    name: str
    reason: Reason
    mark: str  # which occurrence: "7" days before, or "" for daily ones
    day: date
    subject: str
    body: str
    key: str = field(default="")

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", idempotency_key(self.school_id, self.account_id, self.reason, self.mark, self.day))


def idempotency_key(school_id: str, account_id: str, reason: Reason, mark: str, day: date) -> str:
    text = f"{school_id}|{account_id}|{reason.value}:{mark}|{day.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class WorkLeft:
    """A student's outcomes this semester, as certification counts them."""

    done: int = 0  # submitted or certified
    drafts: int = 0  # saved, never submitted
    returned: int = 0  # sent back for revision

    @classmethod
    def of(cls, figures: dict[str, int] | None) -> WorkLeft:
        figures = figures or {}
        return cls(int(figures.get("done", 0)), int(figures.get("drafts", 0)), int(figures.get("returned", 0)))

    @property
    def any(self) -> bool:
        """Nothing submitted yet, a draft never sent, or an outcome to revise: worth a reminder."""
        return self.done == 0 or self.drafts > 0 or self.returned > 0

    def lines(self) -> list[str]:
        """What is left, in the words a student reads."""
        out = []
        if self.done == 0 and self.drafts == 0 and self.returned == 0:
            out.append("本學期尚未上傳任何課程學習成果")
        if self.drafts:
            out.append(f"有 {self.drafts} 件草稿尚未送出認證")
        if self.returned:
            out.append(f"有 {self.returned} 件被老師退回，待修改後再送出")
        return out


def deadline_mark(deadline: date | None, today: date) -> int | None:
    """7, 3 or 1 when `today` is that many days before `deadline`; else None."""
    if deadline is None:
        return None
    days = (deadline - today).days
    return days if days in DEADLINE_MARKS else None


def daily_run_due(taipei_hour: int, reminder_hour: int) -> bool:
    """The daily plan runs from LICHENG_REMINDER_HOUR (Taipei) on; a negative hour: only when asked."""
    return reminder_hour >= 0 and taipei_hour >= reminder_hour


# --- unsubscribe links: signed, so they work without a login and name nobody else ---


def _signature(secret: str, school_id: str, account_id: str) -> str:
    mac = hmac.new(f"unsubscribe|{secret}".encode(), f"{school_id}|{account_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode().rstrip("=")


def unsubscribe_token(secret: str, school_id: str, account_id: str) -> str:
    raw = base64.urlsafe_b64encode(f"{school_id}|{account_id}".encode()).decode().rstrip("=")
    return f"{raw}.{_signature(secret, school_id, account_id)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, str] | None:
    """(school_id, account_id) of a genuine token; None for anything else."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 300:
        return None
    raw, signature = token.split(".")
    try:
        school_id, account_id = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        return None
    if not school_id or not account_id:
        return None
    return (school_id, account_id) if hmac.compare_digest(signature, _signature(secret, school_id, account_id)) else None


class TokenBucket:
    """At most `per_minute` sends a minute, in an even stream (the relay's limits, and the receivers')."""

    def __init__(self, per_minute: int, clock, sleep) -> None:
        self.interval = 60.0 / max(1, per_minute)
        self.clock = clock
        self.sleep = sleep
        self.next_at = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval
