"""Logs say faults, not answers: an entrypoint's 4xx is one info line without a traceback, a fault keeps
its error level and traceback."""

from __future__ import annotations

import io
import json
import logging

import pytest

from shared.errors import NotFound
from shared.logs import JsonFormatter, configure_logging

pytestmark = pytest.mark.unit


def _logged(exc: Exception) -> dict:
    configure_logging()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("nameko.containers")
    logger.addHandler(handler)
    try:
        try:
            raise exc
        except Exception as raised:
            logger.exception("error handling worker %s: %s", "<WorkerContext [x.y]>", raised)
    finally:
        logger.removeHandler(handler)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_an_answer_below_500_is_one_info_line_without_a_traceback():
    line = _logged(NotFound("找不到此學習成果", "outcome not found"))
    assert line["level"] == "info" and "exc" not in line
    assert line["msg"] == "answered 404 not_found: outcome not found"


def test_a_fault_keeps_its_error_level_and_traceback():
    line = _logged(KeyError("student_id"))
    assert line["level"] == "error" and "Traceback" in line["exc"]
