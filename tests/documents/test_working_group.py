"""工作小組 on paper: the minutes with attendance and decisions, the sign-in sheet printed before a
session, the 敘獎 list; school B reads none of school W's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.documents.dates import roc_long
from shared.roles import Role
from tests.documents import pdfs
from tests.documents.seed import group_school
from tests.support.api import assert_problem
from tests.working_group.conftest import other_group, today  # noqa: F401  (school B's working group member)
from tests.working_group.test_flow import API, _meeting


@pytest.fixture(scope="module")
def wg(system, district):
    return group_school(system, district, "G00017", "工作小組高中", "g")


def _pdf(response) -> bytes:
    assert response.status_code == 200, response.text[:300]
    return response.content


def test_minutes_signin_sheet_and_commendations_print(wg, other_group):  # noqa: F811
    secretary = wg.secretary
    meeting = secretary.post(f"{API}/meetings", json=_meeting(wg, agenda=["學習歷程檔案建置期程", "敘獎"])).json()
    data = _pdf(secretary.get(f"/api/v1/documents/working-group/meetings/{meeting['id']}.pdf"))
    pdfs.page_png(data, "doc-wg-minutes")
    text = pdfs.check_printable(data)
    for expected in (
        "工作小組高中",
        "工作小組會議紀錄",
        "王校長",
        "李主任",
        "陳老師",
        "出席 3 人",
        "學習歷程檔案建置期程",
        "註冊組統籌",
        roc_long(today()),
    ):
        assert expected in text, expected
    assert "林家長" not in text  # no longer a member that day: neither present nor absent

    guidance = wg.rec.clients[Role.GUIDANCE]
    planned = (today() + timedelta(days=1)).isoformat()
    session = guidance.post(
        f"{API}/trainings", json={"kind": "student_training", "year": wg.rec.year, "title": "登錄說明會", "planned_on": planned}
    )
    assert session.status_code == 201, session.text
    data = _pdf(guidance.get(f"/api/v1/documents/working-group/trainings/{session.json()['id']}/sign-in.pdf"))
    pdfs.page_png(data, "doc-wg-signin")
    text = pdfs.check_printable(data)
    assert "學生訓練簽到表" in text and "應出席 3 人" in text
    assert "登錄說明會" in text and "S001" in text and "學生1" in text and "S003" in text and roc_long(planned) in text

    proposal = secretary.post(f"{API}/commendations", json={"year": wg.rec.year, "term": wg.rec.term})
    assert proposal.status_code == 201, proposal.text
    proposal = proposal.json()
    data = _pdf(secretary.get(f"/api/v1/documents/working-group/commendations/{proposal['id']}.pdf"))
    pdfs.page_png(data, "doc-wg-commendations")
    text = pdfs.check_printable(data)
    assert "敘獎名單" in text and "生輔組" in text

    other = other_group  # a working group member of school B
    assert_problem(other.get(f"/api/v1/documents/working-group/meetings/{meeting['id']}.pdf"), 404)
    assert_problem(other.get(f"/api/v1/documents/working-group/commendations/{proposal['id']}.pdf"), 404)
    assert_problem(wg.rec.students["S001"].get(f"/api/v1/documents/working-group/meetings/{meeting['id']}.pdf"), 403)
