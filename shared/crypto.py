"""Field encryption at rest (Fernet) and keyed lookup hashes, both derived from LICHENG_FIELD_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


def _derive(secret: str, label: bytes) -> bytes:
    if not secret:
        raise RuntimeError("LICHENG_FIELD_KEY is not set")
    return hmac.new(secret.encode(), label, hashlib.sha256).digest()


class FieldCipher:
    """Encrypts a field at rest and computes its keyed lookup hash (to index a value never stored in clear)."""

    def __init__(self, secret: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"licheng/field-encryption/v1")))
        self._hash_key = _derive(secret, b"licheng/national-id-lookup/v1")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise RuntimeError("a stored field cannot be decrypted with the configured key") from None

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
