"""Who is calling: travels from the gateway to services as Nameko context_data (flat strings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.errors import Forbidden
from shared.roles import Role


@dataclass(frozen=True)
class Caller:
    user_id: str
    username: str
    school_id: str | None  # None only for the district admin
    roles: frozenset[Role]
    request_id: str = ""
    student_id: str | None = None
    display_name: str = field(default="", compare=False)
    # The server-side session the token belongs to (identity owns sessions; logout ends this one).
    session_id: str = field(default="", compare=False)
    # An account with a password someone else set may only change it (and log out) until it does.
    must_change_password: bool = field(default=False, compare=False)

    @property
    def is_system(self) -> bool:
        """Trusted internal work (workers, commands) acting for a school it names."""
        return self.user_id == "system"

    @classmethod
    def system(cls, request_id: str = "") -> Caller:
        """A caller for trusted internal work (demo seeding, tests, workers)."""
        return cls(user_id="system", username="system", school_id=None, roles=frozenset(Role), request_id=request_id)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def require_school(self) -> str:
        if not self.school_id:
            raise Forbidden("此操作需要學校帳號", "this action needs a school account")
        return self.school_id

    def to_context(self) -> dict[str, str]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "school_id": self.school_id or "",
            "roles": ",".join(sorted(self.roles)),
            "request_id": self.request_id,
            "student_id": self.student_id or "",
            "session_id": self.session_id,
        }

    @classmethod
    def from_context(cls, data: dict) -> Caller | None:
        if not data.get("user_id"):
            return None
        return cls(
            user_id=data["user_id"],
            username=data.get("username", ""),
            school_id=data.get("school_id") or None,
            roles=frozenset(Role(r) for r in data.get("roles", "").split(",") if r),
            request_id=data.get("request_id", ""),
            student_id=data.get("student_id") or None,
            session_id=data.get("session_id", ""),
        )
