"""Identity's request and response models, shared with the gateway (validation and OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema, field_validator, model_validator

from shared.roles import Role
from shared.tabular import ImportRowError
from shared.validation import StrictModel, Text

SchoolCode = Annotated[str, Field(pattern=r"^[0-9A-Z]{6}$", description="6-character 學校代碼")]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Password = Annotated[str, Field(min_length=8, max_length=128)]
DisplayName = Annotated[Text, Field(min_length=1, max_length=50)]
ClassCode = Annotated[str, Field(pattern=r"^[1-3][0-9]{2}$", description="班級代碼: 年級 + 班序, e.g. 101")]
# The school's address for the person (reminders; a district provider's verified e-mail links the account).
Email = Annotated[
    str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="電子郵件 / e-mail"), AfterValidator(str.lower)
]
# A school account's roles: any but the district admin's and the parent's (the validators below refuse
# those): a parent's account is opened only with an invitation code, and holds no other role.
_NOT_GIVEN = (Role.DISTRICT_ADMIN, Role.PARENT)
SchoolRole = Annotated[Role, WithJsonSchema({"type": "string", "enum": [r.value for r in Role if r not in _NOT_GIVEN]})]
SchoolRoles = Annotated[list[SchoolRole], Field(min_length=1, max_length=len(Role))]


def _refuse_roles_not_given(roles: list[Role]) -> None:
    if Role.DISTRICT_ADMIN in roles:
        raise ValueError("學校帳號不可具縣市管理者角色|a school account cannot be district admin")
    if Role.PARENT in roles:
        raise ValueError("家長帳號由家長以邀請碼自行開設|parent accounts are opened with an invitation code")


class CreateSchool(StrictModel):
    code: SchoolCode
    name: Annotated[Text, Field(min_length=2, max_length=60)]


class School(BaseModel):
    code: str
    name: str
    created_at: datetime


class CreateAccount(StrictModel):
    username: Username
    display_name: DisplayName
    roles: SchoolRoles
    password: Password | None = None
    class_code: ClassCode | None = None
    student_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    email: Email | None = None

    @field_validator("roles")
    @classmethod
    def _school_roles_only(cls, roles: list[Role]) -> list[Role]:
        _refuse_roles_not_given(roles)
        return sorted(set(roles))


class CreateSchoolAdmin(StrictModel):
    username: Username
    display_name: DisplayName
    password: Password | None = None


class UpdateAccount(StrictModel):
    display_name: DisplayName | None = None
    roles: SchoolRoles | None = None
    class_code: ClassCode | None = None
    disabled: bool | None = None
    email: Email | None = None

    @field_validator("roles")
    @classmethod
    def _school_roles_only(cls, roles: list[Role] | None) -> list[Role] | None:
        _refuse_roles_not_given(roles or [])
        return sorted(set(roles)) if roles else roles


class Account(BaseModel):
    id: str
    school_id: str | None
    username: str
    display_name: str
    roles: list[Role]
    class_code: str | None = None
    student_id: str | None = None
    email: str | None = None
    disabled: bool = False
    must_change_password: bool = False
    created_at: datetime


class AccountPage(BaseModel):
    items: list[Account]
    page: int
    per_page: int
    total: int


class AccountCreated(BaseModel):
    account: Account
    initial_password: str | None = Field(None, description="shown once when the server generated it")


class Login(StrictModel):
    school_code: Annotated[str, Field(max_length=16)] = Field("", description="學校代碼; empty for the district admin")
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class LoginResult(BaseModel):
    token: str = Field(description="access token (Bearer), valid until expires_at")
    expires_at: datetime
    account: Account
    session_id: str = ""
    refresh_token: str = Field("", description="trade it at POST /api/v1/auth/refresh for a new access token (once)")
    session_expires_at: datetime | None = Field(None, description="the session ends then at the latest (or after idling)")


class Refresh(StrictModel):
    refresh_token: Annotated[str, Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9]+\.[A-Za-z0-9_-]+$")]


class SessionView(BaseModel):
    """One of the caller's open sessions (a browser or an API client), for 登入裝置."""

    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str = ""
    user_agent: str = ""
    current: bool = False


class ChangePassword(StrictModel):
    current_password: Annotated[str, Field(min_length=1, max_length=128)]
    new_password: Password


class PasswordReset(BaseModel):
    account_id: str
    temporary_password: str


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    actor_name: str
    action: str
    target: str
    note: str = ""


class PasswordSheetState(BaseModel):
    state: str = Field(description="none (every row named its password) | ready (download once) | downloaded")
    url: str = ""


class AccountImportJob(BaseModel):
    """An account import job: queued, running (validating, hashing, writing), done, or rejected (nothing imported)."""

    import_id: str
    status: str = Field(description="queued | running | done | rejected | failed (stopped by an error: nothing created)")
    phase: str = Field(description="queued | validating | hashing | writing | finished")
    rows: int
    validated: int
    hashed: int = Field(description="passwords hashed so far")
    imported: int
    errors: list[ImportRowError]
    error_count: int
    already_imported: bool = False
    url: str
    password_sheet: PasswordSheetState


# --- sign-in through a district's OpenID Connect provider ---


class SsoIdentity(StrictModel):
    """Who the provider says signed in: the gateway verified the ID token (signature, issuer, audience,
    expiry, nonce) before it names the subject here."""

    provider: Annotated[str, Field(min_length=1, max_length=32)]
    issuer: Annotated[str, Field(min_length=1, max_length=500)]
    subject: Annotated[str, Field(min_length=1, max_length=255)]
    email: Annotated[str, Field(max_length=254)] = ""
    email_verified: bool = False


class SsoAttempt(StrictModel):
    """One sign-in started at the gateway: what the callback must match (used once, within minutes)."""

    state: Annotated[str, Field(min_length=32, max_length=128)]
    nonce: Annotated[str, Field(min_length=32, max_length=128)]
    code_verifier: Annotated[str, Field(min_length=43, max_length=128)]
    provider: Annotated[str, Field(min_length=1, max_length=32)]
    next: Annotated[str, Field(max_length=500)] = "/home"
    # Linking from a signed-in session (我的帳號 → 連結): the session that asked, else empty.
    link_session: Annotated[str, Field(max_length=64)] = ""


class SsoLinkView(BaseModel):
    provider: str
    linked_at: datetime
    how: str = Field(description="self (the user linked it) | email (the school's e-mail matched the provider's)")


# --- parents (家長): invitations by 註冊組, accounts opened with a code ---

InvitationCode = Annotated[str, Field(min_length=8, max_length=40, description="邀請碼 as printed (dashes and spaces ignored)")]


class CreateInvitations(StrictModel):
    """One invitation per student: the students named, or every enrolled student of a class."""

    student_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=200)] = []
    class_code: ClassCode | None = None
    email: Email | None = Field(None, description="the parent's e-mail: the code is also mailed there (one student named)")

    @model_validator(mode="after")
    def _one_student_by_mail(self) -> CreateInvitations:
        if self.email and (self.class_code or len(self.student_ids) != 1):
            raise ValueError("以電子郵件寄送邀請時，請只指定一位學生|an e-mailed invitation names exactly one student")
        return self


class InvitationBatch(BaseModel):
    batch_id: str
    created: int
    expires_at: datetime
    sheet_url: str = Field(description="the printable slips with the codes, downloadable once")
    emailed_to: str | None = Field(None, description="where the code was mailed (queued for the mail worker)")
    email_failed: bool = Field(False, description="the mail could not be queued: print the slip instead")


class InvitationView(BaseModel):
    id: str
    student_id: str
    student_name: str
    class_code: str = ""
    seat_no: int | None = None
    state: str = Field(description="pending | used | expired | revoked")
    state_zh: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class GuardianView(BaseModel):
    """A parent linked to a student, as the registrar sees it (never the parent's password or sessions)."""

    id: str = Field(description="the link's id (remove it to end the parent's access to this student)")
    student_id: str
    parent_name: str
    linked_at: datetime


class StudentGuardians(BaseModel):
    student_id: str
    guardians: list[GuardianView]
    invitations: list[InvitationView]


class JoinAsParent(StrictModel):
    """The public join page: the code from the slip and the parent's own account."""

    code: InvitationCode
    username: Username
    display_name: DisplayName
    password: Password


class LinkChild(StrictModel):
    code: InvitationCode


class Child(BaseModel):
    student_id: str
    name: str
    class_code: str = ""
    seat_no: int | None = None
    linked_at: datetime
