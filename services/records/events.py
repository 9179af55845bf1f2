"""Events records emits. Nameko event type `changed` from service `records` = `records.changed`.

Payload (plain JSON): {"type": record type, "school_id", "student_id": one student or None,
"student_ids": every student touched, "ids": record ids, "action": "create|update|delete|import|publish|claim|check|recheck"}.
Imports emit one event per chunk. Handlers must be idempotent (re-read by RPC when in doubt).
"""

CHANGED = "changed"


def changed(type_: str, school_id: str, action: str, ids: list[str], student_ids: list[str]) -> dict:
    unique = sorted({s for s in student_ids if s})
    return {
        "type": type_,
        "school_id": school_id,
        "student_id": unique[0] if len(unique) == 1 else None,
        "student_ids": unique,
        "ids": ids,
        "action": action,
    }
