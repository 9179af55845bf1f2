"""The rows of 註冊組's special grades in the term's rosters: 學生借讀資料 (roster 1), 補修 and 轉學轉科
(2 and 7), 重修 and 重讀 (6), and the 進修部 students' 學期 and 補考 grades (7).

A mixin of RosterBuilder (rosters.py): it reads the builder's `data` (TermInput), `rules` and its
`_per_record`, `_person` and `continuing` helpers.
"""

from __future__ import annotations

from typing import Any

from services.national_upload.roster_cells import number_cell, roc_cell, text_cell, yes_no_cell


class SpecialGradeRows:
    data: Any  # TermInput
    rules: Any  # YearRules

    def _guest_study(self) -> list[dict]:
        return [
            {
                **person,
                "所屬學校代碼": self.data.school_code,
                "借讀學校代碼": text_cell(r.get("host_school_code")),
                "群別": text_cell(r.get("group_code")),
                "借讀科班學程別": text_cell(r.get("program_code")),
                "借讀代碼": text_cell(r.get("guest_code")),
                "申請開始日期": roc_cell(r.get("start_date")),
                "申請結束日期": roc_cell(r.get("end_date")),
            }
            for r, person in self._per_record("guest_study")
        ]

    def _makeup(self) -> list[dict]:
        return [
            {
                **person,
                "應修課學年度": text_cell(r.get("due_year")),
                "應修課學期": text_cell(r.get("due_term")),
                "課程代碼": text_cell(r.get("course_code")),
                "科目名稱": text_cell(r.get("course_name")),
                "開課年級": text_cell(r.get("grade_level")),
                "修課學分": number_cell(r.get("credits")),
                "補修成績": number_cell(r.get("score")),
                "補修及格": yes_no_cell(r.get("passed")),
                "補考成績": number_cell(r.get("makeup_score")),
                "補考及格": yes_no_cell(r.get("makeup_passed")),
                "補修方式": text_cell(r.get("method")),
                "是否採計學分": yes_no_cell(r.get("credits_counted")),
                "質性文字描述": text_cell(r.get("description")),
            }
            for r, person in self._per_record("makeup_grades")
        ]

    def _transfers(self, code: int) -> list[dict]:
        """轉學轉科成績: credits for day students (2), 節數/學時 for 進修部 students (7)."""
        rows = []
        for r, person in self._per_record("transfer_grades"):
            row = {
                **person,
                "對應學年度": text_cell(r.get("mapped_year")),
                "對應學期": text_cell(r.get("mapped_term")),
                "課程代碼": text_cell(r.get("course_code")),
                "科目名稱": text_cell(r.get("course_name")),
                "對應年級": text_cell(r.get("grade_level")),
                "身分別": text_cell(r.get("identity")),
                "抵免後成績": number_cell(r.get("score")),
                "成績及格": yes_no_cell(r.get("passed")),
                "質性文字描述": text_cell(r.get("description")),
            }
            if code == 7:
                row["修課節數"] = number_cell(r.get("periods") if r.get("periods") is not None else r.get("credits"))
                row["是否採計學時"] = yes_no_cell(r.get("credits_counted"))
            else:
                row["修課學分"] = number_cell(r.get("credits"))
                row["是否採計學分"] = yes_no_cell(r.get("credits_counted"))
            rows.append(row)
        return rows

    def _retakes(self) -> list[dict]:
        return [
            {
                **person,
                "原修課學年度": text_cell(r.get("original_year")),
                "原修課學期": text_cell(r.get("original_term")),
                "原修課課程代碼": text_cell(r.get("original_course_code")),
                "原修課科目名稱": text_cell(r.get("original_course_name")),
                "原修課開課年級": text_cell(r.get("original_grade_level")),
                "原修課修課學分": number_cell(r.get("original_credits")),
                "重修方式": text_cell(r.get("method")),
                "重修成績": number_cell(r.get("score")),
                "重修及格": yes_no_cell(r.get("passed")),
                "質性文字描述": text_cell(r.get("description")),
            }
            for r, person in self._per_record("retake_grades")
        ]

    def _repeats(self) -> list[dict]:
        return [
            {
                **person,
                "課程代碼": text_cell(r.get("course_code")),
                "科目名稱": text_cell(r.get("course_name")),
                "開課年級": text_cell(r.get("grade_level")),
                "修課學分": number_cell(r.get("credits")),
                "重讀成績": number_cell(r.get("score")),
                "成績及格": yes_no_cell(r.get("passed")),
                "補考成績": number_cell(r.get("makeup_score")),
                "補考及格": yes_no_cell(r.get("makeup_passed")),
                "重讀註記": text_cell(r.get("repeat_note")),
                "是否採計學分": yes_no_cell(r.get("credits_counted")),
                "質性文字描述": text_cell(r.get("description")),
            }
            for r, person in self._per_record("repeat_grades")
        ]

    @staticmethod
    def _periods(row: dict) -> str:
        # Our courses carry credits; a 進修部 course's 節數 is taken as its credits (unverified: the
        # national side counts 學時 for 進修部, the school enters one number per course).
        return row.get("修課學分", "")

    def _continuing_grades(self, rows: list[dict]) -> list[dict]:
        """進修部 學期成績 from the built day-style rows: 節數 for 學分, 學時 for 學分 counted."""
        out = []
        for row in rows:
            out.append(
                {
                    **{k: v for k, v in row.items() if k.startswith("_") or k in ("身分證號", "出生日期")},
                    "課程代碼": row["課程代碼"],
                    "科目名稱": row["科目名稱"],
                    "開課年級": row["開課年級"],
                    "修課節數": self._periods(row),
                    "學期學業成績": row["學期學業成績"],
                    "成績及格": row["成績及格"],
                    "學年學業成績": "",
                    "學年及格": "",
                    "是否採計學時": row["是否採計學分"],
                    "質性文字描述": row["質性文字描述"],
                }
            )
        return out

    def _continuing_makeups(self, rows: list[dict]) -> list[dict]:
        """進修部 補考成績: the grades with a 補考 this term (the term decides which 節數 column)."""
        out = []
        for row in rows:
            if row.get("補考成績", "") == "":
                continue
            periods = self._periods(row)
            first = self.data.term == 1
            out.append(
                {
                    **{k: v for k, v in row.items() if k.startswith("_") or k in ("身分證號", "出生日期")},
                    "課程代碼": row["課程代碼"],
                    "科目名稱": row["科目名稱"],
                    "開課年級": row["開課年級"],
                    "第一學期開設修課節數": periods if first else "",
                    "第二學期開設修課節數": "" if first else periods,
                    "第一次補考成績": row["補考成績"],
                    "第一次及格": row["補考及格"],
                    "第二次補考成績": "",
                    "第二次及格": "",
                }
            )
        return out
