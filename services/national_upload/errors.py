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
