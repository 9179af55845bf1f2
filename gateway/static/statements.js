// Checking students' 自傳/學習計畫 (homeroom: own class; guidance: whole school): the latest version of
// each, unchecked first, with an optional comment. The service decides whose statements the caller sees.
"use strict";

(() => {
  const { api, el, cell } = window.Licheng;
  const KINDS = { autobiography: "自傳", study_plan: "學習計畫" };

  function entry(s) {
    const comment = el("input", { "aria-label": `${s.student_id} ${KINDS[s.kind]}的檢核留言`, maxlength: "500", placeholder: "留言（選填）" });
    const status = el("span", { class: "status", role: "status" });
    const badge = el("span", { class: s.checked ? "badge ok" : "badge warn" }, s.checked ? "已檢核" : "待檢核");
    const check = el("button", { type: "button", class: "small", onclick: async () => {
      try {
        await api("POST", `/api/v1/records/statements/${s.kind}/check`, { student_id: s.student_id, version: s.version, comment: comment.value.trim() });
        status.className = "status ok"; status.textContent = "已檢核";
        badge.className = "badge ok"; badge.textContent = "已檢核";
      } catch (problem) { status.className = "status error"; status.textContent = problem.body?.title || problem.message; }
    } }, "檢核完成");
    return el("details", { class: "outcome", "data-statement": `${s.student_id}-${s.kind}` },
      el("summary", {}, `${s.student_id} ${KINDS[s.kind] || s.kind} 第 ${s.version} 版 `, badge),
      el("dl", {}, Object.entries(s.fields).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v || "（未填）")])),
      el("p", { class: "muted" }, `更新於 ${cell(s.created_at)}`), comment, " ", check, " ", status);
  }

  async function load(box) {
    try {
      const query = box.dataset.student ? `?student_id=${encodeURIComponent(box.dataset.student)}` : "";
      const items = await api("GET", `/api/v1/records/statements${query}`);
      if (!items.length) { box.replaceChildren(el("p", { class: "muted" }, "尚無學生填寫自傳或學習計畫")); return; }
      items.sort((a, b) => Number(a.checked) - Number(b.checked) || a.student_id.localeCompare(b.student_id));
      const pending = items.filter((s) => !s.checked).length;
      box.replaceChildren(el("p", {}, `共 ${items.length} 份，待檢核 ${pending} 份`), ...items.map(entry));
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("statements");
    if (box) load(box);
  });
})();
