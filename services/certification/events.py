"""Events certification emits (payloads are plain JSON dicts)."""

OUTCOME_SUBMITTED = "outcome_submitted"  # {"school_id", "outcome_id", "student_id", "teacher_ids"}
OUTCOME_CERTIFIED = "outcome_certified"  # {"school_id", "outcome_id", "student_id", "evidence_ids", "certified_by", "certified_for"}
OUTCOME_RETURNED = "outcome_returned"  # {"school_id", "outcome_id", "student_id", "reason"}
SELECTION_LOCKED = "selection_locked"  # {"school_id", "year", "term"}
