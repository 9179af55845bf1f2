"""The JSON Schema of a request body, stating what the request parser and the models enforce.

pydantic's own generator describes the types; what the gateway does to every body besides is not in
it: the parser refuses control characters in any string (gateway.limits), a `Text` field refuses
invisible format and private-use characters as well (shared.validation), a strict model strips the
whitespace around every string before it checks lengths, and a decimal has its places. Each is stated
here, from the very rules that enforce it: a client (or a fuzzer) that keeps to the published document
is not refused by validation for a reason the document did not say. Rules no JSON Schema can hold (a
checksum, one date after another) are in the models' descriptions.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from gateway.limits import TEXT_WHITESPACE
from shared.validation import TEXT_REFUSED_CATEGORIES, nfc_text


def _escape(code: int) -> str:
    # Escapes in the BMP read the same in ECMA-262 and Python patterns; beyond it, the character itself.
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


# Unicode fixes these categories for good: control (Cc), surrogate (Cs) and private-use (Co) code points.
_FIXED = {"Cc": [(0x00, 0x1F), (0x7F, 0x9F)], "Cs": [(0xD800, 0xDFFF)], "Co": [(0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD)]}
# Format characters (Cf) grow with Unicode versions; all of them lie in these planes (a unit test scans all).
_FORMAT_PLANES = (range(0x0000, 0x20000), range(0xE0000, 0xF0000))


@functools.cache
def _format_ranges() -> tuple[tuple[int, int], ...]:
    ranges: list[list[int]] = []
    for plane in _FORMAT_PLANES:
        for code in plane:
            if unicodedata.category(chr(code)) == "Cf":
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1][1] = code
                else:
                    ranges.append([code, code])
    return tuple((a, b) for a, b in ranges)


def refused_ranges(categories: frozenset[str], allowed: str = "") -> list[tuple[int, int]]:
    """The code points of these categories, as sorted ranges, without the characters in `allowed`."""
    ranges = [r for name in categories & _FIXED.keys() for r in _FIXED[name]]
    if "Cf" in categories:
        ranges += _format_ranges()
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        codes = [c for c in range(start, end + 1) if chr(c) not in allowed] if allowed else None
        if codes is None:
            out.append((start, end))
            continue
        for code in codes:  # only the short control ranges are split this way
            if out and out[-1][1] == code - 1:
                out[-1] = (out[-1][0], code)
            else:
                out.append((code, code))
    return out


def _class(ranges: list[tuple[int, int]]) -> str:
    return "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges)


# The private-use planes 15 and 16: stated apart (see `text_rules`), not inside the pattern's class.
_ASTRAL_PRIVATE = frozenset(r for r in _FIXED["Co"] if r[0] > 0xFFFF)


@functools.cache
def string_pattern(text: bool, stripped: bool) -> str:
    """Any string without refused characters; stripped fields also without whitespace at either end
    (the model would remove it, then count the length without it)."""
    if text:
        # Surrogates (Cs) are left out: no Unicode string holds one, so a pattern need not name them.
        ranges = [r for r in refused_ranges(TEXT_REFUSED_CATEGORIES - {"Cs"}) if r not in _ASTRAL_PRIVATE]
    else:
        ranges = refused_ranges(frozenset({"Cc"}), "".join(TEXT_WHITESPACE))
    refused = _class(ranges)
    if not stripped:
        return f"^[^{refused}]*$"
    inner, edge = f"[^{refused}]", f"[^{refused}\\s]"
    return f"^(?:{edge}(?:{inner}*{edge})?)?$"


def text_rules(stripped: bool) -> dict[str, Any]:
    """What a `Text` field states: its pattern, and (apart, as a `not`: a class of 130,000 characters
    makes generators from the pattern crawl) no character of the private-use planes 15 and 16."""
    return {"pattern": string_pattern(True, stripped), "not": {"pattern": f"[{_class(sorted(_ASTRAL_PRIVATE))}]"}}


class RequestJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema of a request model, with the gateway's rules on strings and numbers."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        json_schema = super().str_schema(schema)
        if "pattern" not in json_schema:  # a field's own pattern already names the characters it takes
            json_schema["pattern"] = string_pattern(text=False, stripped=bool(self._config.str_strip_whitespace))
        return json_schema

    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> JsonSchemaValue:
        json_schema = super().function_after_schema(schema)
        if schema["function"].get("function") is nfc_text and json_schema.get("type") == "string":
            json_schema.update(text_rules(stripped=bool(self._config.str_strip_whitespace)))
        return json_schema

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        json_schema = super().dict_schema(schema)
        if "patternProperties" in json_schema:  # keys that miss the pattern are refused, not passed on
            json_schema.setdefault("additionalProperties", False)
        return json_schema

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        """A decimal as a JSON number within its bounds and places (a numeric string is accepted as well,
        not published: its range cannot be written as a pattern)."""
        json_schema: dict[str, Any] = {"type": "number"}
        for key, name in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum")):
            if schema.get(key) is not None:
                json_schema[name] = float(schema[key])  # type: ignore[literal-required]
        places = schema.get("decimal_places")
        if places is not None:
            json_schema["multipleOf"] = float(10**-places)
        return json_schema

    def generate(self, schema: core_schema.CoreSchema, mode: Any = "validation") -> JsonSchemaValue:
        json_schema = super().generate(schema, mode)
        _drop_patterns_beside_enums(json_schema)
        return json_schema


def _drop_patterns_beside_enums(node: Any) -> None:
    """A code from a fixed list needs no character pattern: its options say it all."""
    if isinstance(node, dict):
        if "enum" in node or "const" in node:
            node.pop("pattern", None)
        for value in node.values():
            _drop_patterns_beside_enums(value)
    elif isinstance(node, list):
        for value in node:
            _drop_patterns_beside_enums(value)
