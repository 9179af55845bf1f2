"""Parents (家長): 註冊組 invites them per student; a parent opens its own account with the code.

An invitation is for one student and is used once: printed on a slip (per class, like the initial-
password sheet, handed out once) or handed over otherwise. Its code is stored as a keyed hash only,
expires after `INVITATION_DAYS` and can be revoked. The code opens a parent account (username and
password of the parent's choosing, the same rules as every account) or, for a parent signed in
already, links one more child. A parent account holds no other role, belongs to the school of its
children (a parent of children at two schools has an account at each) and reads its children only:
the services that own the data ask `guardian_of` before answering (shared/guardians.py).

A student who left (畢業/轉出) is read by no parent any more: their links are marked as the student's
accounts are disabled (leavers.py), and come back if the archive is undone.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from eventlet import tpool
from nameko.rpc import RpcProxy, rpc

from services.identity import domain, invitation_codes
from services.identity import sessions as session_rules
from services.identity.errors import (
    AddressThrottled,
    ChildNotFound,
    GuardianNotFound,
    InvitationInvalid,
    InvitationNotFound,
    InvitationSheetGone,
)
from services.identity.passwords import hash_password
from services.identity.schemas import (
    Child,
    CreateInvitations,
    GuardianView,
    InvitationBatch,
    InvitationView,
    JoinAsParent,
    LinkChild,
    StudentGuardians,
)
from services.records.rules import ARCHIVED_STATUSES
from shared.caller import Caller
from shared.clock import utcnow
from shared.crypto import FieldCipher
from shared.errors import Forbidden, ValidationFailed, field_error
from shared.logs import log_event
from shared.permissions import Permission, require
from shared.roles import Role
from shared.validation import parse

INVITATION_DAYS = 30
log = logging.getLogger("licheng.identity.guardians")
MAX_CHILDREN = 10


def _invitation_view(doc: dict[str, Any], now: Any) -> dict:
    state = invitation_codes.state_of(doc, now)
    return InvitationView.model_validate(
        {**doc, "id": doc["_id"], "state": state, "state_zh": invitation_codes.STATE_NAMES[state]}
    ).model_dump(mode="json")


class Guardians:
    """Mixed into IdentityService (store, caller, settings, changes, `_open_session`, `_end_sessions`)."""

    caller: Caller | None
    records_for_guardians = RpcProxy("records")
    reminders_for_guardians = RpcProxy("reminders")

    # --- 註冊組: invitations, the slips, a student's parents ---

    @rpc
    def create_invitations(self, payload: dict) -> dict:
        """One invitation per student named (or per enrolled student of a class); the slips wait, once."""
        caller = require(self.caller, Permission.SCHOOL_GUARDIANS_MANAGE)
        school = caller.require_school()
        request = parse(CreateInvitations, payload)
        students = self._students_to_invite(school, request)
        now = utcnow()
        expires = now + timedelta(days=INVITATION_DAYS)
        batch_id = domain.new_id()
        codes = [invitation_codes.new_code() for _ in students]
        docs = [
            {
                "_id": domain.new_id(),
                "code_hash": invitation_codes.code_hash(self.settings.field_key, code),
                "student_id": s["student_id"],
                "student_name": s.get("name", ""),
                "class_code": s.get("class_code") or "",
                "seat_no": s.get("seat_no"),
                "batch_id": batch_id,
                "created_by": caller.user_id,
                "created_at": now,
                "expires_at": expires,
                "used_at": None,
                "revoked_at": None,
            }
            for s, code in zip(students, codes, strict=True)
        ]
        self.store.guardians.add_invitations(school, docs)
        slips = [
            {"student_name": d["student_name"], "class_code": d["class_code"], "seat_no": d["seat_no"], "code": invitation_codes.shown(c)}
            for d, c in zip(docs, codes, strict=True)
        ]
        sheet = json.dumps(slips, ensure_ascii=False)
        self.store.guardians.keep_sheet(
            school,
            {"_id": batch_id, "state": "ready", "created_by": caller.user_id, "created_at": now, "expires_at": expires, "count": len(docs),
             "sheet_enc": FieldCipher(self.settings.field_key).encrypt(sheet)},
        )  # fmt: skip
        what = f"class {request.class_code}" if request.class_code else f"{len(docs)} students"
        self.changes.record(school, caller, "guardian.invite", batch_id, note=f"{len(docs)} invitations for {what}")
        emailed = self._mail_invitation(school, docs[0], codes[0], request.email) if request.email else None
        return InvitationBatch(
            batch_id=batch_id,
            created=len(docs),
            expires_at=expires,
            sheet_url=f"/api/v1/guardians/batches/{batch_id}/sheet",
            emailed_to=emailed,
            email_failed=bool(request.email and not emailed),
        ).model_dump(mode="json")

    def _mail_invitation(self, school: str, doc: dict[str, Any], code: str, email: str) -> str | None:
        """The code by e-mail too (the reminders service's outbox and worker; the slip stays printable).
        A mail that cannot be queued leaves the invitation as it is: the page says to print the slip."""
        school_doc = self.store.get_school(school) or {}
        try:
            self.reminders_for_guardians.send_invitation(
                {
                    "invitation_id": doc["_id"],
                    "to": email,
                    "student_name": doc["student_name"],
                    "class_code": doc["class_code"],
                    "school_name": school_doc.get("name", school),
                    "code": invitation_codes.shown(code),
                    "expires_at": doc["expires_at"].isoformat(),
                }
            )
        except Exception as exc:  # the reminders service away: nothing is lost, the slip is printed instead
            log_event(log, "invitation mail not queued", school_id=school, error=type(exc).__name__)
            return None
        self.changes.record(school, self.caller, "guardian.invite_mailed", doc["_id"], note="mailed to the parent")
        return email

    def _students_to_invite(self, school: str, request: CreateInvitations) -> list[dict[str, Any]]:
        if request.class_code:
            found = self.records_for_guardians.students_of_class(school, request.class_code)
            if not found:
                raise ValidationFailed(
                    "此班級沒有在學學生",
                    "the class has no enrolled student",
                    [field_error("class_code", "此班級沒有在學學生", "no enrolled student", "empty_class")],
                )
            return found
        if not request.student_ids:
            raise ValidationFailed(
                "請選擇學生或班級",
                "name students or a class",
                [field_error("student_ids", "請選擇學生或班級", "name students or a class", "required")],
            )
        students = []
        for n, student_id in enumerate(dict.fromkeys(request.student_ids)):
            student = self.records_for_guardians.get_student(school, student_id)
            if not student or student.get("status") in ARCHIVED_STATUSES:
                raise ValidationFailed(
                    "找不到在學學生",
                    "no enrolled student of that id",
                    [field_error(f"student_ids.{n}", "找不到此在學學生", "no such enrolled student", "unknown_student")],
                )
            students.append(student)
        return students

    @rpc
    def invitation_sheet(self, batch_id: str) -> dict:
        """The batch's slips (student, class, seat, code), once: afterwards only the codes' hashes remain (410)."""
        caller = require(self.caller, Permission.SCHOOL_GUARDIANS_MANAGE)
        school = caller.require_school()
        batch = self.store.guardians.batch(school, batch_id) if isinstance(batch_id, str) else None
        if batch is None:
            raise InvitationNotFound("找不到此批邀請碼", "no such invitation batch")
        handed_out = {"state": "downloaded", "downloaded_at": utcnow(), "downloaded_by": caller.user_id}
        taken = self.store.guardians.take_sheet(school, batch_id, handed_out)
        if taken is None:
            raise InvitationSheetGone("邀請單只能下載一次，已下載過（遺失者請為該生重新產生邀請碼）", "the slips are handed out once")
        slips = json.loads(FieldCipher(self.settings.field_key).decrypt(taken["sheet_enc"]))
        self.changes.record(school, caller, "guardian.invitation_sheet", batch_id, note=f"{len(slips)} slips")
        school_doc = self.store.get_school(school) or {}
        slips.sort(key=lambda s: (s["class_code"], s["seat_no"] if s["seat_no"] is not None else 999, s["student_name"]))
        return {
            "school_code": school,
            "school_name": school_doc.get("name", school),
            "expires_at": taken["expires_at"].isoformat(),
            "slips": slips,
        }

    @rpc
    def invitations(self, class_code: str | None = None, student_id: str | None = None) -> list[dict]:
        """The invitations of a class or of a student, newest first, with their state."""
        caller = require(self.caller, Permission.SCHOOL_GUARDIANS_MANAGE)
        school = caller.require_school()
        now = utcnow()
        if isinstance(student_id, str) and student_id:
            docs = self.store.guardians.invitations_of_student(school, student_id)
        elif isinstance(class_code, str) and class_code:
            docs = self.store.guardians.invitations_of_class(school, class_code)
        else:
            raise ValidationFailed("請選擇班級或學生", "name a class or a student")
        return [_invitation_view(d, now) for d in docs]

    @rpc
    def revoke_invitation(self, invitation_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_GUARDIANS_MANAGE)
        school = caller.require_school()
        doc = self.store.guardians.invitation(school, invitation_id) if isinstance(invitation_id, str) else None
        if doc is None:
            raise InvitationNotFound("找不到此邀請碼", "invitation not found")
        if doc.get("used_at") is not None:
            raise InvitationInvalid("此邀請碼已使用，無法撤銷；請改為移除家長連結", "used already: remove the parent link instead")
        if doc.get("revoked_at") is None:
            self.store.guardians.revoke(school, invitation_id, {"revoked_at": utcnow(), "revoked_by": caller.user_id})
            self.changes.record(school, caller, "guardian.revoke_invitation", invitation_id, note=doc["student_id"])
        return _invitation_view(self.store.guardians.invitation(school, invitation_id) or doc, utcnow())

    @rpc
    def student_guardians(self, student_id: str) -> dict:
        """A student's parents and invitations (a student of another school has none: 404)."""
        caller = require(self.caller, Permission.SCHOOL_GUARDIANS_MANAGE)
        school = caller.require_school()
        if not isinstance(student_id, str) or not self.records_for_guardians.get_student(school, student_id):
            raise ChildNotFound("找不到此學生", "student not found")
        links = self.store.guardians.links_of_student(school, student_id)
        now = utcnow()
        return StudentGuardians(
            student_id=student_id,
            guardians=[self._guardian_view(school, link) for link in links],
            invitations=[_invitation_view(d, now) for d in self.store.guardians.invitations_of_student(school, student_id)],
        ).model_dump(mode="json")

    def _guardian_view(self, school: str, link: dict[str, Any]) -> dict:
        parent = self.store.find_account(school, link["parent_id"]) or {}
        name = parent.get("display_name") or "（帳號已刪除）"
        return GuardianView(id=link["_id"], student_id=link["student_id"], parent_name=name, linked_at=link["linked_at"]).model_dump(
            mode="json"
        )

    @rpc
    def remove_guardian(self, link_id: str) -> None:
        """Ends one parent's access to one student; a parent left without a child cannot sign in any more."""
        caller = require(self.caller, Permission.SCHOOL_GUARDIANS_MANAGE)
        school = caller.require_school()
        link = self.store.guardians.link_by_id(school, link_id) if isinstance(link_id, str) else None
        if link is None or not self.store.guardians.remove_link(school, link_id):
            raise GuardianNotFound("找不到此家長連結", "no such parent link")
        self.changes.record(school, caller, "guardian.remove", link["parent_id"], note=link["student_id"])
        if not self.store.guardians.links_of_parent(school, link["parent_id"]):
            self.store.update_account(school, link["parent_id"], {"disabled": True})
            self.changes.record(school, caller, "account.disabled_without_children", link["parent_id"])
            self._end_sessions(school, link["parent_id"], caller, "disabled")

    # --- the parent: join with a code, add a child, list children ---

    @rpc
    def join_as_parent(self, payload: dict, client: dict | None = None) -> dict:
        """The public join page: the code opens a parent account and signs it in (a login's answer)."""
        request = parse(JoinAsParent, payload)
        address, user_agent = session_rules.client_of(client)
        invitation = self._usable_invitation(request.code, address)
        school = invitation["school_id"]
        domain.check_password_policy(request.username, request.password)
        if self.store.find_by_username(school, request.username) is not None:
            raise ValidationFailed(
                "此帳號名稱已有人使用",
                "the username is taken",
                [field_error("username", "此帳號名稱已有人使用，請換一個", "taken: choose another", "taken")],
            )
        now = utcnow()
        password_hash = tpool.execute(hash_password, request.password)
        doc = domain.parent_document(request.username, request.display_name, school, password_hash, now)
        self._claim(invitation, now)
        try:
            self.store.insert_account(doc)
        except Exception:
            self.store.guardians.release(school, invitation["_id"])  # the username was taken meanwhile: the code stays usable
            raise
        self.changes.record(school, None, "account.create", doc["_id"], after=doc, note="parent by invitation")
        self._link(invitation, doc, now)
        result = self._open_session(doc, school, now, address, user_agent)
        self.changes.record(school, None, "auth.login", doc["_id"], note=result["session_id"])
        return result

    @rpc
    def link_child(self, payload: dict, client: dict | None = None) -> dict:
        """A signed-in parent adds one more child with that child's code (of the parent's own school)."""
        caller = require(self.caller, Permission.SELF_CHILDREN_LINK)
        school = caller.require_school()
        request = parse(LinkChild, payload)
        address, _ = session_rules.client_of(client)
        invitation = self._usable_invitation(request.code, address, school)
        if self.store.guardians.link(school, caller.user_id, invitation["student_id"]) is not None:
            already = "此學生已在您的子女名單中"
            raise InvitationInvalid(already, "your child already", [field_error("code", already, "linked already", "linked")])
        if len(self.store.guardians.links_of_parent(school, caller.user_id)) >= MAX_CHILDREN:
            full = "子女人數已達上限"
            raise ValidationFailed(full, "too many children", [field_error("code", full, "too many children", "too_many")])
        now = utcnow()
        self._claim(invitation, now)
        parent = self.store.find_account(school, caller.user_id) or {"_id": caller.user_id}
        return self._link(invitation, parent, now)

    def _usable_invitation(self, code: str, address: str, school: str | None = None) -> dict[str, Any]:
        """The invitation a typed code names, or why not; a wrong code counts as a failed login from its address."""
        now = utcnow()
        window = now - timedelta(seconds=self.settings.login_address_window_seconds)
        if address and self.store.sessions.address_failures_since(address, window) >= self.settings.login_address_max_failures:
            raise AddressThrottled("請稍後再試", "try again later")
        normalised = invitation_codes.normalise(code)
        hashed = invitation_codes.code_hash(self.settings.field_key, normalised) if normalised else ""
        doc = self.store.guardians.invitation_by_hash(hashed) if hashed else None
        if doc is None or (school is not None and doc["school_id"] != school):
            if address:
                self.store.sessions.count_address_failure(address, now)
            raise InvitationNotFound(
                "邀請碼不正確，請核對通知單上的邀請碼",
                "no invitation has this code",
                [field_error("code", "邀請碼不正確，請核對通知單", "no invitation has this code", "unknown_code")],
            )
        state = invitation_codes.state_of(doc, now)
        if state != "pending":
            zh, en = invitation_codes.REFUSALS[state]
            raise InvitationInvalid(zh, en, [field_error("code", zh, en, state)])
        return doc

    def _claim(self, invitation: dict[str, Any], now: Any) -> None:
        if not self.store.guardians.claim(invitation["school_id"], invitation["_id"], now):
            zh, en = invitation_codes.REFUSALS["used"]
            raise InvitationInvalid(zh, en, [field_error("code", zh, en, "used")])

    def _link(self, invitation: dict[str, Any], parent: dict[str, Any], now: Any) -> dict:
        school = invitation["school_id"]
        link = {
            "_id": domain.new_id(),
            "parent_id": parent["_id"],
            "student_id": invitation["student_id"],
            "invitation_id": invitation["_id"],
            "linked_at": now,
            "student_left": False,
            # as the invitation named the student; the children list asks records for today's class and seat
            "student": {k: invitation.get(k) for k in ("student_name", "class_code", "seat_no")},
        }
        self.store.guardians.add_link(school, link)
        self.store.guardians.mark_used(school, invitation["_id"], {"used_at": now, "used_by": parent["_id"]})
        self.changes.record(school, None, "guardian.link", parent["_id"], note=invitation["student_id"])
        return self._child_view(link, {"name": invitation.get("student_name", ""), **link["student"]})

    @rpc
    def my_children(self) -> list[dict]:
        """The caller's children still at school, by name (the page's switcher)."""
        caller = require(self.caller, Permission.SELF_CHILDREN_READ)
        school = caller.require_school()
        links = [link for link in self.store.guardians.links_of_parent(school, caller.user_id) if not link.get("student_left")]
        return [self._child_view(link, self.records_for_guardians.get_student(school, link["student_id"]) or {}) for link in links]

    @staticmethod
    def _child_view(link: dict[str, Any], student: dict[str, Any]) -> dict:
        return Child(
            student_id=link["student_id"],
            name=student.get("name", ""),
            class_code=student.get("class_code") or "",
            seat_no=student.get("seat_no"),
            linked_at=link["linked_at"],
        ).model_dump(mode="json")

    @rpc
    def guardian_of(self, student_id: str) -> dict:
        """For the services a parent reads through: the calling parent's child, or 404 as for a stranger's."""
        caller = require(self.caller, Permission.CHILD_PORTFOLIO_READ)
        if not caller.has(Role.PARENT):
            raise Forbidden("您的角色不能執行此操作", "only a parent reads a child's portfolio")
        school = caller.require_school()
        link = self.store.guardians.link(school, caller.user_id, student_id) if isinstance(student_id, str) else None
        if link is None or link.get("student_left"):
            raise ChildNotFound("找不到此學生", "no such child of yours")
        return {"student_id": student_id, "school_id": school}

    def _children_left(self, school: str, student_ids: list[str], leaving: bool) -> None:
        """Leavers' parents read nothing more (called from leavers.py with the students' accounts)."""
        if student_ids:
            self.store.guardians.mark_left(school, student_ids, leaving)

    def _converge_children_left(self, school: str, left: list[str]) -> None:
        """The reconcile's repair: links of students no longer archived are readable again (a lost event)."""
        back = sorted(self.store.guardians.students_marked_left(school) - set(left))
        self._children_left(school, back, leaving=False)
