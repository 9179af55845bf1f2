"""Field encryption at rest (Fernet: AES-128-CBC + HMAC-SHA256) with the key in LICHENG_FIELD_KEY."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class FieldCipher:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode() if isinstance(key, str) else key)

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("the value cannot be decrypted with this installation's field key") from None
