"""The working group through the gateway on the real system: members, meetings, trainings, the dashboard on a
seeded school with known answers, commendations and their export, roles and tenancy."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from shared.roles import Role
from tests.evidence import files
from tests.evidence.test_flow import direct_upload
from tests.support.api import assert_problem
from tests.working_group.conftest import add_member, today

API = "/api/v1/working-group"


def _meeting(wg, **changes) -> dict:
    m = wg.members
    body = {
        "year": wg.rec.year,
        "term": wg.rec.term,
        "held_on": today().isoformat(),
        "chair_id": m["principal"]["id"],
        "attendee_ids": [m["principal"]["id"], m["secretary"]["id"], m["chair"]["id"]],
        "agenda": ["本學期學習歷程檔案建置期程"],
        "minutes": "決議如下。",
        "decisions": {"methods": "各單位於平臺登錄", "people": "註冊組統籌", "schedule": "校內期限前完成", "content": "依分工表"},
    }
    return {**body, **changes}


def _codes(body: dict) -> dict[str, str]:
    return {e["field"]: e["code"] for e in body.get("errors", [])}


def test_members_keep_one_person_per_seat_and_subject_chairs_name_their_subject(wg):
    registrar = wg.registrar
    start = today().isoformat()
    body = assert_problem(registrar.post(f"{API}/members", json={"position": "principal", "name": "另一位", "term_starts": start}), 409)
    assert body["code"] == "seat_taken" and "王校長" in body["detail"]
    assert_problem(registrar.post(f"{API}/members", json={"position": "subject_chair", "name": "某老師", "term_starts": start}), 422)
    unknown = {"position": "equipment_head", "name": "某組長", "account_id": "not-an-account", "term_starts": start}
    assert _codes(assert_problem(registrar.post(f"{API}/members", json=unknown), 422))["account_id"] == "unknown_account"
    english = add_member(registrar, position="subject_chair", subject="英文", name="黃老師", term_starts=start)
    assert english["position_name"] == "教研會召集人"
    serving = {m["id"] for m in registrar.get(f"{API}/members", params={"on": start}).json()}
    assert english["id"] in serving and wg.members["former_parent"]["id"] not in serving
    ended = registrar.patch(f"{API}/members/{english['id']}", json={"term_ends": start})
    assert ended.status_code == 200 and ended.json()["term_ends"] == start
    assert_problem(registrar.patch(f"{API}/members/nope", json={"term_ends": start}), 404, "member_not_found")


def test_bad_meetings_are_refused_field_by_field(wg):
    secretary, m = wg.secretary, wg.members
    before_semester = (date.fromisoformat(wg.semester["starts_on"]) - timedelta(days=1)).isoformat()
    body = assert_problem(secretary.post(f"{API}/meetings", json=_meeting(wg, held_on=before_semester)), 422, "bad_meeting")
    assert _codes(body)["held_on"] == "outside_semester" and body["title"] == "會議紀錄不正確" and body["title_en"]
    attendees = [m["principal"]["id"], "no-such-member", m["former_parent"]["id"]]
    body = assert_problem(secretary.post(f"{API}/meetings", json=_meeting(wg, attendee_ids=attendees)), 422, "bad_meeting")
    assert _codes(body) == {"attendee_ids.1": "unknown_member", "attendee_ids.2": "not_member"}
    assert "message_en" in body["errors"][0]
    body = assert_problem(secretary.post(f"{API}/meetings", json=_meeting(wg, chair_id=m["secretary"]["id"])), 422)
    assert _codes(body)["chair_id"] == "not_convener"
    body = assert_problem(secretary.post(f"{API}/meetings", json=_meeting(wg, attachment_ids=["nope"])), 422)
    assert _codes(body)["attachment_ids.0"] == "unknown_evidence"
    assert_problem(secretary.post(f"{API}/meetings", json=_meeting(wg, term=2 if wg.rec.term == 1 else 1)), 422)
    assert_problem(secretary.post(f"{API}/meetings", json=_meeting(wg, agenda=[])), 422, "validation_failed")


def test_the_home_page_warns_until_the_semester_has_a_meeting(wg):
    secretary, term = wg.secretary, (wg.rec.year, wg.rec.term)

    def no_meeting() -> set:
        return {(w["year"], w["term"]) for w in secretary.get(f"{API}/warnings").json() if w["code"] == "no_meeting"}

    assert term in no_meeting()
    assert "尚未召開工作小組會議" in secretary.get("/home").text
    minutes = files.pdf(2000)
    form = direct_upload(secretary, minutes, purpose="working_group", filename="會議紀錄.pdf", sha256=files.sha256(minutes))
    attachment = secretary.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}).json()["id"]
    created = secretary.post(f"{API}/meetings", json=_meeting(wg, attachment_ids=[attachment]))
    assert created.status_code == 201, created.text
    assert term not in no_meeting()
    stored = secretary.get(f"{API}/meetings/{created.json()['id']}").json()
    assert stored["decisions"]["people"] == "註冊組統籌" and stored["attachment_ids"] == [attachment]
    assert "尚未召開工作小組會議" not in secretary.get("/home").text


def test_trainings_take_attendance_by_tick_list_and_sign_in_sheet_and_show_who_is_missing(wg):
    guidance, year = wg.rec.clients[Role.GUIDANCE], wg.rec.year
    far = (today() + timedelta(days=800)).isoformat()
    body = {"kind": "student_training", "year": year, "title": "學習歷程登錄訓練", "planned_on": far}
    assert _codes(assert_problem(guidance.post(f"{API}/trainings", json=body), 422, "bad_training"))["planned_on"] == "outside_year"
    session = guidance.post(f"{API}/trainings", json={**body, "planned_on": today().isoformat()})
    assert session.status_code == 201, session.text
    session = session.json()
    assert session["organiser"] == "輔導室偕同教務處"
    path = f"{API}/trainings/{session['id']}"
    assert_problem(guidance.put(f"{path}/attendance", json={"attendee_ids": ["S001"]}), 422, "bad_attendance")
    assert guidance.patch(path, json={"held_on": today().isoformat()}).status_code == 200
    assert _codes(assert_problem(guidance.put(f"{path}/attendance", json={"attendee_ids": ["S001", "S999"]}), 422))["attendee_ids.1"]
    assert guidance.put(f"{path}/attendance", json={"attendee_ids": ["S001"]}).json()["attendee_ids"] == ["S001"]
    sheet = "學號\nS002\n".encode()
    imported = guidance.post(f"{path}/attendance/import", files={"file": ("簽到.csv", sheet, "text/csv")})
    assert imported.status_code == 200, imported.text
    assert imported.json()["attendee_ids"] == ["S001", "S002"]
    bad = guidance.post(f"{path}/attendance/import", files={"file": ("簽到.csv", "學號\nS404\n".encode(), "text/csv")})
    assert assert_problem(bad, 422, "bad_attendance")["errors"][0]["row"] in (2, "2")
    # a whole year's sheets in one file (20,000 rows, far past the 5,000 a request once took): one answer
    long_sheet = ("學號\n" + "S001\nS002\n" * 10_000).encode()
    merged = guidance.post(f"{path}/attendance/import", files={"file": ("全年簽到.csv", long_sheet, "text/csv")})
    assert merged.status_code == 200, merged.text
    assert merged.json()["attendee_ids"] == ["S001", "S002"]
    late = ("學號\n" + "S001\n" * 20_000 + "S404\n").encode()  # the bad row is found wherever it is; nothing imported
    refused = assert_problem(guidance.post(f"{path}/attendance/import", files={"file": ("簽到.csv", late)}), 422)
    assert refused["errors"][0]["row"] in (20_002, "20002")
    ticks = {p["id"]: p["present"] for p in guidance.get(f"{path}/trainees").json()}
    assert ticks == {"S001": True, "S002": True, "S003": False}
    gaps = guidance.get(f"{API}/trainings/gaps", params={"year": year, "kind": "student_training"}).json()
    assert [p["id"] for p in gaps["not_attended"]] == ["S003"] and gaps["attended"] == 2

    secretary = wg.secretary
    workshop = secretary.post(
        f"{API}/trainings", json={"kind": "teacher_workshop", "year": year, "title": "課程諮詢研習", "planned_on": today().isoformat()}
    ).json()
    secretary.patch(f"{API}/trainings/{workshop['id']}", json={"held_on": today().isoformat()})
    sheet = "帳號\nw-teacher\n".encode()
    imported = secretary.post(f"{API}/trainings/{workshop['id']}/attendance/import", files={"file": ("s.csv", sheet)})
    assert imported.status_code == 200, imported.text
    missing = {p["name"] for p in secretary.get(f"{API}/trainings/gaps", params={"kind": "teacher_workshop"}).json()["not_attended"]}
    assert "w-teacher" not in missing and {"w-homeroom", "w-counselor"} <= missing
    kinds = {w.get("kind") for w in secretary.get(f"{API}/warnings").json() if w["code"] == "no_training"}
    assert kinds == {"parent_briefing"}


def test_dashboard_figures_on_the_seeded_school(wg):
    data = wg.secretary.get(f"{API}/dashboard").json()
    units = {u["unit"]: u for u in data["units"]}
    assert (units["activities"]["on_time"], units["activities"]["late"]) == (2, 1)
    assert (units["discipline"]["on_time"], units["discipline"]["late"]) == (1, 0)
    assert units["curriculum"]["on_time"] == 2  # the two course offerings
    people = {p["account_id"]: p for p in data["people"]}
    assert (people[wg.rec.ids[Role.ACTIVITIES]]["on_time"], people[wg.rec.ids[Role.ACTIVITIES]]["late"]) == (2, 1)
    teachers = {t["account_id"]: t for t in data["teachers"]}
    assert teachers[wg.rec.ids[Role.TEACHER]]["count"] == 1 and teachers[wg.rec.ids[Role.TEACHER]]["waiting"] == 0
    classes = {c["class_code"]: c for c in data["classes"]}
    assert (classes["101"]["uploaded"], classes["101"]["students"], classes["101"]["rechecked"]) == (1, 2, 1)
    assert [s["student_id"] for s in classes["101"]["not_uploaded"]] == ["S002"]
    assert (classes["102"]["uploaded"], classes["102"]["rechecked"]) == (0, 1)
    assert data["recheck"] == {"students": 3, "rechecked": 2}
    assert data["national"] is None  # no upload yet: the page shows 尚無上傳
    for name in ("timeline", "class_timeline", "classes", "units"):
        assert data["charts"][name].startswith("<svg") and "</svg>" in data["charts"][name]
    assert "訓育組" in data["charts"]["units"] and "101 班 % 50" in data["charts"]["class_timeline"]


def test_who_may_see_the_dashboard(wg):
    for role in (Role.WORKING_GROUP, Role.REGISTRAR):
        assert wg.rec.clients[role].get(f"{API}/dashboard").status_code == 200
    for role in (Role.STUDENT, Role.TEACHER, Role.HOMEROOM, Role.GUIDANCE):
        assert_problem(wg.rec.clients[role].get(f"{API}/dashboard"), 403)
    assert_problem(wg.rec.clients[Role.STUDENT].get(f"{API}/meetings"), 403)
    assert_problem(wg.rec.clients[Role.TEACHER].post(f"{API}/members", json={}), 403)
    assert_problem(wg.secretary.get(f"{API}/dashboard", params={"term": 3}), 422)


def test_commendations_proposed_by_the_secretary_decided_by_the_group_and_exported(wg):
    secretary, sem = wg.secretary, {"year": wg.rec.year, "term": wg.rec.term}
    assert_problem(wg.registrar.post(f"{API}/commendations", json=sem), 403)
    proposal = secretary.post(f"{API}/commendations", json=sem)
    assert proposal.status_code == 201, proposal.text
    proposal = proposal.json()
    keys = {c["key"] for c in proposal["candidates"]}
    assert "unit:discipline" in keys and "unit:activities" not in keys and f"teacher:{wg.rec.ids[Role.TEACHER]}" in keys
    meeting = secretary.post(f"{API}/meetings", json=_meeting(wg, agenda=["敘獎"])).json()
    decision = {"meeting_id": meeting["id"], "decisions": [{"key": "unit:discipline", "approved": True, "award": "嘉獎一次"}]}
    bad = {**decision, "decisions": [{"key": "unit:nobody", "approved": True}]}
    assert _codes(assert_problem(secretary.post(f"{API}/commendations/{proposal['id']}/decision", json=bad), 422)) == {
        "decisions.0.key": "unknown_candidate"
    }
    decided = secretary.post(f"{API}/commendations/{proposal['id']}/decision", json=decision)
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    assert_problem(secretary.post(f"{API}/commendations/{proposal['id']}/decision", json=decision), 409, "already_decided")
    export = wg.registrar.get(f"{API}/commendations/{proposal['id']}.xlsx")
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("類別", "單位或姓名", "具體事蹟", "工作小組議決通過", "建議獎度")
    assert [r[1] for r in rows[1:]] == ["生輔組"] and rows[1][4] == "嘉獎一次"


def test_school_b_cannot_read_school_a(wg, other_group):
    meeting = wg.secretary.get(f"{API}/meetings").json()
    assert meeting, "school A has meetings"
    assert_problem(other_group.get(f"{API}/meetings/{meeting[0]['id']}"), 404)
    assert other_group.get(f"{API}/members").json() == []
    assert all(m["id"] != meeting[0]["id"] for m in other_group.get(f"{API}/meetings").json())
    member_id = wg.members["principal"]["id"]
    assert_problem(other_group.patch(f"{API}/members/{member_id}", json={"name": "入侵"}), 404)
