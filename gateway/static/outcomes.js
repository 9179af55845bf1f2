// The student's 課程學習成果 page: files are checked before sending, uploaded with a progress bar each
// (through the gateway's streamed upload route), then the outcome is created with their evidence ids.
// A store upload cannot resume mid-file (one presigned POST per file), so after a network error the
// file is sent again automatically with backoff; files already stored are kept, and pressing the
// button again (or coming back online) carries on from the first file not yet stored.
"use strict";

(() => {
  const { api, el, showProblem, checkFile, uploadEvidence } = window.Licheng;
  const STATES = { draft: "草稿", submitted: "待認證", certified: "已認證", returned: "已退回", withdrawn: "已撤回" };
  const stored = new Map();  // file identity -> evidence id, kept across attempts until the outcome exists
  const identity = (file) => `${file.name}|${file.size}|${file.lastModified}`;
  const REASONS = { wrong_course: "非本課程之成果", missing_file: "缺少檔案", unreadable_file: "檔案無法開啟或閱讀", not_own_work: "非學生本人之作品", other: "其他" };
  let editing = null;  // the draft or returned outcome being changed (PATCH), or null for a new one

  function returnNote(o) {
    if (o.state !== "returned") return "";
    const entry = [...o.history].reverse().find((h) => h.state === "returned");
    if (!entry) return "";
    return el("span", { class: "field-error" }, `退回原因：${REASONS[entry.reason] || entry.reason || ""}${entry.comment ? "（" + entry.comment + "）" : ""}`);
  }

  function startEdit(o) {
    const form = document.getElementById("new-outcome");
    editing = o;
    if (![...form.course_id.options].some((opt) => opt.value === o.course_id)) form.course_id.append(el("option", { value: o.course_id }, o.course_name));
    form.course_id.value = o.course_id;
    form.course_id.disabled = true;
    form.summary.value = o.summary;
    document.getElementById("summary-count").textContent = [...o.summary].length;
    document.getElementById("outcome-form-title").textContent = `修改成果：${o.course_name}`;
    document.getElementById("files-note").textContent = `目前 ${o.evidence_ids.length} 個檔案；不選擇檔案則保留原檔案，選擇則全部取代`;
    form.querySelector("button[type=submit]").textContent = "儲存修改";
    document.getElementById("cancel-edit").hidden = false;
    form.summary.focus();
  }

  function stopEdit(form) {
    editing = null;
    form.course_id.disabled = false;
    document.getElementById("outcome-form-title").textContent = "新增成果";
    document.getElementById("files-note").textContent = "";
    form.querySelector("button[type=submit]").textContent = "上傳並建立";
    document.getElementById("cancel-edit").hidden = true;
  }

  async function refresh() {
    const mine = await api("GET", "/api/v1/outcomes/mine");
    document.getElementById("outcomes-summary").replaceChildren(
      el("p", {}, `${mine.year} 學年度第 ${mine.term} 學期：還可登錄 ${mine.remaining} 件（上限 ${mine.cap}），已勾選上傳 ${mine.selected} / ${mine.selection_cap} 件${mine.locked ? "（已鎖定）" : ""}`),
      ...(mine.locked && mine.locked_reason ? [el("p", { class: "status error" }, `${mine.locked_reason}。`)] : []));
    const list = document.getElementById("outcome-list");
    if (!mine.items.length) { list.replaceChildren(el("p", { class: "muted" }, "尚未登錄任何成果")); return; }
    list.replaceChildren(el("ul", { class: "tasks" }, mine.items.map((o) => el("li", {},
      el("strong", {}, o.course_name), `：${o.summary}（${STATES[o.state] || o.state}${o.selected ? "，已勾選" : ""}）`,
      returnNote(o), ...actions(o, mine.locked)))));
  }

  function actions(o, locked) {
    const buttons = [];
    const act = (label, method, path) => el("button", { type: "button", class: "small", onclick: async () => {
      try { await api(method, path); await refresh(); } catch (problem) { alert(problem.body?.detail || problem.body?.title || problem.message); }
    } }, label);
    if (o.state === "draft" || o.state === "returned") {
      buttons.push(el("button", { type: "button", class: "small secondary", onclick: () => startEdit(o) }, "修改"));
      buttons.push(act("送出認證", "POST", `/api/v1/outcomes/${o.id}/submit`));
    }
    if (["draft", "submitted", "returned"].includes(o.state)) buttons.push(act("撤回", "POST", `/api/v1/outcomes/${o.id}/withdraw`));
    if (o.state === "certified" && !locked) buttons.push(o.selected ? act("取消勾選", "DELETE", `/api/v1/outcomes/${o.id}/selection`) : act("勾選上傳", "POST", `/api/v1/outcomes/${o.id}/selection`));
    return buttons;
  }

  // Only the student's own courses of this semester (their class's and their electives), each with its
  // class and teacher, so two 國語文 are told apart.
  async function loadCourses(select) {
    const courses = await api("GET", "/api/v1/lookup/courses");
    select.replaceChildren(el("option", { value: "" }, courses.length ? "請選擇課程" : "本學期沒有您的課程，請洽教學組"),
      ...courses.map((c) => el("option", { value: c.id }, c.label)));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("new-outcome");
    const status = form.querySelector(".status");
    const summary = form.querySelector("#summary");
    summary.addEventListener("input", () => { document.getElementById("summary-count").textContent = [...summary.value].length; });
    loadCourses(form.querySelector("#course_id")).catch(() => {});
    refresh().catch((problem) => {
      const box = document.getElementById("outcomes-summary");
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.detail || problem.body?.title || problem.message));
    });
    let pending = false;  // a network error stopped the last attempt: resume when the browser is back online
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.querySelectorAll(".field-error").forEach((n) => n.remove());
      const files = [...form.querySelector("#files").files];
      const problems = files.map((file) => checkFile(file)).filter(Boolean);
      if (!files.length && !editing) problems.push("請選擇至少一個檔案");
      if (problems.length) { status.className = "status error"; status.textContent = problems.join("；"); return; }
      const progress = document.getElementById("file-progress");
      progress.replaceChildren();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status.className = "status";
      status.textContent = "上傳中…";
      try {
        const ids = [];
        for (const file of files) {
          const bar = el("progress", { max: "100", value: "0", "aria-label": `${file.name} 上傳進度` });
          const note = el("small", { class: "muted" });
          progress.append(el("li", {}, `${file.name} `, bar, " ", note));
          const key = identity(file);
          if (stored.has(key)) {
            bar.value = 100;
            note.textContent = "已上傳";
          } else stored.set(key, (await uploadEvidence(file, "outcome", bar, note)).id);
          ids.push(stored.get(key));
        }
        if (editing) {
          await api("PATCH", `/api/v1/outcomes/${editing.id}`, { summary: summary.value.trim(), ...(ids.length ? { evidence_ids: ids } : {}) });
        } else {
          await api("POST", "/api/v1/outcomes", { course_id: form.course_id.value, summary: summary.value.trim(), evidence_ids: ids });
        }
        stored.clear();
        pending = false;
        status.className = "status ok";
        status.textContent = editing ? "已修改，請記得再次送出認證" : "已建立成果，請記得送出認證";
        form.reset();
        document.getElementById("summary-count").textContent = "0";
        await refresh();
      } catch (problem) {
        pending = Boolean(problem.retry) || problem instanceof TypeError;
        showProblem(form, problem);
        if (pending) status.textContent = "網路中斷：已上傳的檔案會保留，恢復連線後會自動繼續，或再按一次「上傳並建立」";
      } finally {
        button.disabled = false;
      }
    });
    window.addEventListener("online", () => { if (pending) form.requestSubmit(); });
    form.addEventListener("reset", () => stopEdit(form));
    document.getElementById("cancel-edit").addEventListener("click", () => form.reset());
  });
})();
