"""zh-TW names for codes a page would otherwise show raw: national roster numbers, national code tables
(性別代碼 1 → 男, 缺勤 02 → 病假), record statuses. Read from the national rules data, never hard-coded."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from shared.national.rules import known_years, rules_for

# Statuses of records and workflows, as the pages name them.
STATUS_NAMES: dict[str, str] = {
    "draft": "草稿",
    "published": "已公告",
    "submitted": "待認證",
    "certified": "已認證",
    "returned": "已退回",
    "pending": "待處理",
    "running": "處理中",
    "done": "完成",
    "rejected": "未通過",
    "failed": "失敗",
    "queued": "排隊中",
    "sent": "已送出",
    "accepted": "已收訖",
    "confirmed": "已確認",
    "reported": "已回報錯誤",
    "checked": "已檢核",
    "revise": "請修改",
}


@lru_cache(maxsize=1)
def national_names() -> dict[str, Any]:
    """{"rosters": {"25": "學生自填多元表現名冊", ...}, "codes": {"gender": {"1": "男"}, ...}} of the latest year."""
    rules = rules_for(max(known_years()))
    data = rules.data
    return {
        "rosters": {str(code): spec["name"] for code, spec in data.get("rosters", {}).items()},
        "codes": {key: dict(table.get("values", {})) for key, table in data.get("codes", {}).items()},
        "statuses": STATUS_NAMES,
        # the 高三 梯次: "1" -> its rosters (codes, sorted) as the registrar's page lists them
        "batches": {str(b): sorted(rules.batch_rosters(b).values()) for b in (1, 2) if rules.batch_rosters(b)},
        # national column -> {"table": code table} or {"type": "roc_date"}: how a receipt cell is shown
        "columns": {
            name: ({"table": spec["table"]} if spec.get("type") == "code" and spec.get("table") else {"type": spec.get("type", "")})
            for name, spec in data.get("column_types", {}).items()
            if spec.get("type") in ("code", "roc_date")
        },
    }
