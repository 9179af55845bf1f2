"""How passwords are kept: argon2 for chosen ones, a keyed hash for generated ones (no I/O)."""

from __future__ import annotations

from services.identity.domain import generate_password
from services.identity.passwords import hash_generated, hash_password, verify_password

KEY = "field-key-for-tests"


def test_a_generated_password_is_kept_as_a_keyed_hash_and_verifies():
    password = generate_password()
    stored = hash_generated(KEY, password)
    assert password not in stored and not stored.startswith("$argon2")
    assert verify_password(stored, password, KEY)
    assert not verify_password(stored, password + "x", KEY)
    assert not verify_password(stored, password, "another-key")  # a copy of the database alone is not enough
    assert hash_generated(KEY, password) == stored != hash_generated(KEY, generate_password())


def test_a_chosen_password_is_argon2_and_an_absent_account_never_verifies():
    stored = hash_password("Chosen-pass-1")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "Chosen-pass-1", KEY) and not verify_password(stored, "chosen-pass-1", KEY)
    assert not verify_password(None, "licheng-no-such-account", KEY)
    assert not verify_password("not a hash", "x", KEY)
