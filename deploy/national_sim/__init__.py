"""Stand-in for the national 學習歷程資料庫 (see deploy/national-sim/README.md for its HTTP API)."""
