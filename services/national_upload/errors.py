"""National upload's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, NotFound


class UploadNotFound(NotFound):
    code = "upload_not_found"
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
