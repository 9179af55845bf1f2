"""The reminders service's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import NotFound


class UnsubscribeLinkInvalid(NotFound):
    code = "unsubscribe_link_invalid"
    title = "此取消訂閱連結無效，請改為登入後在「電子郵件通知」頁面設定"
    title_en = "This unsubscribe link is not valid; sign in and change it on the e-mail notifications page"
