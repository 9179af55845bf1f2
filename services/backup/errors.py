"""The backup service raises only shared errors (its CLI reports engine.BackupError itself)."""
