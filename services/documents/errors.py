"""The documents service's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import NotFound, ValidationFailed


class DocumentNotFound(NotFound):
    code = "document_not_found"
    title = "找不到此文件"
    title_en = "Document not found"


class JobNotFound(NotFound):
    code = "document_job_not_found"
    title = "找不到此文件產生作業"
    title_en = "Document job not found"


class JobNotReady(ValidationFailed):
    status = 409
    code = "document_job_not_ready"
    title = "文件尚未產生完成"
    title_en = "The document is not ready yet"


class PortfolioOverCap(ValidationFailed):
    code = "portfolio_over_cap"
    title = "學習歷程檔案超過上傳限制"
    title_en = "The portfolio is over the upload caps"


class BadPortfolio(ValidationFailed):
    code = "bad_portfolio"
    title = "學習歷程檔案內容不正確"
    title_en = "The portfolio request is not valid"


class ConfirmationChanged(ValidationFailed):
    status = 409
    code = "confirmation_changed"
    title = "確認單內容已變更"
    title_en = "The confirmation sheet has changed"
