"""Which service errors mean "a server behind me is away" (a 503, not a 500): shared/outages.py."""

from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError, serialize

from shared.outages import backend_away


def _nested(inner: RemoteError) -> RemoteError:
    """What the gateway gets when a service re-raises the RemoteError of its own call to another."""
    wire = serialize(inner)
    return RemoteError(wire["exc_type"], wire["value"])


@pytest.mark.parametrize(
    ("exc_type", "value", "away"),
    [
        ("AutoReconnect", "127.0.0.1:27117: connection closed", True),
        ("ServerSelectionTimeoutError", "127.0.0.1:27117: [Errno 111] Connection refused", True),
        ("OperationFailure", "SQLSTATE 57P01: terminating connection due to administrator command", True),
        ("OperationFailure", "E11000 duplicate key error", False),
        ("KeyError", "'school_id'", False),
    ],
)
def test_a_database_away_is_told_from_a_bug_directly_and_through_another_service(exc_type, value, away):
    direct = RemoteError(exc_type, value)
    assert backend_away(direct) is away
    assert backend_away(_nested(direct)) is away
    assert backend_away(_nested(_nested(direct))) is away
