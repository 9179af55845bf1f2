"""The working group's errors; each maps to HTTP through its base class (shared/errors.py)."""

from shared.errors import Conflict, NotFound, ValidationFailed


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "找不到此工作小組成員"
    title_en = "Working group member not found"


class SeatTaken(Conflict):
    code = "seat_taken"
    title = "此職位在該任期已有成員"
    title_en = "Someone holds this seat during that term"


class MeetingNotFound(NotFound):
    code = "meeting_not_found"
    title = "找不到此會議紀錄"
    title_en = "Meeting not found"


class BadMeeting(ValidationFailed):
    code = "bad_meeting"
    title = "會議紀錄不正確"
    title_en = "The meeting record is not valid"


class TrainingNotFound(NotFound):
    code = "training_not_found"
    title = "找不到此場次"
    title_en = "Training session not found"


class BadTraining(ValidationFailed):
    code = "bad_training"
    title = "場次資料不正確"
    title_en = "The session is not valid"


class BadAttendance(ValidationFailed):
    code = "bad_attendance"
    title = "出席名單不正確"
    title_en = "The attendance list is not valid"


class ProposalNotFound(NotFound):
    code = "proposal_not_found"
    title = "找不到此敘獎提案"
    title_en = "Commendation proposal not found"


class AlreadyDecided(Conflict):
    code = "already_decided"
    title = "工作小組已議決此提案"
    title_en = "The group has already decided this proposal"


class SemesterUnknown(NotFound):
    code = "semester_unknown"
    title = "註冊組尚未建立此學期"
    title_en = "The school calendar has no such semester"
