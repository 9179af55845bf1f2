"""Events evidence emits (payloads are plain JSON dicts).

Nameko names an event by its source service and type: listeners subscribe with
`@event_handler("evidence", STORED)`, which is the `evidence.stored` of docs/architecture.md §6.
"""

# {"school_id", "evidence_id", "student_id", "purpose", "kind", "sha256", "size", "content_type", "version_id", "replaced"}
STORED = "stored"
# {"school_id", "evidence_id", "reason"}
LOCKED = "locked"
# {"school_id", "evidence_id", "student_id"}
DELETED = "deleted"
