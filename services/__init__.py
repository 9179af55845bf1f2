"""The Nameko services: identity, records, evidence, certification, national_upload."""
