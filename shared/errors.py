"""Domain errors, raised once in domain terms and turned into problem+json in one place.

Every `LichengError` subclass registers itself with Nameko's remote-error registry, so an error
raised in a service is re-raised as the same class in the gateway (its args must stay JSON-safe:
detail, detail_en, field errors). `to_problem()` is the single mapping to the HTTP body.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nameko.exceptions import deserialize_to_instance

PROBLEM_CONTENT_TYPE = "application/problem+json"


def field_error(field: str, message: str, message_en: str, code: str = "invalid") -> dict[str, str]:
    """One entry of a problem's `errors` list (a form field, or a row/column of an import)."""
    return {"field": field, "code": code, "message": message, "message_en": message_en}


class LichengError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "請求有誤"
    title_en: ClassVar[str] = "Bad request"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    def __init__(self, detail: str = "", detail_en: str = "", errors: list[dict] | None = None) -> None:
        super().__init__(detail, detail_en, errors or [])
        self.detail = detail
        self.detail_en = detail_en
        self.errors = errors or []

    def __str__(self) -> str:
        return self.detail_en or self.detail or self.title_en

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://licheng.invalid/problems/{self.code}",
            "title": self.title,
            "title_en": self.title_en,
            "status": self.status,
            "code": self.code,
            "detail": self.detail or self.title,
            "detail_en": self.detail_en or self.title_en,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


deserialize_to_instance(LichengError)


class BadRequest(LichengError):
    pass


class ValidationFailed(LichengError):
    status = 422
    code = "validation_failed"
    title = "資料驗證失敗"
    title_en = "Validation failed"


class Unauthenticated(LichengError):
    status = 401
    code = "unauthenticated"
    title = "請先登入"
    title_en = "Authentication required"


class Forbidden(LichengError):
    status = 403
    code = "forbidden"
    title = "沒有權限"
    title_en = "Forbidden"


class NotFound(LichengError):
    status = 404
    code = "not_found"
    title = "找不到資料"
    title_en = "Not found"


class MethodNotAllowed(LichengError):
    status = 405
    code = "method_not_allowed"
    title = "不支援此操作方法"
    title_en = "Method not allowed"


class Conflict(LichengError):
    status = 409
    code = "conflict"
    title = "資料衝突"
    title_en = "Conflict"


class PayloadTooLarge(LichengError):
    status = 413
    code = "payload_too_large"
    title = "資料過大"
    title_en = "Payload too large"


class UnsupportedMediaType(LichengError):
    status = 415
    code = "unsupported_media_type"
    title = "不支援的資料格式"
    title_en = "Unsupported media type"


class TooManyRequests(LichengError):
    status = 429
    code = "too_many_requests"
    title = "嘗試次數過多，請稍後再試"
    title_en = "Too many requests"


class ServiceUnavailable(LichengError):
    status = 503
    code = "service_unavailable"
    title = "服務暫時無法使用"
    title_en = "Service unavailable"


class InternalError(LichengError):
    status = 500
    code = "internal_error"
    title = "系統發生錯誤"
    title_en = "Internal error"


# --- errors more than one service raises: one class, one code, one meaning ---


class StudentArchived(Conflict):
    """Records archived the student (畢業/轉出): every service refuses changes to their portfolio."""

    code = "archived"
    title = "學生已畢業或轉出，學習歷程已封存唯讀"
    title_en = "The student has left (graduated or transferred out); the portfolio is archived and read-only"


class CourseNotFound(NotFound):
    """No such course offering in the caller's school (records owns courses; certification asks it)."""

    code = "course_not_found"
    title = "找不到此課程"
    title_en = "Course not found"


class PasswordChangeRequired(Forbidden):
    """A session of an account whose password someone else set: it may only change it or log out."""

    code = "password_change_required"
    title = "請先變更初始密碼"
    title_en = "Change the initial password first"


class NoSemesterYet(Conflict):
    """A new school's first visit: the registrar has not set up a semester yet. A step to take, not an outage."""

    code = "no_semester"
    title = "尚未設定學期行事曆"
    title_en = "No semester set up yet"


def no_semester_yet(year: int | None = None, term: int | None = None) -> NoSemesterYet:
    """The one answer when a school's calendar lacks the semester asked for, with the step to take."""
    which = f"{year} 學年度第 {term} 學期" if year and term else (f"{year} 學年度的學期" if year else "本學期")
    which_en = f"semester {year}-{term}" if year and term else (f"a semester in {year}" if year else "the current semester")
    return NoSemesterYet(
        f"註冊組尚未設定{which}。請註冊組到「學期行事曆」（/registrar/calendar）新增學期後再試。",
        f"the school calendar has no {which_en} yet: the registrar adds it on the calendar page (/registrar/calendar, "
        "POST /api/v1/records/semesters), then try again",
    )
