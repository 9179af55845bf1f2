"""Simulator settings, only from the environment."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "licheng-national-sim-dev-only"


def _schools_from_env() -> dict[str, tuple[str, str]]:
    """LICHENG_NATIONAL_SCHOOLS="A00001:apikey[:receipt-password],B00002:apikey2"."""
    schools = {}
    for entry in filter(None, (e.strip() for e in os.environ.get("LICHENG_NATIONAL_SCHOOLS", "").split(","))):
        parts = entry.split(":")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise RuntimeError(f"LICHENG_NATIONAL_SCHOOLS: bad entry {entry!r} (want code:apikey[:receipt-password])")
        schools[parts[0]] = (parts[1], parts[2] if len(parts) > 2 and parts[2] else "")
    return schools


@dataclass(frozen=True)
class SimSettings:
    bind: str = field(default_factory=lambda: os.environ.get("LICHENG_NATIONAL_BIND", "127.0.0.1:8090"))
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("LICHENG_NATIONAL_DATA_DIR", str(ROOT / "var" / "national-sim"))).resolve()
    )
    # Per-school API keys and receipt passwords are HMACs of this secret, unless listed explicitly.
    secret: str = field(default_factory=lambda: os.environ.get("LICHENG_NATIONAL_SECRET", "") or DEV_SECRET)
    schools: dict[str, tuple[str, str]] = field(default_factory=_schools_from_env)
    admin_token: str = field(default_factory=lambda: os.environ.get("LICHENG_NATIONAL_ADMIN_TOKEN", ""))
    confirm_days: int = field(default_factory=lambda: int(os.environ.get("LICHENG_NATIONAL_CONFIRM_DAYS", "7")))
    max_roster_bytes: int = field(default_factory=lambda: int(os.environ.get("LICHENG_NATIONAL_MAX_ROSTER_BYTES", str(20 * 1024 * 1024))))
    initial_faults: dict = field(default_factory=lambda: json.loads(os.environ.get("LICHENG_NATIONAL_FAULTS", "") or "{}"))
    latency_ms: int = field(default_factory=lambda: int(os.environ.get("LICHENG_NATIONAL_LATENCY_MS", "0")))

    def _derive(self, purpose: str, school: str, length: int) -> str:
        return hmac.new(self.secret.encode(), f"{purpose}:{school}".encode(), hashlib.sha256).hexdigest()[:length]

    def api_key(self, school: str) -> str:
        return self.schools[school][0] if school in self.schools else self._derive("api", school, 40)

    def receipt_password(self, school: str) -> str:
        listed = self.schools.get(school, ("", ""))[1]
        return listed or self._derive("receipt", school, 20)

    def bearer_token(self, school: str) -> str:
        return f"{school}.{self.api_key(school)}"

    def school_for_token(self, token: str) -> str | None:
        school, _, key = token.partition(".")
        if not school or not key:
            return None
        return school if hmac.compare_digest(key, self.api_key(school)) else None
