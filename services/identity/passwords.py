"""Password hashing: argon2id for passwords people choose, a keyed hash for the ones we generate.

argon2 parameters follow OWASP's minimum (19 MiB, 2 passes, 1 lane): a login rush of 10 concurrent
hashes per worker costs about 190 MiB, not gigabytes. Hashing is CPU-bound C code, so the service runs
it in eventlet's thread pool to keep its hub answering other RPCs.

A password the server generates (an account created without one, an import's initial-password sheet,
a reset) is 12 characters from 54: about 2^69 guesses, and it must be changed at the first login. A
slow hash protects guessable secrets; a random one of that size needs none, so it is kept as an HMAC
under a key derived from LICHENG_FIELD_KEY, as the parents' invitation codes are. A copy of the
database alone cannot be tried offline, and a 2,000-account import no longer spends half a minute of
both cores on argon2. The login still runs one argon2 (on a dummy) for such an account, so its timing
does not tell whether the initial password is still in use.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the account does not exist, so timing does not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("licheng-no-such-account")
_GENERATED = "licheng-hmac-sha256$"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def hash_generated(key: str, password: str) -> str:
    """The stored form of a password the server generated (see the module's note)."""
    if not key:
        raise RuntimeError("LICHENG_FIELD_KEY is not set")
    derived = hmac.new(key.encode(), b"licheng/generated-password/v1", hashlib.sha256).digest()
    return _GENERATED + hmac.new(derived, password.encode(), hashlib.sha256).hexdigest()


def verify_password(password_hash: str | None, password: str, key: str) -> bool:
    if password_hash is not None and password_hash.startswith(_GENERATED):
        _argon2_matches(_DUMMY_HASH, password)  # the same time as any other login
        return hmac.compare_digest(password_hash, hash_generated(key, password))
    return _argon2_matches(password_hash or _DUMMY_HASH, password) and password_hash is not None


def _argon2_matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
