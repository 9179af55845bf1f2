"""The backup service's errors (its CLI reports engine.BackupError itself); registered for remote re-raise."""

from shared.errors import Conflict, NotFound


class NotPurgeable(Conflict):
    code = "not_purgeable"
    title = "有學生尚不能清除"
    title_en = "Some students cannot be purged yet"


class PurgeNotFound(NotFound):
    code = "purge_not_found"
    title = "找不到此清除紀錄"
    title_en = "Purge report not found"
