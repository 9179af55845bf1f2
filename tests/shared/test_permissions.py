"""The permission table is complete and school scopes never reach the district role."""

from shared.permissions import GRANTS, Permission, check_table_complete, is_allowed
from shared.roles import Role, parse_roles


def test_table_is_complete():
    check_table_complete()
    assert set(GRANTS) == set(Permission)


def test_permission_names_are_scope_resource_action():
    for permission in Permission:
        scope, resource, action = permission.value.split(":")
        assert scope in {"district", "school", "self", "class", "course", "child"} and resource and action


def test_district_admin_cannot_touch_school_accounts():
    assert not is_allowed({Role.DISTRICT_ADMIN}, Permission.SCHOOL_ACCOUNTS_READ)
    assert is_allowed({Role.TEACHER, Role.REGISTRAR}, Permission.SCHOOL_ACCOUNTS_READ)


def test_parse_roles_names_the_unknown_role():
    assert parse_roles("teacher, homeroom") == {Role.TEACHER, Role.HOMEROOM}
    try:
        parse_roles(["teacher", "wizard"])
    except ValueError as exc:
        assert str(exc) == "wizard"
    else:
        raise AssertionError("unknown role accepted")


def test_a_parent_reaches_only_its_own_account_and_its_children():
    parent = {p.value for p, roles in GRANTS.items() if Role.PARENT in roles}
    assert all(p.split(":")[0] in ("self", "child") for p in parent)
    assert {p.value for p, roles in GRANTS.items() if p.value.startswith("child:")} <= parent
    for school_wide in (
        Permission.SCHOOL_CALENDAR_READ,
        Permission.SCHOOL_CLASSES_READ,
        Permission.SCHOOL_COURSES_READ,
        Permission.SCHOOL_EVIDENCE_READ,
        Permission.SCHOOL_RECORD_RULES_READ,
        Permission.SCHOOL_STAFF_LOOKUP,
        Permission.SELF_NOTIFICATIONS_READ,
        Permission.SELF_OUTCOMES_READ,
        Permission.SELF_RECEIPT_CONFIRM,
    ):
        assert not is_allowed({Role.PARENT}, school_wide), school_wide
