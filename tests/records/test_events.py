"""records.changed reaches a listener bound to the records event exchange (as other services' handlers are)."""

from __future__ import annotations

import json
import time

from kombu import Connection, Exchange, Queue

from shared.roles import Role


def test_a_change_emits_records_changed_with_type_school_student_and_ids(rec_a, system):
    exchange = Exchange("records.events", type="topic", durable=True)
    with Connection(system.settings().amqp_uri) as connection:
        queue = Queue("test-records-changed", exchange=exchange, routing_key="changed", exclusive=True, auto_delete=True)
        bound = queue(connection.default_channel)
        bound.declare()
        body = {"year": rec_a.year, "term": rec_a.term, "student_id": "S002", "absence_type": "公假", "periods": 3}
        saved = rec_a.clients[Role.DISCIPLINE].post("/api/v1/records/attendance", json=body)
        assert saved.status_code in (200, 201), saved.text
        record_id = saved.json()["record"]["id"]
        deadline = time.monotonic() + 15
        payloads = []
        while time.monotonic() < deadline:
            message = bound.get(no_ack=True)
            if message is None:
                time.sleep(0.1)
                continue
            payload = message.payload if isinstance(message.payload, dict) else json.loads(message.body)
            payloads.append(payload)
            if payload.get("ids") == [record_id]:
                break
        match = next(p for p in payloads if p.get("ids") == [record_id])
        assert match == {
            "type": "attendance",
            "school_id": rec_a.code,
            "student_id": "S002",
            "student_ids": ["S002"],
            "ids": [record_id],
            "action": match["action"],
        }
        assert match["action"] in ("create", "update")
