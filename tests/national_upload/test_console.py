"""The registrar's upload console through the gateway: credentials, progress, dead letters, retry."""

from __future__ import annotations

import uuid

from services.national_upload.domain import idempotency_key
from services.national_upload.store import UploadStore
from shared.clock import utcnow
from shared.mongo import make_client
from tests.support.api import assert_problem


def _upload_with_items(system, school: str) -> tuple[str, str]:
    """An upload as the (coming) start-upload RPC will record it: one accepted item, one dead-lettered."""
    settings = system.settings()
    client = make_client(settings)
    store = UploadStore(client[settings.database_name("national_upload")])
    upload_id = uuid.uuid4().hex
    store.insert_upload(school, {"_id": upload_id, "year": 114, "term": 1, "created_at": utcnow()})
    dead_id = uuid.uuid4().hex
    items = []
    for item_id, state in ((uuid.uuid4().hex, "accepted"), (dead_id, "dead")):
        items.append(
            {
                "_id": item_id,
                "upload_id": upload_id,
                "roster": "1",
                "kind": "roster",
                "ref": "f",
                "student_id": "",
                "state": state,
                "attempts": 5,
                "history": [],
                "detail": "HTTP 500 server_error" if state == "dead" else None,
                "idempotency_key": idempotency_key(school, 114, 1, "1", "", item_id, "0" * 64),
            }
        )
    store.insert_items(school, items)
    client.close()
    return upload_id, dead_id


def test_registrar_sees_progress_and_retries_a_dead_item(system, school_a, school_b):
    registrar = school_a.registrar
    assert registrar.put("/api/v1/national/credentials", json={"token": f"{school_a.code}.secret-key"}).status_code == 200
    upload_id, dead_id = _upload_with_items(system, school_a.code)
    progress = registrar.get(f"/api/v1/national/uploads/{upload_id}").json()
    assert progress["total"] == 2 and progress["counts"]["accepted"] == 1 and progress["counts"]["dead"] == 1 and progress["done"]
    dead = registrar.get(f"/api/v1/national/uploads/{upload_id}/items", params={"state": "dead"}).json()
    assert [i["id"] for i in dead] == [dead_id] and dead[0]["state_zh"] == "無法送達" and "HTTP 500" in dead[0]["detail"]
    assert_problem(school_b.registrar.post(f"/api/v1/national/items/{dead_id}/retry"), 404)  # another school: not theirs
    assert registrar.post(f"/api/v1/national/items/{dead_id}/retry").json()["state"] == "queued"
    assert_problem(registrar.post(f"/api/v1/national/items/{dead_id}/retry"), 409, "item_not_dead")
    assert_problem(school_b.registrar.get(f"/api/v1/national/uploads/{upload_id}"), 404)
    assert any(u["upload_id"] == upload_id for u in registrar.get("/api/v1/national/uploads").json())
