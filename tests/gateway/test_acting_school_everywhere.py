"""Every service applies the one school rule to the RPCs other services call with a school id: the
system caller reaches the school it names; a caller of another school gets 404 (never 403, never data)."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.caller import Caller
from shared.roles import Role

SCHOOL = "A00001"
OTHER = Caller("someone-of-b", "registrar", "B00002", frozenset({Role.REGISTRAR, Role.WORKING_GROUP}))

# One RPC per service that takes the school it acts for (service, method, arguments after the school).
CALLS = [
    ("records", "roster_students", ()),
    ("certification", "outcomes_of_student", ("S001",)),
    ("evidence", "describe", None),  # describe(ids, school_id)
    ("backup", "archive_settings", ()),
    ("national_upload", "term_outcome", (114, 1)),
]


def _call(proxy, service: str, method: str, args):
    target = getattr(getattr(proxy, service), method)
    return target(["nothing"], SCHOOL) if args is None else target(SCHOOL, *args)


@pytest.mark.parametrize("service,method,args", CALLS, ids=[c[0] for c in CALLS])
def test_another_schools_caller_gets_not_found_and_the_system_caller_gets_through(system, school_a, service, method, args):
    config = system.settings().nameko_config()
    with ClusterRpcProxy(config, context_data=OTHER.to_context(), timeout=30) as proxy:
        with pytest.raises(Exception) as refused:
            _call(proxy, service, method, args)
        assert type(refused.value).__name__ == "NotFound", refused.value
    with ClusterRpcProxy(config, context_data=Caller.system().to_context(), timeout=30) as proxy:
        _call(proxy, service, method, args)  # answers (whatever the school holds), no error
