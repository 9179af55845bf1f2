// The registrar's calendar: semesters with their deadlines, entry windows per record type, reopening
// a window for one student (with a reason), creating a semester, and the semester re-check of basic data.
"use strict";

(() => {
  const { api, el, table, cell, showProblem, clearErrors, rocDate } = window.Licheng;
  const labels = Object.fromEntries([...document.querySelectorAll("#record_type option")].map((o) => [o.value, o.textContent]));
  let semester = null;
  const ROSTERS = window.LICHENG_ROSTERS || {};
  const iso = (value) => (value ? new Date(value).toISOString() : "");
  const ok = (form, text) => { const s = form.querySelector(".status"); s.className = "status ok"; s.textContent = text; };

  function showSemester() {
    const s = semester;
    const deadlines = [["學期", `${cell(s.starts_on)} 至 ${cell(s.ends_on)}`], ["休業式", cell(s.closing_ceremony)], ["校內截止", cell(s.internal_deadline) || "—"],
      ["學生上傳截止", cell(s.student_upload_deadline)], ["教師認證截止", cell(s.teacher_certification_deadline)],
      ...Object.entries(s.national_deadlines || {}).map(([k, v]) => [`國教署截止（${ROSTERS[k] || "名冊 " + k}）`, cell(v)]),
      ...Object.values(s.batch_deadlines || {}).map((b) => [`${b.label}校內截止`, `${cell(b.internal)}（國教署截止 ${cell(b.national)} 前兩週）`])];
    const windows = Object.entries(s.windows).map(([key, w]) => ({ type: labels[key] || key, opens_at: w.opens_at || "未設定", closes_at: w.closes_at || "未設定", open_now: w.open_now }));
    document.getElementById("semester-detail").replaceChildren(
      el("dl", {}, deadlines.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
      el("h3", {}, "登錄時段"), table(windows, [["type", "資料類別"], ["opens_at", "開放"], ["closes_at", "關閉"], ["open_now", "目前開放"]]));
    loadReopenings();
    loadRecheck();
  }

  async function loadSemesters(pickId) {
    const pick = document.getElementById("semester-pick");
    const [all, current] = await Promise.all([api("GET", "/api/v1/records/semesters"), api("GET", "/api/v1/records/semesters/current").catch(() => null)]);
    if (!all.length) { pick.replaceChildren(el("option", { value: "" }, "尚未建立學期")); return; }
    pick.replaceChildren(...all.map((s) => el("option", { value: s.id }, `${s.year} 學年度第 ${s.term} 學期`)));
    pick.value = pickId || current?.id || all[all.length - 1].id;
    semester = all.find((s) => s.id === pick.value);
    showSemester();
  }

  async function loadReopenings() {
    const box = document.getElementById("reopenings");
    try {
      const items = await api("GET", `/api/v1/records/semesters/${semester.id}/reopenings`);
      box.replaceChildren(items.length ? table(items.map((r) => ({ ...r, record_type: labels[r.record_type] || r.record_type })),
        [["student_id", "學號"], ["record_type", "類別"], ["until", "開放至"], ["reason", "理由"]]) : el("p", { class: "muted" }, "本學期沒有重新開放紀錄"));
    } catch (problem) { box.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message)); }
  }

  async function loadRecheck() {
    const box = document.getElementById("recheck");
    try {
      const data = await api("GET", `/api/v1/records/students?unchecked=${semester.year}-${semester.term}&per_page=2000`);
      if (!data.items.length) { box.replaceChildren(el("p", { class: "status ok" }, "本學期的學生基本資料都已檢核")); return; }
      // Nothing is pre-ticked: the registrar looks at each student's data and ticks what they checked.
      const list = el("ul", { class: "tasks" }, data.items.map((s) => el("li", {}, el("label", { class: "check" },
        el("input", { type: "checkbox", value: s.student_id }), `${s.class_code} 班 ${s.seat_no} 號 ${s.student_id} ${s.name}（${s.national_id_masked || ""}，${rocDate(s.birth_date)}）`))));
      const status = el("p", { class: "status", role: "status" });
      const count = () => list.querySelectorAll("input:checked").length;
      list.addEventListener("change", () => { confirm.disabled = count() === 0; confirm.textContent = `確認勾選的學生資料無誤（${count()} 位）`; });
      const confirm = el("button", { type: "button", disabled: "", onclick: async () => {
        const ids = [...list.querySelectorAll("input:checked")].map((i) => i.value);
        if (!ids.length) { status.className = "status error"; status.textContent = "請先勾選已檢核的學生"; return; }
        try {
          await api("POST", "/api/v1/records/students/recheck", { year: semester.year, term: semester.term, student_ids: ids });
          await loadRecheck();
        } catch (problem) { status.className = "status error"; status.textContent = problem.body?.title || problem.message; }
      } }, "確認勾選的學生資料無誤（0 位）");
      box.replaceChildren(el("p", {}, `尚未檢核 ${data.total} 人`), list, confirm, status);
    } catch (problem) { box.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message)); }
  }

  function bind(id, handler) {
    const form = document.getElementById(id);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try { await handler(form); } catch (problem) { showProblem(form, problem); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("semester-pick").addEventListener("change", (e) => loadSemesters(e.target.value));
    bind("window-form", async (form) => {
      if (!semester) return;
      const windows = {};
      for (const [key, w] of Object.entries(semester.windows)) if (w.opens_at && w.closes_at) windows[key] = { opens_at: w.opens_at, closes_at: w.closes_at };
      windows[form.record_type.value] = { opens_at: iso(form.opens_at.value), closes_at: iso(form.closes_at.value) };
      await api("PATCH", `/api/v1/records/semesters/${semester.id}`, { windows });
      ok(form, "已儲存登錄時段");
      await loadSemesters(semester.id);
    });
    bind("reopen-form", async (form) => {
      if (!semester) return;
      await api("POST", `/api/v1/records/semesters/${semester.id}/reopenings`,
        { student_id: form.student_id.value.trim(), record_type: form.record_type.value, until: iso(form.until.value), reason: form.reason.value.trim() });
      ok(form, "已重新開放");
      form.reset();
      await loadReopenings();
    });
    bind("semester-form", async (form) => {
      const national = {};
      for (const line of form.national_deadlines.value.split(/\n+/)) {
        const [k, v] = line.split(/[=＝:]/).map((x) => x && x.trim());
        if (k && v) national[k] = v;
      }
      const created = await api("POST", "/api/v1/records/semesters", { year: form.year.value.trim(), term: form.term.value,
        starts_on: form.starts_on.value, ends_on: form.ends_on.value, closing_ceremony: form.closing_ceremony.value, national_deadlines: national });
      ok(form, "已建立學期");
      await loadSemesters(created.id);
    });
    loadSemesters().catch((problem) => document.getElementById("semester-detail").replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message)));
  });
})();
