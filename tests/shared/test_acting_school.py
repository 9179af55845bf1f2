"""The one rule for RPCs that name a school (shared/tenancy.acting_school): a trusted system caller acts
for the school it names, any other caller only for its own; another school is 404, in every service."""

from __future__ import annotations

import pytest

from shared.caller import Caller
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.roles import Role
from shared.tenancy import acting_school

REGISTRAR_A = Caller("u1", "registrar", "A00001", frozenset({Role.REGISTRAR}))
DISTRICT = Caller("d1", "district", None, frozenset({Role.DISTRICT_ADMIN}))


def test_the_system_caller_acts_for_the_school_it_names():
    assert acting_school(Caller.system(), "A00001") == "A00001"


def test_a_school_caller_acts_for_its_own_school_named_or_not():
    assert acting_school(REGISTRAR_A, "A00001") == "A00001"
    assert acting_school(REGISTRAR_A, None) == "A00001"
    assert acting_school(REGISTRAR_A, "") == "A00001"


@pytest.mark.parametrize("caller", [REGISTRAR_A, DISTRICT])
@pytest.mark.parametrize("school", ["B00002", 7, ["A00001"]])
def test_naming_another_school_is_not_found(caller, school):
    with pytest.raises(NotFound):
        acting_school(caller, school)


def test_no_caller_and_no_school():
    with pytest.raises(Unauthenticated):
        acting_school(None, "A00001")
    with pytest.raises(Forbidden):
        acting_school(Caller.system(), None)  # the system caller always names the school
