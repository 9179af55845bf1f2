"""The words of each reminder, in zh-TW (no I/O). Every mail says why it came and how to stop it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.reminders.domain import WorkLeft
from shared.clock import roc_slashed

SITE_NAME = "歷程 學習歷程檔案平臺"


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def _footer(site_url: str, unsubscribe_url: str) -> str:
    return (
        f"\n\n登入平臺：{site_url}\n"
        "此信由系統依您的學校設定自動寄出，請勿直接回覆。\n"
        f"不想再收到提醒信？請開啟：{unsubscribe_url}\n"
        "（也可登入後在「電子郵件通知」頁面重新開啟。）\n"
        f"— {SITE_NAME}"
    )


def upload_deadline(name: str, deadline: date, days: int, work: WorkLeft, site: str, unsubscribe: str) -> Letter:
    return Letter(
        f"【學習歷程】課程學習成果上傳將於 {days} 天後截止（{roc_slashed(deadline)}）",
        f"{name} 同學您好：\n\n本學期課程學習成果的上傳截止日是 {roc_slashed(deadline)}，還有 {days} 天。\n"
        + "\n".join(f"・{line}。" for line in work.lines())
        + "\n\n截止後就不能再上傳或修改，請儘早完成。"
        + _footer(site, unsubscribe),
    )


def receipt_deadline(name: str, deadline: date, days: int, pending: int, site: str, unsubscribe: str) -> Letter:
    return Letter(
        f"【學習歷程】請於 {roc_slashed(deadline)} 前確認收訖明細（剩 {days} 天）",
        f"{name} 同學您好：\n\n國教署學習歷程資料庫已收到學校上傳的資料，您有 {pending} 份收訖明細尚未確認。\n"
        f"請在 {roc_slashed(deadline)} 前登入「收訖明細確認」頁面，逐項確認無誤，或回報錯誤。" + _footer(site, unsubscribe),
    )


def certify_queue(name: str, waiting: int, oldest: date | None, deadline: date | None, site: str, unsubscribe: str) -> Letter:
    lines = [f"目前有 {waiting} 件課程學習成果等待您認證。"]
    if oldest:
        lines.append(f"最早一件於 {roc_slashed(oldest)} 送出。")
    if deadline:
        lines.append(f"本學期教師認證截止日：{roc_slashed(deadline)}。")
    return Letter(
        f"【學習歷程】今日待認證：{waiting} 件",
        f"{name} 老師您好：\n\n" + "\n".join(lines) + "\n請登入「待認證」頁面處理（可批次認證）。" + _footer(site, unsubscribe),
    )


def class_missing(
    name: str, classes: list[tuple[str, list[tuple[str, WorkLeft]]]], deadline: date, days: int, site: str, unsubscribe: str
) -> Letter:
    """`classes`: (class code, [(student as 座號 姓名, what is left)])."""
    parts = []
    total = 0
    for code, students in classes:
        total += len(students)
        parts.append(f"{code} 班（{len(students)} 人）：")
        parts += [f"  {who}：{'；'.join(work.lines())}" for who, work in students]
    return Letter(
        f"【學習歷程】班級尚有 {total} 位同學未完成（{days} 天後截止）",
        f"{name} 導師您好：\n\n課程學習成果上傳截止日是 {roc_slashed(deadline)}，還有 {days} 天。以下同學尚未完成：\n\n"
        + "\n".join(parts)
        + "\n\n可在「班級進度」頁面發送提醒給這些同學。"
        + _footer(site, unsubscribe),
    )


def operations(name: str, alerts: list[str], site: str, unsubscribe: str) -> Letter:
    return Letter(
        f"【學習歷程】系統狀況警示（{len(alerts)} 項）",
        f"{name} 您好：\n\n以下狀況需要處理：\n\n" + "\n".join(f"・{a}" for a in alerts) + _footer(site, unsubscribe),
    )


def parent_invitation(student_name: str, class_code: str, school_name: str, code: str, expires: date, join_url: str) -> Letter:
    who = f"{student_name}（{class_code} 班）" if class_code else student_name
    return Letter(
        f"【學習歷程】{school_name}邀請您查看{student_name}的學習歷程",
        f"家長您好：\n\n{school_name}註冊組邀請您加入{SITE_NAME}的家長專區，查看{who}的課程學習成果、認證與勾選、"
        "收訖明細，並確認勾選確認單（只能查看，不能修改）。\n\n"
        f"邀請碼：{code}\n加入網址：{join_url}\n有效期限：{roc_slashed(expires)}（限用一次）\n\n"
        "開啟網址後，設定您自己的登入名稱與密碼即可。若您不認識這位學生，請忽略此信，或告知學校註冊組。\n"
        f"— {SITE_NAME}",
    )
