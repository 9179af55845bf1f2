"""Evidence's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType, ValidationFailed
from shared.errors import StudentArchived as StudentArchived  # shared with records and certification


class EvidenceNotFound(NotFound):
    code = "evidence_not_found"
    title = "找不到此檔案"
    title_en = "Evidence not found"


class UploadNotFound(NotFound):
    code = "upload_not_found"
    title = "找不到此上傳作業（可能已逾時）"
    title_en = "Upload not found (it may have expired)"


class PurposeNotAllowed(Forbidden):
    code = "purpose_not_allowed"
    title = "您的角色不能上傳此類檔案"
    title_en = "Your roles may not upload files for this purpose"


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    title = "檔案超過大小上限"
    title_en = "The file exceeds the size limit"


class QuotaExceeded(PayloadTooLarge):
    code = "quota_exceeded"
    title = "已超過個人檔案空間或數量上限"
    title_en = "The student's storage quota is used up"


class FileTypeNotAllowed(UnsupportedMediaType):
    code = "file_type_not_allowed"
    title = "不接受此檔案類型"
    title_en = "This file type is not accepted"


class UploadRejected(ValidationFailed):
    """The uploaded object failed a check at complete; it has been deleted."""

    code = "upload_rejected"
    title = "檔案檢查未通過，已刪除，請重新上傳"
    title_en = "The uploaded file failed a check and was deleted; upload it again"


class UploadMissing(Conflict):
    code = "upload_missing"
    title = "尚未收到檔案內容"
    title_en = "The file has not arrived in the store"


class EvidenceLocked(Conflict):
    code = "evidence_locked"
    title = "此檔案已認證或已提交，不可修改或刪除"
    title_en = "This evidence is certified or submitted and cannot change"


class StoreUnavailable(ServiceUnavailable):
    code = "store_unavailable"
    title = "檔案儲存服務暫時無法使用，請稍後再試"
    title_en = "The file store is temporarily unavailable; try again later"
