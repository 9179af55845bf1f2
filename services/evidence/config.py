"""Evidence's own settings, from the environment (the S3 address and keys come from shared.config)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from services.evidence.domain import MB, Quota


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class EvidenceConfig:
    form_seconds: int = field(default_factory=lambda: _int("LICHENG_EVIDENCE_FORM_SECONDS", 600))
    download_seconds: int = field(default_factory=lambda: _int("LICHENG_EVIDENCE_DOWNLOAD_SECONDS", 300))
    # An upload never completed is swept this long after its form expired.
    abandon_grace_seconds: int = field(default_factory=lambda: _int("LICHENG_EVIDENCE_ABANDON_GRACE_SECONDS", 3600))
    quota_files: int = field(default_factory=lambda: _int("LICHENG_EVIDENCE_QUOTA_FILES", 200))
    quota_mb: int = field(default_factory=lambda: _int("LICHENG_EVIDENCE_QUOTA_MB", 400))
    # Where clients post forms, when the store's public address differs from the service's.
    public_url: str = field(default_factory=lambda: os.environ.get("LICHENG_S3_PUBLIC_URL", ""))

    @property
    def quota(self) -> Quota:
        return Quota(max_files=self.quota_files, max_bytes=self.quota_mb * MB)
