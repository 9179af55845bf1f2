"""The student's portfolio PDF (自行上傳PDF) and its texts. Entrypoints of DocumentsService (a mixin:
it uses the service's dependencies); the assembling and the caps are portfolio.py."""

from __future__ import annotations

import base64
import uuid

import requests
from nameko.rpc import rpc

from services.documents import confirmation, portfolio
from services.documents.dates import roc_long
from services.documents.errors import BadPortfolio, PortfolioOverCap
from services.documents.gather import Peers
from services.documents.portfolio_rules import rules_for_year
from services.documents.views import job_view
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import NotFound, field_error
from shared.permissions import Permission, require


class PortfolioDocuments:
    # --- the portfolio PDF (自行上傳PDF) ---

    @rpc
    def portfolio_rules(self, year: int | None = None) -> dict:
        require(self.caller, Permission.SELF_OUTCOMES_READ)
        return rules_for_year(year).view()

    @rpc
    def my_portfolio_texts(self) -> dict:
        caller = self._student()
        doc = self.store.get_texts(caller.school_id, caller.student_id) or {}
        return {
            "statement": doc.get("statement", ""),
            "synthesis": doc.get("synthesis", ""),
            "synthesis_image_ids": doc.get("synthesis_image_ids", []),
        }

    @rpc
    def save_portfolio_texts(self, payload: dict) -> dict:
        """學習歷程自述 and 多元表現綜整心得 within the limits of the rules data (characters, images)."""
        caller = self._student()
        rules = rules_for_year(None)
        body = payload if isinstance(payload, dict) else {}
        statement, synthesis, images = body.get("statement", ""), body.get("synthesis", ""), body.get("synthesis_image_ids", [])
        errors = []
        if not isinstance(statement, str) or len(statement) > rules.statement_max_chars.value:
            errors.append(
                field_error(
                    "statement", f"{rules.statement_max_chars.label}", f"at most {rules.statement_max_chars.value} characters", "too_long"
                )
            )
        if not isinstance(synthesis, str) or len(synthesis) > rules.synthesis_max_chars.value:
            errors.append(
                field_error(
                    "synthesis", f"{rules.synthesis_max_chars.label}", f"at most {rules.synthesis_max_chars.value} characters", "too_long"
                )
            )
        if not isinstance(images, list) or len(images) > rules.synthesis_max_images.value or not all(isinstance(i, str) for i in images):
            errors.append(
                field_error(
                    "synthesis_image_ids",
                    rules.synthesis_max_images.label,
                    f"at most {rules.synthesis_max_images.value} images",
                    "too_many",
                )
            )
        elif images:
            own = {e["id"]: e for e in self.evidence.describe(images, caller.school_id) if e.get("student_id") == caller.student_id}
            for n, image in enumerate(images):
                if image not in own or not own[image]["content_type"].startswith("image/"):
                    errors.append(field_error(f"synthesis_image_ids.{n}", "找不到你的這張圖片", "not one of your images", "unknown_image"))
        if errors:
            raise BadPortfolio("自述或心得超過限制，請修正標示的欄位", "the texts are over their limits", errors)
        changes = {"statement": statement, "synthesis": synthesis, "synthesis_image_ids": images, "updated_at": utcnow()}
        self.store.save_texts(caller.school_id, caller.student_id, changes)
        return {k: v for k, v in changes.items() if k != "updated_at"}

    @rpc
    def build_portfolio(self, payload: dict) -> dict:
        """The chosen certified outcomes and performances, in the student's order, as one PDF within the caps."""
        caller = self._student()
        peers = self._peers(caller)
        rules = rules_for_year(None)
        chosen = (payload or {}).get("items") if isinstance(payload, dict) else None
        if not isinstance(chosen, list) or not chosen or not all(isinstance(c, dict) for c in chosen):
            raise BadPortfolio(
                "請至少選擇一項", "choose at least one item", [field_error("items", "請至少選擇一項", "choose at least one item", "empty")]
            )
        items = [self._portfolio_item(caller, peers, n, c) for n, c in enumerate(chosen)]
        counts = {k: sum(1 for c in chosen if c.get("kind") == k) for k in ("outcome", "performance")}
        errors = []
        if counts["outcome"] > rules.max_outcomes.value:
            errors.append(field_error("items", rules.max_outcomes.label, f"at most {rules.max_outcomes.value} outcomes", "too_many"))
        if counts["performance"] > rules.max_performances.value:
            errors.append(
                field_error("items", rules.max_performances.label, f"at most {rules.max_performances.value} performances", "too_many")
            )
        if errors:
            raise BadPortfolio("選擇的項目超過上限", "too many items", errors)
        items = [portfolio.prepare(i, rules) for i in items]
        texts = self.my_portfolio_texts()
        synthesis_images = []
        for evidence_id in texts["synthesis_image_ids"]:
            content_type, data, _ = self._evidence_bytes(evidence_id)
            scaled, mime, _ = portfolio.scale_image(data, rules)
            synthesis_images.append(f"data:{mime};base64,{base64.b64encode(scaled).decode()}")
        try:
            portfolio.check_caps(items, rules, sum(len(s) for s in synthesis_images))
        except portfolio.OverCap as over:
            raise PortfolioOverCap(
                "；".join(p["message"] for p in over.problems),
                "the portfolio is over the caps: " + "; ".join(p["message"] for p in over.problems),
                [
                    field_error(f"items.{p['index']}" if p["index"] is not None else "items", p["message"], p["message"], "over_cap")
                    for p in over.problems
                ],
            ) from None
        student = peers.records.get_student(peers.school, caller.student_id) or {}
        cover = {
            "school_name": peers.letterhead()["school_name"],
            "student": {"name": student.get("name", ""), "class_code": student.get("class_code", "")},
            "items": items,
            "statement": texts["statement"],
            "synthesis": texts["synthesis"],
            "synthesis_images": synthesis_images,
            "printed_at": utcnow(),
        }
        data = portfolio.assemble(cover, items, rules)
        if len(data) > rules.program_max_bytes.value:  # the layout's own bytes tipped it over: say so, never hand it out
            raise PortfolioOverCap(
                f"合成後 {portfolio.mb(len(data))}，超過{rules.program_max_bytes.label}，請移除一項後再試",
                "the assembled file is over the cap",
                [field_error("items", rules.program_max_bytes.label, "over the cap", "over_cap")],
            )
        job = {
            "_id": uuid.uuid4().hex,
            "kind": "portfolio",
            "title": "學習歷程檔案（自行上傳PDF）",
            "params": {"items": chosen},
            "state": "done",
            "done": len(items),
            "total": len(items),
            "requested_by": caller.user_id,
            "created_at": utcnow(),
            "finished_at": utcnow(),
            "bytes": len(data),
        }
        name = f"portfolio-{job['_id']}.pdf"
        self._keep(name, data)
        self.store.insert_job(caller.school_id, {**job, "object": name, "filename": f"學習歷程檔案-{caller.student_id}.pdf"})
        return {
            **job_view(job),
            "compressed": [c for i in items for c in i.compressed],
            "limits": {"item_max_bytes": rules.item_max_bytes.value, "program_max_bytes": rules.program_max_bytes.value},
        }

    def _portfolio_item(self, caller: Caller, peers: Peers, n: int, choice: dict) -> portfolio.Item:
        kind, item_id = choice.get("kind"), choice.get("id")
        missing = BadPortfolio(
            "找不到選擇的項目",
            "an item is not found",
            [field_error(f"items.{n}", "找不到此項目，或尚未認證", "not found or not certified", "unknown_item")],
        )
        if not isinstance(item_id, str):
            raise missing
        if kind == "outcome":
            try:
                outcome = self.certification.get_outcome(item_id)
            except NotFound:
                raise missing from None
            if outcome["student_id"] != caller.student_id or outcome["state"] != "certified":
                raise missing
            lines = [
                f"{outcome['year']} 學年度第 {outcome['term']} 學期　{outcome['course_name']}",
                f"成果簡述：{outcome['summary']}",
                f"認證日期：{roc_long(confirmation.certified_on(outcome))}",
            ]
            title, evidence_ids = f"課程學習成果：{outcome['course_name']}（{outcome['summary'][:20]}）", outcome["evidence_ids"]
        elif kind == "performance":
            found = next((p for p in peers.records.performances_of_student(peers.school, caller.student_id) if p["id"] == item_id), None)
            if found is None:
                raise missing
            title = f"多元表現：{confirmation.category_name(found.get('category'))}"
            lines, evidence_ids = [f"{found.get('year')} 學年度", f"內容簡述：{found.get('summary', '')}"], found.get("evidence_ids", [])
        else:
            raise missing
        return portfolio.Item(kind=kind, title=title, lines=lines, files=[self._evidence_bytes(e) for e in evidence_ids])

    def _evidence_bytes(self, evidence_id: str) -> tuple[str, bytes, str]:
        link = self.evidence.download(evidence_id)
        response = requests.get(link["url"], timeout=60)
        response.raise_for_status()
        return link["content_type"], response.content, link["filename"]
