"""The outcome workflow as plain rules: states, transitions, return reasons, deadlines, proxies, caps.

Certification (認證) confirms that the work came from the course; it is not grading. So a teacher
returns an outcome only for a reason from RETURN_REASONS (never for quality).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.certification.errors import DeadlinePassed, InvalidTransition
from shared.clock import to_taipei


class State(StrEnum):
    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 已送出，待認證
    CERTIFIED = "certified"  # 已認證
    RETURNED = "returned"  # 退回
    WITHDRAWN = "withdrawn"  # 撤回


STATE_NAMES_ZH = {
    State.DRAFT: "草稿",
    State.SUBMITTED: "待認證",
    State.CERTIFIED: "已認證",
    State.RETURNED: "已退回",
    State.WITHDRAWN: "已撤回",
}


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    CERTIFY = "certify"
    RETURN = "return"
    WITHDRAW = "withdraw"


# action -> (states it may start from, the state it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[State], State | None]] = {
    Action.EDIT: (frozenset({State.DRAFT, State.RETURNED}), None),  # None: the state stays
    Action.SUBMIT: (frozenset({State.DRAFT, State.RETURNED}), State.SUBMITTED),
    Action.CERTIFY: (frozenset({State.SUBMITTED}), State.CERTIFIED),
    Action.RETURN: (frozenset({State.SUBMITTED}), State.RETURNED),
    Action.WITHDRAW: (frozenset({State.DRAFT, State.SUBMITTED, State.RETURNED}), State.WITHDRAWN),
}

# Who acts: the student owns edit/submit/withdraw; the course teacher (or proxy) certify/return.
STUDENT_ACTIONS = frozenset({Action.EDIT, Action.SUBMIT, Action.WITHDRAW})
TEACHER_ACTIONS = frozenset({Action.CERTIFY, Action.RETURN})


class ReturnReason(StrEnum):
    WRONG_COURSE = "wrong_course"
    MISSING_FILE = "missing_file"
    UNREADABLE_FILE = "unreadable_file"
    NOT_OWN_WORK = "not_own_work"
    OTHER = "other"


RETURN_REASONS_ZH = {
    ReturnReason.WRONG_COURSE: "非本課程之成果",
    ReturnReason.MISSING_FILE: "缺少檔案",
    ReturnReason.UNREADABLE_FILE: "檔案無法開啟或閱讀",
    ReturnReason.NOT_OWN_WORK: "非學生本人之作品",
    ReturnReason.OTHER: "其他",
}


def next_state(current: State, action: Action) -> State:
    """The state after `action`, or InvalidTransition naming both states."""
    allowed_from, target = TRANSITIONS[action]
    if current not in allowed_from:
        raise InvalidTransition(
            f"狀態為「{STATE_NAMES_ZH[current]}」的學習成果不能{_ACTION_ZH[action]}",
            f"cannot {action.value} an outcome that is {current.value}",
        )
    return target or current


def is_repeat(current: State, action: Action) -> bool:
    """A double click or redelivered request: the outcome is already where this action leads."""
    _, target = TRANSITIONS[action]
    return target is not None and current == target and action is not Action.EDIT


_ACTION_ZH = {Action.EDIT: "修改", Action.SUBMIT: "送出", Action.CERTIFY: "認證", Action.RETURN: "退回", Action.WITHDRAW: "撤回"}


# --- deadlines ---


@dataclass(frozen=True)
class Deadlines:
    """From the school calendar (records): when students may upload and teachers certify."""

    student_upload: datetime  # at least 2 weeks after the closing ceremony (休業式)
    teacher_certify: datetime
    selection: datetime  # the school's internal deadline (2 weeks before the national one)

    def for_action(self, action: Action) -> tuple[datetime, str, str]:
        if action in TEACHER_ACTIONS:
            return self.teacher_certify, "教師認證截止時間", "teacher certification deadline"
        return self.student_upload, "學生上傳截止時間", "student upload deadline"


def check_action_deadline(deadlines: Deadlines, action: Action, now: datetime) -> None:
    deadline, name_zh, name_en = deadlines.for_action(action)
    check_deadline(deadline, now, name_zh, name_en)


# The school's own cap on outcomes a student may enter per semester (seed: 1–6); the national cap on
# what is uploaded is separate and lives in shared.national.
SCHOOL_CAP_RANGE = range(1, 7)
SCHOOL_CAP_DEFAULT = 6


def check_deadline(deadline: datetime, now: datetime, name_zh: str, name_en: str) -> None:
    if now > deadline:
        shown = to_taipei(deadline).strftime("%Y/%m/%d %H:%M")
        raise DeadlinePassed(f"{name_zh}為 {shown}，已截止", f"the {name_en} was {deadline.isoformat()}")


# --- proxies (代理人) ---


def acting_for(user_id: str, teacher_ids: list[str], proxies: list[dict[str, Any]], now: datetime) -> str | None:
    """The course teacher on whose behalf `user_id` may certify, or None.

    A teacher acts for themselves; a proxy acts for a teacher only inside the proxy's period.
    """
    if user_id in teacher_ids:
        return user_id
    for proxy in proxies:
        if proxy["proxy_id"] == user_id and proxy["teacher_id"] in teacher_ids and proxy["starts_at"] <= now <= proxy["ends_at"]:
            return proxy["teacher_id"]
    return None


# --- supervision figures ---


def turnaround_hours(items: list[dict[str, Any]], now: datetime) -> dict[str, float | int]:
    """Certification turnaround for one teacher: waits from submission to certification (or until now)."""
    waits = sorted(
        ((item.get("certified_at") or now) - item["submitted_at"]).total_seconds() / 3600 for item in items if item.get("submitted_at")
    )
    if not waits:
        return {"count": 0, "median_hours": 0.0, "longest_hours": 0.0, "waiting": 0}
    middle = len(waits) // 2
    median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
    return {
        "count": len(waits),
        "median_hours": round(median, 1),
        "longest_hours": round(waits[-1], 1),
        "waiting": sum(1 for item in items if item.get("state") == State.SUBMITTED.value),
    }


BATCH_LABELS = {1: "高三第一梯次", 2: "高三第二梯次"}


def batch_label(batch: int) -> str:
    """The 高三 梯次 by the name the pages use."""
    return BATCH_LABELS.get(int(batch), f"高三第 {batch} 梯次")
