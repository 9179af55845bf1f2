// Checking students' 自傳/學習計畫 (homeroom: own class; guidance: whole school): the latest version of
// each, unchecked first, with an optional comment. The service decides whose statements the caller sees.
"use strict";

(() => {
  const { api, el, cell, namesFor } = window.Licheng;
  const KINDS = { autobiography: "自傳", study_plan: "學習計畫" };

  const badgeOf = (s) => (s.needs_revision ? ["badge warn", "請修改"] : s.checked ? ["badge ok", "已檢核"] : ["badge warn", "待檢核"]);

  function entry(s, names, recount) {
    const who = `${s.student_id} ${names[s.student_id] || ""}`.trim();
    const comment = el("textarea", { "aria-label": `${s.student_id} ${KINDS[s.kind]}的檢核留言`, maxlength: "500", rows: "2", placeholder: "留言給學生（請修改時必填）" });
    const status = el("p", { class: "status", role: "status" });
    const [cls, text] = badgeOf(s);
    const badge = el("span", { class: cls }, text);
    const send = (decision) => async () => {
      status.className = "status";
      status.textContent = "";
      try {
        const saved = await api("POST", `/api/v1/records/statements/${s.kind}/check`, { student_id: s.student_id, version: s.version, comment: comment.value.trim(), decision });
        Object.assign(s, { checked: saved.checked, needs_revision: saved.needs_revision });
        const [c, t] = badgeOf(s);
        badge.className = c; badge.textContent = t;
        status.className = "status ok";
        status.textContent = decision === "revise" ? "已請學生修改，學生會看到您的留言" : "已檢核";
        recount();
      } catch (problem) {
        const fields = (problem.body?.errors || []).map((e) => e.message).join("；");
        status.className = "status error"; status.setAttribute("role", "alert");
        status.textContent = fields || problem.body?.title || problem.message;
      }
    };
    const history = (s.checks || []).map((c) => el("li", {}, `${c.decision === "revise" ? "請修改" : "已檢核"}（${cell(c.at)}）${c.comment ? "：" + c.comment : ""}`));
    return el("details", { class: "outcome", "data-statement": `${s.student_id}-${s.kind}` },
      el("summary", {}, `${who} ${KINDS[s.kind] || s.kind} 第 ${s.version} 版 `, badge),
      el("dl", {}, Object.entries(s.fields).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v || "（未填）")])),
      el("p", { class: "muted" }, `更新於 ${cell(s.created_at)}`), history.length ? el("ul", { class: "tasks" }, history) : "",
      comment, el("div", { class: "row-buttons" },
        el("button", { type: "button", class: "small", onclick: send("checked") }, "檢核完成"),
        el("button", { type: "button", class: "small secondary", onclick: send("revise") }, "請修改")), status);
  }

  async function load(box) {
    try {
      const query = box.dataset.student ? `?student_id=${encodeURIComponent(box.dataset.student)}` : "";
      const items = await api("GET", `/api/v1/records/statements${query}`);
      if (!items.length) { box.replaceChildren(el("p", { class: "muted" }, "尚無學生填寫自傳或學習計畫")); return; }
      items.sort((a, b) => Number(a.checked) - Number(b.checked) || a.student_id.localeCompare(b.student_id));
      const names = await namesFor("/api/v1/lookup/students", items.map((s) => s.student_id));
      const count = el("p", { "aria-live": "polite" });
      // The 待檢核 count follows every check without reloading the page.
      const recount = () => { count.textContent = `共 ${items.length} 份，待檢核 ${items.filter((s) => !s.checked && !s.needs_revision).length} 份，請修改 ${items.filter((s) => s.needs_revision).length} 份`; };
      recount();
      box.replaceChildren(count, ...items.map((s) => entry(s, names, recount)));
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("statements");
    if (box) load(box);
  });
})();
