"""Query-string parameters, checked once (a bad value is a 422 naming the parameter)."""

from __future__ import annotations

from flask import request

from shared.errors import ValidationFailed, field_error


def int_arg(name: str, default: int | None = None, *, minimum: int = 0, maximum: int = 10**6) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise ValidationFailed(
            f"參數 {name} 須為 {minimum} 到 {maximum} 的整數",
            f"{name} must be an integer from {minimum} to {maximum}",
            [field_error(name, f"須為 {minimum} 到 {maximum} 的整數", f"an integer from {minimum} to {maximum}", "int_parsing")],
        )
    return int(raw)
