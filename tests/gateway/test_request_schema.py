"""The published request schemas state what validation enforces: bodies generated from the document
(as schemathesis would send them) pass the very model the endpoint parses with, except for the rules no
JSON Schema can hold, each named below and described in the document. Needs no server."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from gateway.blueprints import BLUEPRINTS  # noqa: F401  (registers every endpoint)
from gateway.endpoints import REGISTRY
from gateway.openapi import _PARAM, build_openapi
from gateway.request_schema import refused_ranges, string_pattern
from shared.errors import ValidationFailed
from shared.validation import TEXT_REFUSED_CATEGORIES, iso_date_pattern, parse
from tests.gateway.test_schemathesis import _cache_regex_strategies

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

EXAMPLES = 4

# What validation checks that a schema cannot say; the document describes each in words.
UNSTATABLE = {
    "national_id": "身分證號 checksum",
    "body": "a rule between fields (end after start, original term before this one, ...)",
}


def _explained(error: dict[str, str]) -> bool:
    field = error.get("field", "")
    return error.get("code") == "value_error" and (field in UNSTATABLE or field.startswith("windows."))


def _check(operation, spec, refused: Counter[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        try:
            parse(spec.body, case.body)
        except ValidationFailed as exc:
            for error in exc.errors or [{"field": "body", "code": exc.code}]:
                if not _explained(error):
                    refused[f"{operation.method.upper()} {operation.path}: {error.get('field')} {error.get('code')}"] += 1

    run()


def test_bodies_valid_by_the_document_pass_validation():
    _cache_regex_strategies()
    schemathesis.experimental.OPEN_API_3_1.enable()
    schema = schemathesis.from_dict(build_openapi(), generation_config=schemathesis.GenerationConfig(with_security_parameters=False))
    specs = {(s.method.upper(), _PARAM.sub(r"{\1}", s.rule)): s for s in REGISTRY}
    refused: Counter[str] = Counter()
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        spec = specs[(operation.method.upper(), operation.path)]
        if spec.body is None:
            continue
        checked += 1

        _check(operation, spec, refused)
    assert checked > 70
    assert not refused, "valid by the document, refused by validation:\n" + "\n".join(f"{k} ×{n}" for k, n in refused.most_common())


def test_the_text_pattern_names_every_refused_character():
    """The planes scanned for format characters hold all of them (a full scan, once, here)."""
    listed = {c for a, b in refused_ranges(TEXT_REFUSED_CATEGORIES) for c in range(a, b + 1)}
    every = {c for c in range(0x110000) if unicodedata.category(chr(c)) in TEXT_REFUSED_CATEGORIES}
    assert listed == every


def test_patterns_say_what_the_parser_and_models_do():
    import re

    text = re.compile(string_pattern(True, True))
    assert text.match("王小明") and text.match("a b") and text.match("")
    assert not text.match(" 王") and not text.match("王 ") and not text.match("a\u200bb") and not text.match("a\x00")
    plain = re.compile(string_pattern(False, False))
    assert plain.match("line\nnext\ttab") and not plain.match("a\x00b")
    dates = re.compile(iso_date_pattern(1990, 2100))
    assert dates.match("2024-02-29") and dates.match("2100-12-31") and dates.match("1990-01-01")
    assert (
        not dates.match("2023-02-29") and not dates.match("2100-02-29") and not dates.match("1989-12-31") and not dates.match("2024-04-31")
    )


def test_the_idempotency_key_pattern_is_what_the_gateway_accepts():
    import re

    from gateway.openapi import IDEMPOTENCY_PARAMETER

    schema = IDEMPOTENCY_PARAMETER["schema"]
    key = re.compile(schema["pattern"])
    for accepted in ("k", "retry-7f3a", "a b", " padded "):
        assert key.match(accepted) and len(accepted) <= schema["maxLength"]
    for refused in ("", "   ", "鍵", "tab\there", "nul\x00"):
        assert not key.match(refused)


def test_a_float_off_by_binary_rounding_is_the_decimal_it_meant():
    """A browser's 0.1 + 0.2 arrives as 0.30000000000000004: within a billionth it is 0.3; a value with
    more places than allowed is still refused."""
    from pydantic import TypeAdapter

    from services.records.special_grade_schemas import Credits
    from services.records.value_types import Hours, Score

    assert str(TypeAdapter(Credits).validate_python(19.900000000000002)) == "19.9"
    assert str(TypeAdapter(Hours).validate_python(0.1 + 0.2)) == "0.3"
    assert str(TypeAdapter(Score).validate_python(60.010000000000005)) == "60.01"
    assert str(TypeAdapter(Score).validate_python(85.5)) == "85.5"  # an exact value is left as sent
    with pytest.raises(ValueError):
        TypeAdapter(Credits).validate_python(19.95)
