"""Which errors a service raises mean "a server behind me is away", so the caller answers 503.

A service whose database is down raises pymongo's connection errors; FerretDB whose PostgreSQL is
down or restarting answers an OperationFailure (InternalError) carrying PostgreSQL's message. Both
come back to the gateway as a Nameko RemoteError naming the exception type. They are not bugs of
ours: the user should see 「服務暫時無法使用」 and retry, not 「系統發生錯誤」. The same holds when the database
away is that of a service called by the one the gateway called.
"""

from __future__ import annotations

from nameko.exceptions import RemoteError

_UNREACHABLE_TYPES = {"AutoReconnect", "ConnectionFailure", "NetworkTimeout", "ServerSelectionTimeoutError", "NotPrimaryError"}
# PostgreSQL behind FerretDB: admin shutdown / crash (57P01-57P03), refused or lost connections
_BACKEND_AWAY = ("SQLSTATE 57P0", "connection refused", "dial error", "unexpected postmaster exit", "failed to connect to")


def backend_away(error: RemoteError) -> bool:
    exc_type, value = error.exc_type, error.value or ""
    # A service whose own call to another failed that way re-raises the RemoteError it got, which
    # reaches the gateway as a RemoteError whose value begins with the inner type: unwrap it.
    while exc_type == "RemoteError" and value:
        exc_type, _, value = value.partition(" ")
    if exc_type in _UNREACHABLE_TYPES:
        return True
    return exc_type == "OperationFailure" and any(marker in value for marker in _BACKEND_AWAY)
