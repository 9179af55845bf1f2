"""Events records emits. Nameko event type `changed` from service `records` = `records.changed`.

Payload (plain JSON): {"type": record type, "school_id", "student_id": one student or None,
"student_ids": every student touched, "ids": record ids,
"action": "create|update|delete|import|publish|claim|check|recheck|archive|unarchive"}.
Imports emit one event per chunk. Handlers must be idempotent (re-read by RPC when in doubt).
"""

CHANGED = "changed"
# Archiving: {"school_id", "student_ids", "status", "left_on"}; certification and evidence keep a
# projection of archived students and refuse writes for them. Unarchived: {"school_id", "student_ids"}.
STUDENT_ARCHIVED = "student_archived"
STUDENT_UNARCHIVED = "student_unarchived"
# An import job to run off the request path: {"school_id", "import_id"}; records' own worker takes it.
IMPORT_QUEUED = "import_queued"


def archived(school_id: str, student_ids: list[str], status: str | None = None, left_on: str | None = None) -> dict:
    return {"school_id": school_id, "student_ids": sorted(set(student_ids)), "status": status, "left_on": left_on}


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
