// The student's portfolio by category: basic data (read-only), courses and grades, outcomes with their
// state and the selection cap, 多元表現 with the yearly cap, 自傳/學習計畫 (saved as new versions),
// and every other record a unit keeps about the student.
"use strict";

(() => {
  const { api, el, table, cell, showProblem, clearErrors, namesFor } = window.Licheng;
  const STATES = { draft: "草稿", submitted: "待認證", certified: "已認證", returned: "已退回", withdrawn: "已撤回" };
  const message = (problem) => problem.body?.detail || problem.body?.title || problem.message;
  const error = (box, problem) => box.replaceChildren(el("p", { class: "status error" }, message(problem)));

  async function basic() {
    const box = document.getElementById("basic-data");
    try {
      const me = (await api("GET", "/api/v1/records/students")).items[0];
      if (!me) { box.replaceChildren(el("p", { class: "muted" }, "尚無基本資料，請洽註冊組")); return; }
      const rows = [["學號", me.student_id], ["姓名", me.name], ["身分證號", me.national_id_masked], ["出生日期", cell(me.birth_date)],
        ["性別", { 1: "男", 2: "女" }[me.gender] || me.gender], ["班級", me.class_code], ["座號", me.seat_no], ["學籍狀態", me.status]];
      box.replaceChildren(el("dl", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v ?? ""))])));
    } catch (problem) { error(box, problem); }
  }

  async function records(box) {
    try {
      const data = await api("GET", `/api/v1/records/${box.dataset.portfolio}?per_page=500`);
      const options = JSON.parse(box.dataset.options || "{}");
      const STATUSES = window.LICHENG_STATUSES || {};
      const rows = data.items.map((item) => {
        const row = { ...item };
        for (const [name, names] of Object.entries(options)) {
          if (Array.isArray(row[name])) row[name] = row[name].map((v) => names[v] ?? v);
          else if (row[name] !== undefined && String(row[name]) in names) row[name] = names[String(row[name])];
        }
        if (typeof row.status === "string" && row.status in STATUSES) row.status = STATUSES[row.status];
        return row;
      });
      box.replaceChildren(rows.length ? table(rows, JSON.parse(box.dataset.columns)) : el("p", { class: "muted" }, "尚無資料"));
    } catch (problem) { error(box, problem); }
  }

  // Why the 勾選 is locked (a 高三 梯次 took it to the national database), or, for a grade-3 student,
  // each 梯次's internal deadline: tick before it, the registrar's upload locks the ticks.
  function lockNotes(mine) {
    const { rocDate, rocDateTime } = window.Licheng;
    if (mine.batch_lock) {
      const at = mine.batch_lock.locked_at ? `（${rocDateTime(mine.batch_lock.locked_at).split(" ")[0]} 上傳）` : "";
      return [el("p", { class: "status error", id: "selection-lock" }, `${mine.locked_reason}${at}。如有疑問請洽註冊組。`)];
    }
    if (mine.locked) return [el("p", { class: "status error", id: "selection-lock" }, `${mine.locked_reason}。`)];
    const today = new Date().toISOString().slice(0, 10);
    return (mine.senior_batches || []).filter((b) => b.internal >= today).map((b) => el("p", { class: "muted senior-batch" },
      `${b.label}：請於 ${rocDate(b.internal)}（校內截止）前完成勾選；註冊組上傳${b.label}後，本學年的勾選即鎖定，不能再更改（國教署截止 ${rocDate(b.national)}）。`));
  }

  async function outcomes() {
    const box = document.getElementById("outcome-items");
    try {
      const mine = await api("GET", "/api/v1/outcomes/mine");
      document.getElementById("outcome-caps").replaceChildren(
        el("p", {}, `${mine.year} 學年度第 ${mine.term} 學期：已登錄 ${mine.cap - mine.remaining} / ${mine.cap} 件；勾選上傳 `,
          el("meter", { min: "0", max: String(mine.selection_cap), value: String(mine.selected), "aria-label": "已勾選件數" }),
          ` ${mine.selected} / ${mine.selection_cap} 件${mine.locked ? "（已鎖定）" : ""}`), ...lockNotes(mine));
      if (!mine.items.length) { box.replaceChildren(el("p", { class: "muted" }, "本學期尚未登錄成果")); return; }
      box.replaceChildren(el("ul", { class: "tasks" }, mine.items.map((o) => {
        const tick = o.state === "certified" && !mine.locked ? el("button", { type: "button", class: "small", onclick: async () => {
          try { await api(o.selected ? "DELETE" : "POST", `/api/v1/outcomes/${o.id}/selection`); await outcomes(); } catch (problem) { alert(message(problem)); }
        } }, o.selected ? "取消勾選" : "勾選上傳") : "";
        return el("li", {}, el("strong", {}, o.course_name), `：${o.summary} `, el("span", { class: o.state === "certified" ? "badge ok" : "badge" }, STATES[o.state] || o.state),
          o.selected ? " ✔ 已勾選上傳 " : " ", tick);
      })));
    } catch (problem) { error(box, problem); }
  }

  let categoryNames = {};

  async function performances() {
    const box = document.getElementById("performance-items");
    try {
      if (!Object.keys(categoryNames).length) {  // 多元表現類別 by name (from the rules data), never the code
        const rules = await api("GET", "/api/v1/records/rules").catch(() => ({ categories: [] }));
        categoryNames = Object.fromEntries((rules.categories || []).map((c) => [c.code, c.sheet]));
      }
      const [data, picked] = await Promise.all([api("GET", "/api/v1/records/performances?per_page=500"), api("GET", "/api/v1/performances/selection")]);
      const selected = new Set(picked.selected);
      document.getElementById("performance-caps").replaceChildren(el("p", {}, `${picked.year} 學年度勾選上傳 `,
        el("meter", { min: "0", max: String(picked.cap), value: String(selected.size), "aria-label": "已勾選多元表現件數" }),
        ` ${selected.size} / ${picked.cap} 件${picked.locked ? "（已鎖定）" : ""}`),
        ...(picked.locked && picked.locked_reason ? [el("p", { class: "status error" }, `${picked.locked_reason}。`)] : []));
      if (!data.items.length) { box.replaceChildren(el("p", { class: "muted" }, "尚未登錄多元表現")); return; }
      box.replaceChildren(el("ul", { class: "tasks" }, data.items.map((p) => {
        const isSelected = selected.has(p.id);
        const tick = Number(p.year) === Number(picked.year) && !picked.locked ? el("button", { type: "button", class: "small", onclick: async () => {
          try { await api(isSelected ? "DELETE" : "POST", `/api/v1/performances/${p.id}/selection`); await performances(); } catch (problem) { alert(message(problem)); }
        } }, isSelected ? "取消勾選" : "勾選上傳") : "";
        return el("li", {}, `${p.year} 學年度第 ${p.term} 學期 ${categoryNames[p.category] || "多元表現"}：${p.summary} `, isSelected ? "✔ 已勾選 " : "", tick);
      })));
    } catch (problem) { error(box, problem); }
  }

  // What the 導師/輔導室 wrote reaches the student: each check with who, when, and 請修改 or 已檢核.
  const ROLE_NAMES = { homeroom: "導師", guidance: "輔導室" };
  async function showChecks(form, statement) {
    const checks = [...(statement.checks || [])].reverse();
    let box = form.querySelector(".checks");
    if (!box) { box = el("div", { class: "checks", "aria-live": "polite" }); form.querySelector("h3").insertAdjacentElement("afterend", box); }
    if (!checks.length) { box.replaceChildren(); return; }
    const names = await namesFor("/api/v1/lookup/staff", checks.map((c) => c.by));
    box.replaceChildren(el("ul", { class: "tasks" }, checks.map((c) => el("li", { class: c.decision === "revise" ? "revise" : "checked" },
      `${c.decision === "revise" ? "請修改" : "已檢核"}・${ROLE_NAMES[c.role] || ""} ${names[c.by] || c.by_name}（${cell(c.at)}）${c.comment ? "：" + c.comment : ""}`))));
  }

  async function statements() {
    let latest = [];
    try { latest = await api("GET", "/api/v1/records/statements"); } catch { /* shown as empty forms */ }
    for (const form of document.querySelectorAll("form.statement")) {
      const current = latest.find((s) => s.kind === form.dataset.kind);
      if (current) {
        for (const [name, value] of Object.entries(current.fields)) if (form.elements[name]) form.elements[name].value = value;
        form.querySelector("[data-version]").textContent = `第 ${current.version} 版${current.needs_revision ? "，請修改" : current.checked ? "，已檢核" : "，待檢核"}`;
        await showChecks(form, current);
      }
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearErrors(form);
        const status = form.querySelector(".status");
        const fields = {};
        for (const area of form.querySelectorAll("textarea")) fields[area.name] = area.value.trim();
        try {
          const saved = await api("PUT", `/api/v1/records/statements/${form.dataset.kind}`, { fields });
          status.className = "status ok";
          status.textContent = `已儲存第 ${saved.version} 版`;
          form.querySelector("[data-version]").textContent = `第 ${saved.version} 版`;
        } catch (problem) { showProblem(form, problem); }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    basic();
    document.querySelectorAll("[data-portfolio]").forEach(records);
    outcomes();
    performances();
    statements();
  });
})();
