"""A valid write body per record type (for the permission matrix and the cross-school checks)."""

from __future__ import annotations

from shared.roles import Role
from tests.records.conftest import COURSE_A, COURSE_B, RecordsSchool, national_id


def write_body(rec: RecordsSchool, key: str, n: int = 0) -> dict:
    y, t = rec.year, rec.term
    sem = {"year": y, "term": t}
    in_term = f"{y + 1911}-10-01" if t == 1 else f"{y + 1912}-03-01"  # a 課程諮詢 date inside the semester
    bodies = {
        "classes": {"year": y, "code": f"{110 + n}", "name": "測試班"},
        "students": {
            "student_id": f"M{n:03d}",
            "national_id": national_id(900 + n + (0 if rec.code.startswith("A") else 50), "2"),
            "name": "矩陣生",
            "birth_date": "0980101",
            "gender": "2",
            "class_code": "102",
            "seat_no": 40 + n,
        },
        "courses": {**sem, "code": f"1139999999000000000{n:04d}", "name": "測試課", "credits": 2, "class_code": "101", "teacher_ids": []},
        "selections": {**sem, "student_id": "S003", "course_code": COURSE_B, "course_class": "102"},
        "grades": {**sem, "student_id": "S001", "course_code": COURSE_A, "course_class": "101", "score": "88", "credits_counted": 4},
        "makeup_grades": {
            **sem,
            "student_id": "S001",
            "due_year": y - 1,
            "due_term": 1,
            "course_code": COURSE_A,
            "course_name": "國語文",
            "grade_level": 1,
            "credits": 4,
            "score": str(60 + n),
        },
        "retake_grades": {
            **sem,
            "student_id": "S001",
            "original_year": y - 1,
            "original_term": 2,
            "original_course_code": COURSE_A,
            "original_course_name": "國語文",
            "original_grade_level": 1,
            "original_credits": 4,
            "score": str(60 + n),
        },
        "repeat_grades": {
            **sem,
            "student_id": "S001",
            "course_code": COURSE_A,
            "course_name": "國語文",
            "grade_level": 1,
            "credits": 4,
            "score": str(40 + n),
            "makeup_score": "65",
        },
        "transfer_grades": {
            **sem,
            "student_id": "S001",
            "former_school_code": "013301",
            "former_course_code": COURSE_B,
            "mapped_year": y - 1,
            "mapped_term": 1,
            "course_code": COURSE_A,
            "course_name": "國語文",
            "grade_level": 1,
            "credits": 4,
            "score": str(70 + n),
        },
        "guest_study": {**sem, "student_id": "S001", "host_school_code": "013302", "start_date": "2024-09-01", "end_date": "2025-01-20"},
        "attendance": {**sem, "student_id": "S001", "absence_type": "病假", "periods": 2 + n},
        "cadres": {**sem, "student_id": "S001", "level": "2", "unit": "101班", "position": "班長", "start_date": "2024-09-01"},
        "clubs": {**sem, "student_id": "S001", "club": "吉他社", "role": "社長"},
        "service_learning": {
            **sem,
            "student_id": "S001",
            "name": "淨灘",
            "organisation": "環保局",
            "start_date": "2024-09-01",
            "hours": "3.5",
        },
        "course_evaluations": {**sem, "student_id": "S001", "academic_groups": ["資訊"], "exploration": "喜歡寫程式"},
        "counselling": {**sem, "student_id": "S001", "date": in_term, "time": "12:10", "place": "輔導室", "content": "選課討論"},
        "counsellor_assignments": {"counselor_id": "other-counselor", "student_id": "S002"},
        "performances": {**sem, "category": "8", "fields": {"名稱": "小論文", "日期": "2024-10-01"}, "summary": "小論文比賽作品"},
        "competitions": {
            **sem,
            "name": "英語演講",
            "published_on": "2024-10-01",
            "summary": "校內英語演講比賽",
            "results": [{"student_id": "S001", "award": "第一名"}],
        },
    }
    return bodies[key]


# The students each narrow scope may see in the fixtures (S001, S002 in 101 with the homeroom; S003 in 102).
SCOPE_STUDENTS = {
    Role.HOMEROOM: {"S001", "S002"},
    Role.COUNSELOR: {"S001"},
    Role.STUDENT: {"S001"},
    Role.TEACHER: {"S001", "S002", "S003"},
}
