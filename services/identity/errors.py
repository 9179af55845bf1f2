"""Identity's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, Forbidden, LichengError, NotFound, TooManyRequests, Unauthenticated


class SchoolExists(Conflict):
    code = "school_exists"
    title = "學校代碼已存在"
    title_en = "School code already exists"


class SchoolNotFound(NotFound):
    code = "school_not_found"
    title = "找不到此學校"
    title_en = "School not found"


class AccountExists(Conflict):
    code = "account_exists"
    title = "帳號已存在"
    title_en = "Account already exists"


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "找不到此帳號"
    title_en = "Account not found"


class LoginFailed(Unauthenticated):
    code = "login_failed"
    title = "學校代碼、帳號或密碼錯誤"
    title_en = "Wrong school code, username or password"


class AccountLocked(TooManyRequests):
    code = "account_locked"
    title = "登入失敗次數過多，帳號暫時鎖定"
    title_en = "Too many failed logins; the account is locked for a while"


class AccountDisabled(Forbidden):
    code = "account_disabled"
    title = "此帳號已停用"
    title_en = "This account is disabled"


class WrongPassword(Forbidden):
    code = "wrong_password"
    title = "目前密碼不正確"
    title_en = "The current password is wrong"


class AddressThrottled(TooManyRequests):
    code = "address_throttled"
    title = "此來源登入失敗次數過多，請稍後再試"
    title_en = "Too many failed logins from this address; try again later"


class SessionEnded(Unauthenticated):
    code = "session_ended"
    title = "此登入已結束，請重新登入"
    title_en = "This session has ended; log in again"


class SessionNotFound(NotFound):
    code = "session_not_found"
    title = "找不到此登入裝置"
    title_en = "Session not found"


class ImportNotFound(NotFound):
    code = "import_not_found"
    title = "找不到此匯入工作"
    title_en = "Import not found"


class PasswordSheetGone(LichengError):
    """The initial-password sheet is handed out once: after its download the passwords are gone."""

    status = 410
    code = "password_sheet_gone"
    title = "初始密碼單已下載過"
    title_en = "The password sheet was downloaded already"


class SsoUnlinked(Forbidden):
    code = "sso_unlinked"
    title = "此帳號尚未連結到本系統的帳號"
    title_en = "This sign-in is not linked to an account here"


class SsoLinkTaken(Conflict):
    code = "sso_link_taken"
    title = "此登入帳號已連結到另一個帳號"
    title_en = "This sign-in is linked to another account already"


class SsoLinkNotFound(NotFound):
    code = "sso_link_not_found"
    title = "沒有連結此登入方式"
    title_en = "No such linked sign-in"


class InvitationInvalid(LichengError):
    """A code that names no usable invitation: unknown, used, expired or revoked (which one is said
    in the detail; guessing codes is throttled per address like failed logins)."""

    status = 410
    code = "invitation_invalid"
    title = "邀請碼無法使用"
    title_en = "This invitation code cannot be used"


class ChildNotFound(NotFound):
    code = "child_not_found"
    title = "找不到此學生"
    title_en = "No such child of yours"


class GuardianNotFound(NotFound):
    code = "guardian_not_found"
    title = "找不到此家長連結"
    title_en = "No such parent link"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    title = "找不到此邀請碼"
    title_en = "Invitation not found"


class InvitationSheetGone(LichengError):
    """The slips with the codes are handed out once: afterwards only the codes' hashes remain."""

    status = 410
    code = "invitation_sheet_gone"
    title = "邀請單已下載過"
    title_en = "The invitation slips were downloaded already"
