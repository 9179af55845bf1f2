"""Unit roles (docs/architecture.md §2). One person may hold several."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DISTRICT_ADMIN = "district_admin"  # 縣市 host
    REGISTRAR = "registrar"  # 教務處 註冊組
    CURRICULUM = "curriculum"  # 教務處 教學組
    GUIDANCE = "guidance"  # 輔導室
    COUNSELOR = "counselor"  # 課程諮詢教師
    DISCIPLINE = "discipline"  # 學務處 生輔組
    ACTIVITIES = "activities"  # 學務處 訓育組
    CONTEST_ORGANIZER = "contest_organizer"  # 校內競賽承辦單位
    HOMEROOM = "homeroom"  # 導師
    TEACHER = "teacher"  # 任課教師
    STUDENT = "student"  # 學生
    WORKING_GROUP = "working_group"  # 工作小組
    PARENT = "parent"  # 家長: an account of its own, opened by an invitation; reads its children only


ROLE_NAMES_ZH: dict[Role, str] = {
    Role.DISTRICT_ADMIN: "縣市管理者",
    Role.REGISTRAR: "註冊組",
    Role.CURRICULUM: "教學組",
    Role.GUIDANCE: "輔導室",
    Role.COUNSELOR: "課程諮詢教師",
    Role.DISCIPLINE: "生輔組",
    Role.ACTIVITIES: "訓育組",
    Role.CONTEST_ORGANIZER: "校內競賽承辦單位",
    Role.HOMEROOM: "導師",
    Role.TEACHER: "任課教師",
    Role.STUDENT: "學生",
    Role.WORKING_GROUP: "工作小組",
    Role.PARENT: "家長",
}

# Roles that live inside one school; only the district admin works above schools. A parent's account
# belongs to its children's school too, but is no member of it (shared/permissions.py `_MEMBERS`).
SCHOOL_ROLES: frozenset[Role] = frozenset(r for r in Role if r is not Role.DISTRICT_ADMIN)


def parse_roles(values: list[str] | tuple[str, ...] | str) -> frozenset[Role]:
    """Roles from a list or a comma/semicolon/space separated string; raises ValueError naming the unknown one."""
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").replace(" ", ",").split(",") if v]
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip()))
        except ValueError:
            raise ValueError(value) from None
    return frozenset(roles)
