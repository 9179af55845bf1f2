"""National upload's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, NotFound, ValidationFailed


class UploadNotFound(NotFound):
    """A national upload batch (not evidence's upload session, which is `upload_not_found`)."""

    code = "national_upload_not_found"
    title = "找不到此上傳批次"
    title_en = "Upload not found"


class ItemNotDead(Conflict):
    code = "item_not_dead"
    title = "只有無法送達的項目可以重送"
    title_en = "Only dead-lettered items can be retried"


class NoCredentials(Conflict):
    code = "national_credentials_missing"
    title = "尚未設定國教署上傳憑證"
    title_en = "The national database credential is not set"


class DraftNotUsable(Conflict):
    code = "draft_not_usable"
    title = "此名冊檢查結果已送出或不屬於此學期，請重新產生"
    title_en = "This roster draft was already sent or is for another term; prepare it again"


class RosterFileNotFound(NotFound):
    code = "roster_file_not_found"
    title = "找不到此名冊檔案"
    title_en = "Roster file not found"


class ReceiptUnreadable(ValidationFailed):
    code = "receipt_unreadable"
    title = "收訖明細檔案無法開啟"
    title_en = "The receipt cannot be opened"


class ReceiptEntryNotFound(NotFound):
    code = "receipt_not_found"
    title = "找不到此收訖明細"
    title_en = "Receipt not found"


class ConfirmationClosed(Conflict):
    code = "confirmation_closed"
    title = "收訖明細確認期限已過"
    title_en = "The confirmation window has closed"


class RulesMissing(ValidationFailed):
    code = "national_rules_missing"
    title = "尚無此學年度的國教署規則"
    title_en = "No national rules for this academic year"


class NotPublishing(Conflict):
    code = "upload_not_publishing"
    title = "此上傳批次已全部送入佇列"
    title_en = "This upload is fully queued already"


class ItemNotFound(NotFound):
    code = "upload_item_not_found"
    title = "找不到此上傳項目"
    title_en = "Upload item not found"
