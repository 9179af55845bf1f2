// The homeroom teacher's class: outcome progress per student (sortable, filterable) and reminders to
// the students who have not uploaded (or everyone). Statement checks are statements.js.
"use strict";

(() => {
  const { api, el, table, showProblem, clearErrors } = window.Licheng;
  let progress = null;

  function rows() {
    return progress.students.map((s) => ({
      seat_no: s.seat_no ?? "", student_id: s.student_id, name: s.name, uploaded: s.uploaded,
      submitted: s.states.submitted || 0, certified: s.states.certified || 0, returned: s.states.returned || 0,
      waiting_for_teachers: s.waiting_for_teachers.length ? `${s.waiting_for_teachers.length} 位教師` : "",
    }));
  }

  const COLUMNS = [["seat_no", "座號"], ["student_id", "學號"], ["name", "姓名"], ["uploaded", "已登錄"], ["submitted", "待認證"],
    ["certified", "已認證"], ["returned", "被退回"], ["waiting_for_teachers", "等待認證"]];

  function render() {
    const onlyMissing = document.getElementById("only-missing").checked;
    const all = rows();
    const shown = onlyMissing ? all.filter((r) => r.uploaded === 0) : all;
    const filter = el("input", { type: "search", class: "filter", placeholder: "篩選學號或姓名…", "aria-label": "篩選學號或姓名" });
    const view = table(shown, COLUMNS);
    filter.addEventListener("input", () => {
      const needle = filter.value.trim().toLowerCase();
      view.setRows(shown.filter((r) => `${r.student_id} ${r.name}`.toLowerCase().includes(needle)));
    });
    document.getElementById("progress").replaceChildren(
      el("p", {}, `${progress.year} 學年度第 ${progress.term} 學期，${progress.class_code} 班共 ${all.length} 人，尚未上傳 ${progress.not_uploaded.length} 人`),
      filter, view);
  }

  // 多元表現 of the class this academic year: per student how many are recorded (red: none yet).
  async function loadPerformances(code) {
    const box = document.getElementById("performance-progress");
    if (!box || !progress) return;
    try {
      const data = await api("GET", `/api/v1/records/performances?class_code=${encodeURIComponent(code)}&year=${progress.year}&per_page=10000`);
      const count = {};
      for (const p of data.items) count[p.student_id] = (count[p.student_id] || 0) + 1;
      const students = progress.students;
      const done = students.filter((s) => count[s.student_id]).length;
      const rowsOf = students.map((s) => ({ seat_no: s.seat_no ?? "", student_id: s.student_id, name: s.name,
        recorded: count[s.student_id] || 0, mark: count[s.student_id] ? "✔ 已登錄" : "✘ 尚未登錄" }));
      const view = table(rowsOf, [["seat_no", "座號"], ["student_id", "學號"], ["name", "姓名"], ["recorded", "已登錄件數"], ["mark", "狀態"]]);
      view.querySelectorAll("tbody tr").forEach((tr, i) => tr.classList.add(rowsOf[i].recorded ? "done" : "missing"));
      box.replaceChildren(el("p", {}, `${progress.year} 學年度多元表現：已登錄 ${done} / ${students.length} 位學生 `,
        el("progress", { max: String(students.length || 1), value: String(done), "aria-label": "已登錄多元表現的學生比例" })), view);
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.detail || problem.body?.title || problem.message));
    }
  }

  async function loadProgress(code) {
    const box = document.getElementById("progress");
    try {
      progress = await api("GET", `/api/v1/classes/${encodeURIComponent(code)}/progress`);
      render();
      loadPerformances(code);
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.detail || problem.body?.title || problem.message));
    }
  }

  async function loadClasses() {
    const pick = document.getElementById("class-pick");
    const me = await api("GET", "/api/v1/me");
    const data = await api("GET", "/api/v1/records/classes?per_page=500");
    const mine = data.items.filter((c) => c.homeroom_teacher_id === me.id).sort((a, b) => b.year - a.year);
    const latest = mine.length ? mine[0].year : null;
    const codes = [...new Set(mine.filter((c) => c.year === latest).map((c) => c.code))];
    if (!codes.length && me.class_code) codes.push(me.class_code);
    if (!codes.length) {
      pick.replaceChildren(el("option", { value: "" }, "無"));
      document.getElementById("progress").replaceChildren(el("p", { class: "status error" }, "您目前沒有擔任導師的班級，請洽註冊組設定"));
      return;
    }
    pick.replaceChildren(...codes.map((c) => el("option", { value: c }, `${c} 班`)));
    pick.addEventListener("change", () => loadProgress(pick.value));
    await loadProgress(codes[0]);
  }

  function bindReminder(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const status = form.querySelector(".status");
      if (!progress) return;
      const body = { message: form.message.value.trim() };
      if (form.elements.audience.value === "missing") body.student_ids = progress.not_uploaded;
      try {
        const result = await api("POST", `/api/v1/classes/${encodeURIComponent(progress.class_code)}/reminders`, body);
        status.className = "status ok";
        status.textContent = `已提醒 ${result.sent} 位學生`;
      } catch (problem) { showProblem(form, problem); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("only-missing").addEventListener("change", () => progress && render());
    bindReminder(document.getElementById("reminder-form"));
    loadClasses().catch((problem) => document.getElementById("progress").replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message)));
  });
})();
