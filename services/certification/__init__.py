"""Certification: course learning outcomes (課程學習成果) from draft to certified, and the selection (勾選)."""
