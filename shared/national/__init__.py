"""National rules (學習歷程資料庫) as data per 學年度, roster workbooks, validation and receipts.

from shared.national import rules_for, write_roster, read_roster, validate_rows
"""

from shared.national.findings import Finding, RosterFormatError, national_errors
from shared.national.roster_io import RosterFile, read_roster, write_roster
from shared.national.rules import (
    UnknownRoster,
    UnknownYear,
    YearRules,
    known_years,
    parse_roster_filename,
    rules_for,
    rules_with,
)
from shared.national.validator import EvidenceInfo, Report, validate_cover, validate_rows

__all__ = [
    "EvidenceInfo",
    "Finding",
    "Report",
    "RosterFile",
    "RosterFormatError",
    "UnknownRoster",
    "UnknownYear",
    "YearRules",
    "known_years",
    "national_errors",
    "parse_roster_filename",
    "read_roster",
    "rules_for",
    "rules_with",
    "validate_cover",
    "validate_rows",
    "write_roster",
]
