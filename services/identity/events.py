"""Events identity emits (payloads are plain JSON dicts)."""

SCHOOL_CREATED = "school_created"  # {"school_id", "name"}
ACCOUNT_CREATED = "account_created"  # {"school_id", "account_id", "roles", "student_id"}
ACCOUNT_CHANGED = "account_changed"  # {"school_id", "account_id", "changes"}
