"""Structured logs: one JSON object per line, with the request id the gateway created."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from shared.clock import utcnow
from shared.errors import LichengError


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "at": utcnow().isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class AnswersAreNotFaults(logging.Filter):
    """Nameko logs every exception an entrypoint raises as an error with its traceback. One of ours
    below 500 (not found, refused, invalid) is the answer the caller gets, not a fault: it is logged
    as one info line, so deadline-day logs show real faults, and no traceback is formatted per 4xx."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, LichengError) and exc.status < 500:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "answered %s %s: %s", (exc.status, exc.code, exc.detail_en or exc.detail or exc.title_en)
            record.exc_info, record.exc_text = None, None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    containers = logging.getLogger("nameko.containers")
    if not any(isinstance(f, AnswersAreNotFaults) for f in containers.filters):
        containers.addFilter(AnswersAreNotFaults())


def log_event(logger: logging.Logger, message: str, **fields: Any) -> None:
    logger.info(message, extra={"fields": {k: v for k, v in fields.items() if v is not None}})
