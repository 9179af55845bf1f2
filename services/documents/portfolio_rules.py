"""Limits of the 自行上傳PDF portfolio (大學申請入學), as data per 學年度 of application.

Public sources are thin: the caps come from press reports, the text limits from a secondhand student
project; each limit says where it comes from and whether it is uncertain, and the pages show it.
Change the data here when the 甄選會 publishes a year's rules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    value: int
    label: str
    source: str
    uncertain: bool


@dataclass(frozen=True)
class PortfolioRules:
    item_max_bytes: Limit
    program_max_bytes: Limit  # per 校系: one file per department applied to
    max_outcomes: Limit
    max_performances: Limit
    statement_max_chars: Limit
    synthesis_max_chars: Limit
    synthesis_max_images: Limit
    image_max_px: int = 1600  # images are scaled to this longest side and re-encoded when a cap needs it
    image_quality: int = 80

    def view(self) -> dict:
        return {k: asdict(v) if isinstance(v, Limit) else v for k, v in self.__dict__.items()}


DEFAULT = PortfolioRules(
    item_max_bytes=Limit(5 * MB, "每項上傳檔案 5 MB", "中央社 2019-03-28 報導", True),
    program_max_bytes=Limit(10 * MB, "每一校系合計 10 MB", "中央社 2019-03-28 報導", True),
    max_outcomes=Limit(3, "課程學習成果至多 3 件", "教育部答覆（遠見報導）", True),
    max_performances=Limit(10, "多元表現至多 10 件", "教育部答覆（遠見報導）", True),
    statement_max_chars=Limit(3000, "學習歷程自述至多 3,000 字", "未找到公開來源；暫定", True),
    synthesis_max_chars=Limit(800, "多元表現綜整心得至多 800 字", "二手資料（學生專題，約 112 學年）", True),
    synthesis_max_images=Limit(3, "多元表現綜整心得至多 3 張圖片", "二手資料（學生專題，約 112 學年）", True),
)

# 學年度 -> rules; years not listed use DEFAULT (no source found for a change since).
BY_YEAR: dict[int, PortfolioRules] = {}


def rules_for_year(year: int | None) -> PortfolioRules:
    return BY_YEAR.get(int(year or 0), DEFAULT)
