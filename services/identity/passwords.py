"""Password hashing with argon2id.

Parameters follow OWASP's minimum (19 MiB, 2 passes, 1 lane): a login rush of 10 concurrent hashes
per worker costs about 190 MiB, not gigabytes. Hashing is CPU-bound C code, so the service runs it
in eventlet's thread pool to keep its hub answering other RPCs.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the account does not exist, so timing does not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("licheng-no-such-account")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
