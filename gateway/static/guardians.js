// 家長邀請 (註冊組): invitations for a class or chosen students, the slips opened once to print, and
// each student's parents (remove a link) and invitations (revoke an unused code).
"use strict";

(() => {
  const { api, el, table, bindPicker, rocDateTime, showProblem, clearErrors } = window.Licheng;
  const day = (iso) => (iso ? rocDateTime(iso).split(" ")[0] : "");
  const problemText = (problem) => { const b = problem.body || {}; return b.detail || b.title || "失敗"; };

  async function loadClasses() {
    const semester = await api("GET", "/api/v1/records/semesters/current").catch(() => null);
    const classes = (await api("GET", "/api/v1/records/classes?per_page=500")).items
      .filter((c) => !semester || c.year === semester.year).sort((a, b) => a.code.localeCompare(b.code));
    for (const select of document.querySelectorAll("#invite_class, #state_class")) {
      select.append(...classes.map((c) => el("option", { value: c.code }, c.name || `${c.code} 班`)));
    }
  }

  const invite = document.getElementById("invite");
  const students = bindPicker(document.getElementById("invite_students"));
  invite.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(invite);
    const status = invite.querySelector(".status");
    const report = invite.querySelector(".report");
    report.replaceChildren();
    const body = {};
    if (invite.elements.class_code.value) body.class_code = invite.elements.class_code.value;
    else body.student_ids = students.value;
    if (invite.elements.email.value.trim()) body.email = invite.elements.email.value.trim();
    try {
      const batch = await api("POST", "/api/v1/guardians/invitations", body);
      status.className = batch.email_failed ? "status error" : "status ok";
      status.textContent = `已產生 ${batch.created} 張邀請碼，有效至 ${day(batch.expires_at)}`
        + (batch.emailed_to ? `；已排入寄送給 ${batch.emailed_to}（寄送結果見「郵件寄送紀錄」）` : "")
        + (batch.email_failed ? "；郵件暫時無法寄送，請改為列印邀請單" : "");
      report.append(el("p", { class: "notice" }, el("a", { class: "button", href: batch.sheet_url, target: "_blank", rel: "noopener", id: "invitation-sheet" }, "開啟邀請單並列印"),
        " 只能開啟一次，開啟後請立即列印。"));
      invite.reset();
      showClass();
    } catch (problem) { showProblem(invite, problem); }
  });

  bindPicker(document.getElementById("who"), { onPick: (option) => showStudent(option.id) });
  async function showStudent(studentId) {
    const box = document.getElementById("student-guardians");
    const status = el("p", { class: "status", role: "status" });
    try {
      const data = await api("GET", `/api/v1/guardians/students/${encodeURIComponent(studentId)}`);
      const guardians = data.guardians.map((g) => ({ ...g, linked: day(g.linked_at) }));
      const invitations = data.invitations.map((i) => ({ ...i, created: day(i.created_at), expires: day(i.expires_at), used: day(i.used_at) }));
      box.replaceChildren(
        el("h3", {}, "家長"),
        guardians.length ? table(guardians, [["parent_name", "家長"], ["linked", "加入日期"]], [["移除", async (row) => {
          if (!confirm(`移除「${row.parent_name}」後，該家長將不能再查看此學生。確定移除？`)) return;
          try { await api("DELETE", `/api/v1/guardians/links/${encodeURIComponent(row.id)}`); showStudent(studentId); } catch (p) { status.textContent = problemText(p); }
        }]]) : el("p", { class: "muted" }, "尚無家長加入。"),
        el("h3", {}, "邀請碼"),
        invitations.length ? table(invitations, [["state_zh", "狀態"], ["created", "產生日期"], ["expires", "有效期限"], ["used", "使用日期"]], [["撤銷", async (row) => {
          try { await api("POST", `/api/v1/guardians/invitations/${encodeURIComponent(row.id)}/revoke`); showStudent(studentId); } catch (p) { status.textContent = problemText(p); }
        }, null, (row) => row.state === "pending"]]) : el("p", { class: "muted" }, "尚未產生邀請碼。"),
        status);
    } catch (problem) { box.replaceChildren(el("p", { class: "status error", role: "alert" }, problemText(problem))); }
  }

  const stateClass = document.getElementById("state_class");
  async function showClass() {
    const box = document.getElementById("class-invitations");
    if (!stateClass.value) { box.replaceChildren(); return; }
    try {
      const rows = (await api("GET", `/api/v1/guardians/invitations?class_code=${encodeURIComponent(stateClass.value)}`))
        .map((i) => ({ ...i, seat: i.seat_no ?? "", created: day(i.created_at), expires: day(i.expires_at) }));
      const used = rows.filter((r) => r.state === "used").length;
      box.replaceChildren(el("p", {}, `共 ${rows.length} 張，已使用 ${used} 張`),
        rows.length ? table(rows, [["seat", "座號"], ["student_name", "學生"], ["state_zh", "狀態"], ["created", "產生日期"], ["expires", "有效期限"]]) : el("p", { class: "muted" }, "此班尚未產生邀請碼。"));
    } catch (problem) { box.replaceChildren(el("p", { class: "status error", role: "alert" }, problemText(problem))); }
  }
  stateClass.addEventListener("change", showClass);

  loadClasses().catch(() => {});
})();
