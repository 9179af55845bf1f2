// The student's 課程學習成果 page: files are checked before sending, uploaded with a progress bar each
// (through the gateway's streamed upload route), then the outcome is created with their evidence ids.
"use strict";

(() => {
  const { api, el, showProblem } = window.Licheng;
  const LIMITS = { pdf: ["document", 4], jpg: ["document", 4], jpeg: ["document", 4], png: ["document", 4], mp3: ["media", 10], mp4: ["media", 10] };
  const TYPES = { pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", mp3: "audio/mpeg", mp4: "video/mp4" };
  const STATES = { draft: "草稿", submitted: "待認證", certified: "已認證", returned: "已退回", withdrawn: "已撤回" };

  function checkFile(file) {
    const ext = file.name.split(".").pop().toLowerCase();
    const limit = LIMITS[ext];
    if (!limit) return `${file.name}：只接受 PDF、JPG、PNG、MP3、MP4`;
    if (file.size > limit[1] * 1024 * 1024) return `${file.name}：超過 ${limit[1]} MB`;
    if (file.size === 0) return `${file.name}：檔案是空的`;
    return null;
  }

  function upload(file, bar) {
    const ext = file.name.split(".").pop().toLowerCase();
    const query = new URLSearchParams({ kind: LIMITS[ext][0], purpose: "outcome", filename: file.name });
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `/api/v1/evidence/proxy-upload?${query}`);
      xhr.setRequestHeader("Content-Type", TYPES[ext]);
      xhr.setRequestHeader("X-CSRF-Token", document.querySelector('meta[name="csrf-token"]').content);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100); };
      xhr.onload = () => {
        const body = xhr.responseText ? JSON.parse(xhr.responseText) : {};
        if (xhr.status >= 200 && xhr.status < 300) { bar.value = 100; resolve(body); } else reject({ body });
      };
      xhr.onerror = () => reject({ body: { title: "網路中斷，請再試一次" } });
      xhr.send(file);
    });
  }

  async function refresh() {
    const mine = await api("GET", "/api/v1/outcomes/mine");
    document.getElementById("outcomes-summary").replaceChildren(
      el("p", {}, `${mine.year} 學年度第 ${mine.term} 學期：還可登錄 ${mine.remaining} 件（上限 ${mine.cap}），已勾選上傳 ${mine.selected} / ${mine.selection_cap} 件${mine.locked ? "（已鎖定）" : ""}`));
    const list = document.getElementById("outcome-list");
    if (!mine.items.length) { list.replaceChildren(el("p", { class: "muted" }, "尚未登錄任何成果")); return; }
    list.replaceChildren(el("ul", { class: "tasks" }, mine.items.map((o) => el("li", {},
      el("strong", {}, o.course_name), `：${o.summary}（${STATES[o.state] || o.state}${o.selected ? "，已勾選" : ""}）`,
      ...actions(o)))));
  }

  function actions(o) {
    const buttons = [];
    const act = (label, method, path) => el("button", { type: "button", class: "small", onclick: async () => {
      try { await api(method, path); await refresh(); } catch (problem) { alert(problem.body?.detail || problem.body?.title || problem.message); }
    } }, label);
    if (o.state === "draft" || o.state === "returned") buttons.push(act("送出認證", "POST", `/api/v1/outcomes/${o.id}/submit`));
    if (["draft", "submitted", "returned"].includes(o.state)) buttons.push(act("撤回", "POST", `/api/v1/outcomes/${o.id}/withdraw`));
    if (o.state === "certified") buttons.push(o.selected ? act("取消勾選", "DELETE", `/api/v1/outcomes/${o.id}/selection`) : act("勾選上傳", "POST", `/api/v1/outcomes/${o.id}/selection`));
    return buttons;
  }

  async function loadCourses(select) {
    const data = await api("GET", "/api/v1/records/courses?per_page=200");
    const courses = data.items || data;
    select.replaceChildren(el("option", { value: "" }, "請選擇課程"), ...courses.map((c) => el("option", { value: c.id }, c.name)));
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
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.querySelectorAll(".field-error").forEach((n) => n.remove());
      const files = [...form.querySelector("#files").files];
      const problems = files.map(checkFile).filter(Boolean);
      if (!files.length) problems.push("請選擇至少一個檔案");
      if (problems.length) { status.className = "status error"; status.textContent = problems.join("；"); return; }
      const progress = document.getElementById("file-progress");
      progress.replaceChildren();
      try {
        const ids = [];
        for (const file of files) {
          const bar = el("progress", { max: "100", value: "0", "aria-label": `${file.name} 上傳進度` });
          progress.append(el("li", {}, `${file.name} `, bar));
          ids.push((await upload(file, bar)).id);
        }
        await api("POST", "/api/v1/outcomes", { course_id: form.course_id.value, summary: summary.value.trim(), evidence_ids: ids });
        status.className = "status ok";
        status.textContent = "已建立成果，請記得送出認證";
        form.reset();
        await refresh();
      } catch (problem) {
        showProblem(form, problem);
      }
    });
  });
})();
