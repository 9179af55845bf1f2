"""National and school rules as data (docs/architecture.md §5): codes, categories and their fields, limits.

A new academic year's rule is a change here, not in the code. Facts marked (unverified) in
docs/national-rules.md / docs/national-rosters.md stay configurable and are flagged in `UNVERIFIED`.
"""

from __future__ import annotations

from dataclasses import dataclass

SUMMARY_MAX_CHARS = 100  # 簡述, characters not bytes
COURSE_CODE_LENGTH = 23
COURSE_CODE_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# 課程代碼 split (widths unverified): name, width; must sum to COURSE_CODE_LENGTH.
COURSE_CODE_SPLIT: tuple[tuple[str, int], ...] = (
    ("適用入學年度", 3),
    ("學校代碼", 6),
    ("課程類型", 1),
    ("群別", 2),
    ("科別", 3),
    ("班群", 1),
    ("課程類別", 1),
    ("開課方式", 1),
    ("科目屬性", 1),
    ("領域", 2),
    ("科目", 2),
)

# Seed regulation: the school finishes internal entry two weeks before the national deadline;
# student uploads stay open two weeks after 休業式, teachers certify about three weeks after.
INTERNAL_DEADLINE_DAYS_BEFORE_NATIONAL = 14
STUDENT_UPLOAD_DAYS_AFTER_CLOSING = 14
TEACHER_CERTIFICATION_DAYS_AFTER_CLOSING = 21

# 高三 梯次: grade-3 students' items go up in two rounds before university applications, each with its
# own national deadline per 名冊別 (set in the semester's national_deadlines); the school's internal
# deadline of a 梯次 is two weeks before its earliest one, like the term's.
BATCH_ROSTERS: dict[str, tuple[str, ...]] = {"1": ("34", "35", "36", "38"), "2": ("74", "75", "76", "78")}
BATCH_LABELS = {"1": "高三第一梯次", "2": "高三第二梯次"}

SCORE_MIN, SCORE_MAX = 0, 100
PASS_MARK = 60
MAX_CREDITS = 20

GENDERS = {"1": "男", "2": "女"}
STUDENT_STATUSES = {
    "在學": "enrolled",
    "休學": "suspended",
    "轉出": "transferred_out",
    "畢業": "graduated",
    "退學": "withdrawn",
    "死亡": "deceased",
}
ACTIVE_STATUSES = frozenset({"在學"})
# 部別 (the national 部別代碼, codes 1-5 of the 2015 defaults; 6 and 7 appear in 108 data with no known
# meaning and are not offered). A student's 部別 decides their rosters: 進修部 students go to the
# 進修學校 rosters (7 and 28) instead of 2 and 26.
DIVISIONS = {"1": "日間部", "2": "夜間部", "3": "實用技能學程(日)", "4": "實用技能學程(夜)", "5": "進修部"}
DAY_DIVISION = "1"
CONTINUING_DIVISIONS = frozenset({"5"})
# 重讀註記 is 1/2 in the 108 extracts; what each value means is not documented (unverified).
REPEAT_NOTES = {"1": "1", "2": "2"}
# Leaving the school archives the portfolio (docs/architecture.md §2): read-only, out of active lists,
# kept `retention years` after leaving, then purged (seed regulation: 以學生就學期間之資料為限).
ARCHIVED_STATUSES = frozenset({"畢業", "轉出"})
ABSENCE_TYPES = ("事假", "病假", "公假", "喪假", "產假", "曠課", "遲到", "早退")
CADRE_LEVELS = {"1": "校級", "2": "班級", "3": "社團", "4": "實習", "5": "其他"}
CLUB_ROLES = ("社長", "副社長", "幹部", "社員")
STATEMENT_KINDS = {"autobiography": "自傳", "study_plan": "學習計畫"}
# The fields the seed regulation names for 自傳/讀書計畫 (含生涯規劃、自我期許、專長、興趣等欄位).
STATEMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "autobiography": ("自傳", "專長", "興趣"),
    "study_plan": ("生涯規劃", "自我期許", "讀書計畫"),
}
STATEMENT_FIELD_MAX_CHARS = 3000
# 學群 (the 18 university 學群 used in exploration) for 修課評估.
ACADEMIC_GROUPS = (
    "資訊", "工程", "數理化", "醫藥衛生", "生命科學", "生物資源", "地球環境", "建築設計", "藝術", "社會心理",
    "大眾傳播", "外語", "文史哲", "教育", "法政", "管理", "財經", "遊憩運動",
)  # fmt: skip

UNVERIFIED = (
    "course_code_split",
    "repeat_notes",
    "makeup_retake_methods",
    "transfer_identities",
    "guest_study_codes",
    "flexible_learning_codes",
    "group_activity_codes",
    "workplace_codes",
    "certificate_note_codes",
)


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the national column name, also the key in the record's `fields`
    kind: str  # text | date | code | int | number
    required: bool = False
    max_chars: int = 100
    codes: dict[str, str] | None = None


def _t(name: str, required: bool = False, max_chars: int = 100) -> FieldSpec:
    return FieldSpec(name, "text", required, max_chars)


def _d(name: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "date", required)


def _c(name: str, codes: dict[str, str], required: bool = True) -> FieldSpec:
    return FieldSpec(name, "code", required, codes=codes)


def _n(name: str, kind: str = "number", required: bool = False) -> FieldSpec:
    return FieldSpec(name, kind, required)


@dataclass(frozen=True)
class Category:
    code: str
    sheet: str  # the national sheet name
    fields: tuple[FieldSpec, ...]


COMPETITION_LEVELS = {"1": "校內", "2": "縣市", "3": "全國", "4": "國際"}
TEAM_CODES = {"1": "個人參與", "2": "團體參與"}
CERTIFICATE_NOTES = {"1": "英語能力檢定", "2": "其他語言能力檢定", "3": "技能檢定及技術士證照", "4": "不在以上類別"}
FLEXIBLE_CODES = {"1": "自主學習", "2": "選手培訓", "3": "充實(增廣)課程", "4": "補強性課程", "5": "學校特色活動"}
GROUP_ACTIVITY_CODES = {"1": "班級活動", "2": "社團活動", "3": "學生自治會活動", "4": "週會", "5": "講座", "6": "其他"}
WORKPLACE_CODES = {"1": "職場體驗或參訪", "2": "職場實習", "3": "職場工作經驗", "4": "其他"}
TERMS = {"1": "第一學期", "2": "第二學期"}

# 多元表現: the ten national categories (108 curriculum, docs/national-rosters.md d.1) and their fields.
CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category(
            "1",
            "幹部經歷暨事蹟紀錄",
            (_t("單位名稱", True), _d("開始日期", True), _d("結束日期"), _t("擔任職務", True), _c("幹部等級", CADRE_LEVELS)),
        ),
        Category(
            "2",
            "競賽參與紀錄",
            (
                _t("競賽名稱", True),
                _t("項目"),
                _c("競賽等級", COMPETITION_LEVELS),
                _t("獎項", True),
                _d("結果公布日期", True),
                _c("團體參與", TEAM_CODES),
            ),
        ),
        Category(
            "3",
            "檢定證照紀錄",
            (
                _t("證照代碼", True, 20),
                _c("檢定證照類別", CERTIFICATE_NOTES),
                _t("證照名稱"),
                _n("分數"),
                _t("分項結果"),
                _d("取得證照日期", True),
                _t("證照字號"),
                _t("檢定組別"),
            ),
        ),
        Category(
            "4",
            "服務學習紀錄",
            (_t("服務名稱", True), _t("服務單位", True), _d("開始日期", True), _d("結束日期"), _n("時數", required=True)),
        ),
        Category(
            "5",
            "彈性學習時間紀錄",
            (
                _c("彈性學習時間類別", FLEXIBLE_CODES),
                _t("內容", True),
                _t("開設單位"),
                _n("開設學年度", "int"),
                _c("開設學期", TERMS, required=False),
                _n("每週節數"),
                _n("開設週數", "int"),
            ),
        ),
        Category(
            "6",
            "團體活動時間紀錄",
            (
                _c("團體活動時間類別", GROUP_ACTIVITY_CODES),
                _t("辦理單位"),
                _t("團體活動內容名稱", True),
                _n("活動學年度", "int"),
                _c("活動學期", TERMS, required=False),
                _n("節數"),
            ),
        ),
        Category(
            "7",
            "職場學習紀錄",
            (
                _c("職場學習類別", WORKPLACE_CODES),
                _t("職場學習單位", True),
                _t("職場學習職稱"),
                _d("開始日期", True),
                _d("結束日期"),
                _n("時數"),
            ),
        ),
        Category("8", "作品成果紀錄", (_t("名稱", True), _d("日期", True))),
        Category(
            "9",
            "大學及技專校院先修課程紀錄",
            (_t("開設單位", True), _t("課程名稱", True), _d("開始日期", True), _d("結束日期"), _n("學分數"), _n("總時數")),
        ),
        Category("10", "其他多元表現紀錄", (_t("名稱", True), _t("主辦單位"), _d("開始日期", True), _d("結束日期"), _n("時數"))),
    )
}
# Entered by students and visible to the homeroom teacher (off-campus competitions, certificates).
STUDENT_ENTERED_VISIBLE_TO_HOMEROOM = ("2", "3")


def catalogue() -> dict:
    """Everything a client needs to build forms (GET /api/v1/records/rules)."""
    return {
        "summary_max_chars": SUMMARY_MAX_CHARS,
        "course_code": {"length": COURSE_CODE_LENGTH, "charset": COURSE_CODE_CHARSET, "split": [list(p) for p in COURSE_CODE_SPLIT]},
        "categories": [
            {
                "code": c.code,
                "sheet": c.sheet,
                "fields": [{"name": f.name, "kind": f.kind, "required": f.required, "codes": f.codes} for f in c.fields],
            }
            for c in CATEGORIES.values()
        ],
        "genders": GENDERS,
        "student_statuses": list(STUDENT_STATUSES),
        "absence_types": list(ABSENCE_TYPES),
        "cadre_levels": CADRE_LEVELS,
        "club_roles": list(CLUB_ROLES),
        "statement_fields": {k: list(v) for k, v in STATEMENT_FIELDS.items()},
        "academic_groups": list(ACADEMIC_GROUPS),
        "divisions": DIVISIONS,
        "repeat_notes": REPEAT_NOTES,
        "unverified": list(UNVERIFIED),
        "deadline_defaults": {
            "internal_days_before_national": INTERNAL_DEADLINE_DAYS_BEFORE_NATIONAL,
            "student_upload_days_after_closing": STUDENT_UPLOAD_DAYS_AFTER_CLOSING,
            "teacher_certification_days_after_closing": TEACHER_CERTIFICATION_DAYS_AFTER_CLOSING,
        },
    }
