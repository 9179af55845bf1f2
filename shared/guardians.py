"""A parent (家長) reads a child through the service that owns the data; identity says whose child it is.

The gateway checks the permission (a `child:` one, parents only); the owning service then asks identity
whether the caller is a guardian of that student, and answers a student who is not the caller's child
(another family's, another school's, one who left) with 404, as for a record that does not exist. A
parent is never given the child's identity: every read names the student explicitly and is made as the
parent, so nothing a parent route calls can write as the child.
"""

from __future__ import annotations

from typing import Any

from shared.caller import Caller
from shared.errors import Forbidden, NotFound
from shared.permissions import Permission, require
from shared.roles import Role


def child_of(
    caller: Caller | None, identity: Any, student_id: Any, permission: Permission = Permission.CHILD_PORTFOLIO_READ
) -> tuple[Caller, str, str]:
    """The parent, its school and the child's student id, once identity confirms the link (else 404)."""
    caller = require(caller, permission)
    if not caller.has(Role.PARENT):
        raise Forbidden("您的角色不能執行此操作", "only a parent reads a child's portfolio")
    school = caller.require_school()
    if not isinstance(student_id, str) or not student_id or len(student_id) > 64:
        raise NotFound("找不到此學生", "no such child of yours")
    identity.guardian_of(student_id)  # identity's ChildNotFound (404) travels back as it is
    return caller, school, student_id
