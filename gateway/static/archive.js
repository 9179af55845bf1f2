// The registrar's archive page: archive leavers, download their portfolio, keep the retention, purge.
"use strict";

(() => {
  const { api, el, table, showProblem } = window.Licheng;
  const $ = (id) => document.getElementById(id);
  const list = (text) => text.split(/[\s,，、]+/).filter(Boolean);
  const say = (node, text, error = false) => { node.className = error ? "status error" : "status"; node.textContent = text; };
  const problemText = (p) => { const b = p.body || {}; return `${b.title || p.message}${b.detail && b.detail !== b.title ? "：" + b.detail : ""}`; };

  async function loadArchived() {
    const data = await api("GET", "/api/v1/records/students?archived=only&per_page=200");
    const rows = data.items.map((s) => ({ ...s, left: s.left_on || "" }));
    const view = rows.length ? table(rows, [["student_id", "學號"], ["name", "姓名"], ["class_code", "班級"], ["status", "學籍狀態"], ["left", "離校日期"]]) : el("p", {}, "尚無封存學生");
    const links = el("ul", { class: "plain" }, rows.map((s) => el("li", {}, el("a", { href: `/api/v1/archive/students/${encodeURIComponent(s.student_id)}/portfolio.zip` }, `下載 ${s.student_id} ${s.name} 的學習歷程（ZIP）`))));
    $("archived").replaceChildren(view, links);
  }

  async function loadSettings() {
    const s = await api("GET", "/api/v1/archive/settings");
    $("retention-years").value = s.retention_years;
    $("retention-now").textContent = `目前保存 ${s.retention_years} 年（預設 ${s.default_years} 年）· 已封存 ${s.archived} 位，已屆期 ${s.due} 位` + (s.next_due ? `，下一位屆期日 ${s.next_due}` : "");
  }

  async function loadPurges() {
    const reports = await api("GET", "/api/v1/archive/purges");
    const items = reports.items || reports;
    // who ran it, by name: the report keeps the account id
    const ids = [...new Set(items.map((r) => r.by).filter(Boolean))];
    const staff = ids.length ? await api("GET", `/api/v1/lookup/staff?ids=${encodeURIComponent(ids.join(","))}`) : [];
    const names = Object.fromEntries(staff.map((a) => [a.id, a.name]));
    const rows = items.map((r) => ({ ...r, students_n: (r.students || []).length, by: names[r.by] || (r.by ? "（已停用帳號）" : "") }));
    $("purges").replaceChildren(rows.length ? table(rows, [["started_at", "時間"], ["status", "狀態"], ["students_n", "學生數"], ["by", "執行者"]]) : el("p", {}, "尚無"));
  }

  $("archive-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { status: form.status.value };
    if (form.student_ids.value.trim()) body.student_ids = list(form.student_ids.value);
    if (form.class_codes.value.trim()) body.class_codes = list(form.class_codes.value);
    if (form.left_on.value) body.left_on = form.left_on.value;
    try {
      const result = await api("POST", "/api/v1/archive/students", body);
      say(form.querySelector(".status"), `已封存 ${result.archived.length} 位` + (result.already_archived.length ? `（${result.already_archived.length} 位原已封存）` : ""));
      await Promise.all([loadArchived(), loadSettings()]);
    } catch (problem) { showProblem(form, problem); }
  });

  $("retention-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      await api("PUT", "/api/v1/archive/settings", { retention_years: Number(form.retention_years.value) });
      say(form.querySelector(".status"), "已儲存");
      await loadSettings();
    } catch (problem) { showProblem(form, problem); }
  });

  async function purge(dryRun) {
    if (!dryRun && !confirm("確定清除所有已屆保存期限的封存資料？此動作無法復原。")) return;
    try {
      const report = await api("POST", "/api/v1/archive/purges", { dry_run: dryRun });
      const students = report.students || [];
      say($("purge-status"), dryRun ? `試算：${students.length} 位學生的資料將被清除` : "已開始清除，完成後見清除報告");
      $("purge-preview").replaceChildren(students.length ? el("p", {}, students.map((s) => s.student_id || s).join("、")) : "");
      await loadPurges();
    } catch (problem) { say($("purge-status"), problemText(problem), true); }
  }
  $("purge-dry").addEventListener("click", () => purge(true));
  $("purge-run").addEventListener("click", () => purge(false));

  loadArchived(); loadSettings(); loadPurges();
})();
