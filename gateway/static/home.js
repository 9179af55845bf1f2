// The home page: what the caller still has to do, per role, soonest deadline first, and notifications.
// Each role's tasks come from the API the role's own pages use; a task without a deadline goes last.
"use strict";

(() => {
  const { api, el, loadNotifications } = window.Licheng;
  const spec = JSON.parse(document.getElementById("todo-spec").textContent);
  const has = (role) => spec.roles.includes(role);
  const DAY = 86400000;

  function task(text, href, deadline) {
    return { text, href, deadline: deadline ? new Date(deadline) : null };
  }

  function when(deadline) {
    if (!deadline) return "";
    const days = Math.ceil((deadline - Date.now()) / DAY);
    const date = window.Licheng.rocDateTime(deadline.toISOString()).split(" ")[0];
    return days < 0 ? `（已於 ${date} 截止）` : `（截止 ${date}，剩 ${days} 天）`;
  }

  const endOfDay = (day) => (day ? `${day}T23:59:59+08:00` : null);

  async function studentTasks(semester, tasks) {
    const mine = await api("GET", "/api/v1/outcomes/mine");
    const count = (state) => mine.items.filter((o) => o.state === state).length;
    const due = endOfDay(semester?.student_upload_deadline);
    if (count("returned")) tasks.push(task(`${count("returned")} 件課程學習成果被退回，請修改後再送出`, "/student/outcomes", due));
    if (count("draft")) tasks.push(task(`${count("draft")} 件課程學習成果尚未送出認證`, "/student/outcomes", due));
    if (!mine.items.length && mine.remaining > 0) tasks.push(task(`上傳本學期的課程學習成果（最多 ${mine.cap} 件）`, "/student/outcomes", due));
    const certified = count("certified");
    if (certified && mine.selected < Math.min(certified, mine.selection_cap) && !mine.locked) {
      tasks.push(task(`勾選要上傳國教署的成果（已勾選 ${mine.selected} / ${mine.selection_cap} 件）`, "/student/portfolio#outcomes", endOfDay(semester?.internal_deadline)));
    }
    seniorBatchTasks(mine, certified, tasks);
    const statements = await api("GET", "/api/v1/records/statements").catch(() => []);
    if (!statements.length) tasks.push(task("填寫自傳與學習計畫", "/student/portfolio#statements", null));
    const KINDS = { autobiography: "自傳", study_plan: "學習計畫" };
    for (const s of statements.filter((x) => x.needs_revision)) tasks.push(task(`${KINDS[s.kind] || "自傳或學習計畫"}：老師請您修改，請看留言`, "/student/portfolio#statements", null));
    const receipts = await api("GET", "/api/v1/me/receipts").catch(() => []);
    for (const entry of receipts.filter((e) => e.state === "pending" && new Date(e.deadline) > Date.now())) {
      tasks.push(task(`確認國教署收到的${entry.roster_name || "資料"}`, "/student/receipts", entry.deadline));
    }
  }

  // A grade-3 student's 高三 梯次: tick before its internal deadline (what is left), then the upload locks it.
  function seniorBatchTasks(mine, certified, tasks) {
    if (mine.batch_lock) {
      tasks.push(task(`${mine.locked_reason}（已鎖定）`, "/student/portfolio#outcomes", null));
      return;
    }
    for (const batch of mine.senior_batches || []) {
      const due = endOfDay(batch.internal);
      if (new Date(due) <= Date.now()) continue;
      const left = Math.max(0, Math.min(certified, mine.selection_cap) - mine.selected);
      const what = left ? `還可勾選 ${left} 件已認證成果（已勾選 ${mine.selected} / ${mine.selection_cap} 件）` : `已勾選 ${mine.selected} 件，請確認無誤`;
      tasks.push(task(`${batch.label}：${what}；註冊組上傳後即鎖定，不能再更改`, "/student/portfolio#outcomes", due));
    }
  }

  async function teacherTasks(semester, tasks) {
    const queue = await api("GET", "/api/v1/teacher/queue");
    if (queue.waiting) tasks.push(task(`${queue.waiting} 件課程學習成果待認證`, "/teacher/certification", endOfDay(semester?.teacher_certification_deadline)));
  }

  async function homeroomTasks(semester, tasks) {
    const me = await api("GET", "/api/v1/me");
    const classes = (await api("GET", "/api/v1/records/classes?per_page=500")).items.filter((c) => c.homeroom_teacher_id === me.id && (!semester || c.year === semester.year));
    for (const c of classes) {
      const progress = await api("GET", `/api/v1/classes/${encodeURIComponent(c.code)}/progress`);
      if (progress.not_uploaded.length) tasks.push(task(`${c.code} 班有 ${progress.not_uploaded.length} 位學生尚未上傳成果，可提醒學生`, "/homeroom/class", endOfDay(semester?.student_upload_deadline)));
    }
    const statements = await api("GET", "/api/v1/records/statements").catch(() => []);
    const unchecked = statements.filter((s) => !s.checked && !s.needs_revision).length;
    if (unchecked) tasks.push(task(`${unchecked} 份自傳或學習計畫待檢核`, "/homeroom/class#statements-title", null));
  }

  async function registrarTasks(semester, tasks) {
    if (!semester) { tasks.push(task("建立本學期的學期資料與登錄時段", "/registrar/calendar", null)); return; }
    const unchecked = await api("GET", `/api/v1/records/students?unchecked=${semester.year}-${semester.term}&per_page=1`);
    if (unchecked.total) tasks.push(task(`${unchecked.total} 位學生的基本資料尚未完成本學期檢核`, "/registrar/calendar#recheck-title", endOfDay(semester.internal_deadline)));
    for (const [roster, day] of Object.entries(semester.national_deadlines || {})) {
      if (new Date(endOfDay(day)) > Date.now()) tasks.push(task(`${(window.LICHENG_ROSTERS || {})[roster] || "名冊 " + roster} 上傳國教署`, "/registrar/national", endOfDay(day)));
    }
    for (const batch of Object.values(semester.batch_deadlines || {})) {
      if (new Date(endOfDay(batch.internal)) > Date.now()) tasks.push(task(`${batch.label}：完成高三學生的校內作業與勾選`, "/registrar/national", endOfDay(batch.internal)));
    }
  }

  function unitTasks(semester, tasks) {
    for (const type of spec.writable) {
      if (!type.semester || !semester || type.key === "performances") continue;
      const window = semester.windows?.[type.key];
      if (window?.open_now) tasks.push(task(`登錄本學期的${type.label}`, `/records/${type.key}`, window.closes_at || endOfDay(semester.internal_deadline)));
    }
  }

  async function load() {
    const list = document.getElementById("todo-list");
    const tasks = [];
    const semester = await api("GET", "/api/v1/records/semesters/current").catch(() => null);
    const jobs = [];
    if (has("student")) jobs.push(studentTasks(semester, tasks));
    if (has("teacher")) jobs.push(teacherTasks(semester, tasks));
    if (has("homeroom")) jobs.push(homeroomTasks(semester, tasks));
    if (has("registrar")) jobs.push(registrarTasks(semester, tasks));
    unitTasks(semester, tasks);
    const failed = (await Promise.allSettled(jobs)).filter((r) => r.status === "rejected");
    tasks.sort((a, b) => (a.deadline ?? Infinity) - (b.deadline ?? Infinity));
    const items = tasks.map((t) => el("li", {}, el("a", { href: t.href }, t.text), el("span", { class: "deadline muted" }, when(t.deadline))));
    if (failed.length) items.push(el("li", { class: "status error" }, `部分待辦無法載入：${failed[0].reason?.body?.title || failed[0].reason?.message || ""}`));
    list.replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "目前沒有待辦事項")]));
  }

  document.addEventListener("DOMContentLoaded", () => {
    load();
    loadNotifications(document.getElementById("notifications"));
  });
})();
