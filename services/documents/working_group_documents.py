"""The 工作小組's papers: meeting minutes with attendance and decisions, the sign-in sheet printed before
a session, the 敘獎 list. Entrypoints of DocumentsService (a mixin: it uses the service's dependencies)."""

from __future__ import annotations

from nameko.rpc import rpc

from services.documents import render
from services.documents.views import pdf_result
from services.working_group.schemas import CANDIDATE_KINDS_ZH
from shared.permissions import Permission, require


class WorkingGroupDocuments:
    # --- 工作小組: minutes, sign-in sheets, the 敘獎 list ---

    @rpc
    def meeting_minutes(self, meeting_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        meeting = self.working_group.get_meeting(meeting_id)
        members = {m["id"]: m for m in self.working_group.list_members()}
        attendees = [members[i] for i in meeting["attendee_ids"] if i in members]
        serving = self.working_group.list_members(meeting["held_on"])
        absent = [m for m in serving if m["id"] not in set(meeting["attendee_ids"])]
        attachments = [e["filename"] for e in self.evidence.describe(meeting.get("attachment_ids", []), caller.school_id)]
        chair = members.get(meeting["chair_id"], {})
        data = render.pdf(
            "minutes.html",
            title="工作小組會議紀錄",
            school_name=self._peers(caller).letterhead()["school_name"],
            m=meeting,
            chair=f"{chair.get('position_name', '')} {chair.get('name', '')}".strip(),
            attendees=attendees,
            absent=absent,
            attachments=attachments,
        )
        return pdf_result(data, f"工作小組會議紀錄-{meeting['held_on']}.pdf")

    @rpc
    def training_signin(self, training_id: str) -> dict:
        """The sign-in sheet to print before a session: everyone who should attend, a line each to sign."""
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_READ)
        training = self.working_group.get_training(training_id)
        people = self.working_group.trainees(training_id)
        parents = training["kind"] not in ("student_training", "teacher_workshop")
        students = training["kind"] == "student_training"
        data = render.pdf(
            "signin.html",
            title=f"{training['kind_name']}簽到表",
            school_name=self._peers(caller).letterhead()["school_name"],
            t=training,
            people=[] if parents else sorted(people, key=lambda p: (p.get("class_code") or "", p.get("username") or "")),
            with_class=students,
            id_label="學號" if students else "帳號",
            blank_rows=30 if parents else 3,  # parents sign in by name: a sheet of empty lines
        )
        return pdf_result(data, f"簽到表-{training['planned_on']}.pdf", people=0 if parents else len(people))

    @rpc
    def commendations(self, proposal_id: str) -> dict:
        """The 敘獎 list: the proposal's candidates, or once decided those the group approved with the award."""
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        proposal = self.working_group.get_proposal(proposal_id)
        decided = proposal["status"] == "decided"
        candidates = [
            {**c, "kind_name": CANDIDATE_KINDS_ZH.get(c["kind"], c["kind"])}
            for c in proposal["candidates"]
            if not decided or c.get("approved")
        ]
        data = render.pdf(
            "commendations.html",
            title="敘獎名單",
            school_name=self._peers(caller).letterhead()["school_name"],
            p=proposal,
            status="工作小組議決通過" if decided else "提案（尚未議決）",
            decided=decided,
            candidates=candidates,
        )
        return pdf_result(data, f"敘獎名單-{proposal['year']}-{proposal['term']}.pdf")
