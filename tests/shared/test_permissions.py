"""The permission table is complete and school scopes never reach the district role."""

from shared.permissions import GRANTS, Permission, check_table_complete, is_allowed
from shared.roles import Role, parse_roles


def test_table_is_complete():
    check_table_complete()
    assert set(GRANTS) == set(Permission)


def test_permission_names_are_scope_resource_action():
    for permission in Permission:
        scope, resource, action = permission.value.split(":")
        assert scope in {"district", "school", "self", "class", "course"} and resource and action


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
