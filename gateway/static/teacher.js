// The teacher's certification queue: outcomes per course, each file previewed inline (PDF in an
// iframe, images, audio and video through the gateway's inline view), certify, return with a
// reason, or certify the checked ones at once; and naming a proxy (代理人) for a leave.
"use strict";

(() => {
  const { api, el, cell, showProblem, clearErrors } = window.Licheng;
  const REASONS = { wrong_course: "非本課程之成果", missing_file: "缺少檔案", unreadable_file: "檔案無法開啟或閱讀", not_own_work: "非學生本人之作品", other: "其他" };

  function preview(file) {
    const src = `/api/v1/evidence/${encodeURIComponent(file.id)}/view`;
    const label = `${file.filename} 預覽`;
    if (file.content_type === "application/pdf") return el("iframe", { class: "preview", src, title: label });
    if (file.content_type.startsWith("image/")) return el("img", { class: "preview", src, alt: label });
    if (file.content_type.startsWith("video/")) return el("video", { class: "preview", src, controls: "", preload: "metadata", "aria-label": label });
    if (file.content_type.startsWith("audio/")) return el("audio", { class: "preview", src, controls: "", preload: "metadata", "aria-label": label });
    return el("a", { href: src, target: "_blank", rel: "noopener" }, file.filename);
  }

  async function files(outcome) {
    const box = el("div", { class: "files" });
    // the queue describes each outcome's files itself: no call per file
    const described = Object.fromEntries((outcome.files || []).map((f) => [f.id, f]));
    for (const id of outcome.evidence_ids) {
      try {
        const file = described[id];
        if (!file) throw new Error("找不到此佐證檔案");
        const holder = el("div", {});
        const toggle = el("button", { type: "button", class: "small secondary", "aria-expanded": "false", onclick: () => {
          const open = toggle.getAttribute("aria-expanded") === "true";
          toggle.setAttribute("aria-expanded", String(!open));
          holder.replaceChildren(...(open ? [] : [preview(file), el("a", { href: `/api/v1/evidence/${encodeURIComponent(id)}/view`, target: "_blank", rel: "noopener" }, "在新視窗開啟")]));
        } }, `預覽 ${file.filename}（${Math.ceil(file.size / 1024)} KB）`);
        box.append(el("div", {}, toggle, holder));
      } catch (problem) {
        box.append(el("p", { class: "status error" }, `佐證檔案：${problem.body?.title || problem.message}`));
      }
    }
    if (outcome.video_url) box.append(el("p", {}, "影音連結：", el("a", { href: outcome.video_url, target: "_blank", rel: "noopener noreferrer" }, outcome.video_url)));
    return box;
  }

  function returnForm(outcome) {
    const id = `reason-${outcome.id}`;
    const form = el("form", { class: "return", novalidate: "" },
      el("label", { for: id }, "退回原因"),
      el("select", { id, name: "reason", required: "" }, el("option", { value: "" }, "請選擇"), ...Object.entries(REASONS).map(([k, v]) => el("option", { value: k }, v))),
      el("label", { for: `comment-${outcome.id}` }, "說明（原因為其他時必填）"),
      el("input", { id: `comment-${outcome.id}`, name: "comment", maxlength: "300" }),
      el("button", { type: "submit", class: "small danger" }, "退回"),
      el("p", { class: "status", role: "status" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = { reason: form.reason.value };
      if (form.comment.value.trim()) body.comment = form.comment.value.trim();
      if (!body.reason) {  // said plainly beside the field, before asking the server
        showProblem(form, { body: { title: "退回時請選擇原因", errors: [{ field: "reason", message: "請選擇退回原因" }] } });
        return;
      }
      try {
        await api("POST", `/api/v1/outcomes/${encodeURIComponent(outcome.id)}/return`, body);
        await load("已退回，學生會收到通知");
      } catch (problem) { showProblem(form, problem); }
    });
    return form;
  }

  async function outcomeCard(outcome) {
    const pick = el("input", { type: "checkbox", class: "pick", value: outcome.id, id: `pick-${outcome.id}` });
    const certify = el("button", { type: "button", class: "small", onclick: async () => {
      try { await api("POST", `/api/v1/outcomes/${encodeURIComponent(outcome.id)}/certify`); await load("已認證"); }
      catch (problem) { alert(problem.body?.detail || problem.body?.title || problem.message); }
    } }, "認證");
    const submitted = [...outcome.history].reverse().find((h) => h.action === "submit");
    return el("article", { class: "outcome", "data-outcome": outcome.id },
      el("h4", {}, pick, " ", el("label", { for: `pick-${outcome.id}` }, `${outcome.student_id} ${outcome.student_name || ""}：${outcome.summary}`)),
      el("p", { class: "muted" }, `送出時間 ${submitted ? cell(submitted.at) : cell(outcome.updated_at)}`),
      await files(outcome), certify, returnForm(outcome));
  }

  async function courseSection(course) {
    const status = el("p", { class: "status", role: "status" });
    const section = el("section", { class: "card", "aria-label": course.course_name });
    const bulk = el("button", { type: "button", onclick: async () => {
      const ids = [...section.querySelectorAll("input.pick:checked")].map((b) => b.value);
      if (!ids.length) { status.className = "status error"; status.textContent = "請先勾選要認證的成果"; return; }
      try {
        const result = await api("POST", "/api/v1/outcomes/bulk-certify", { outcome_ids: ids });
        const failed = Object.keys(result.failed || {}).length;
        await load(`已認證 ${result.certified.length} 件${failed ? `，${failed} 件未完成` : ""}`);
      } catch (problem) { status.className = "status error"; status.textContent = problem.body?.title || problem.message; }
    } }, "認證勾選的成果");
    const all = el("input", { type: "checkbox", id: `all-${course.course_id}` });
    all.addEventListener("change", () => section.querySelectorAll("input.pick").forEach((b) => { b.checked = all.checked; }));
    section.append(el("h2", {}, `${course.course_name}（待認證 ${course.waiting} 件）`),
      el("p", {}, all, " ", el("label", { for: `all-${course.course_id}` }, "全選")), bulk, status);
    for (const item of course.items) section.append(await outcomeCard(item));
    return section;
  }

  async function load(message) {
    const summary = document.getElementById("queue-summary");
    try {
      const queue = await api("GET", "/api/v1/teacher/queue");
      // people by name: the students of each outcome, the teachers one stands in for
      const [students, teachers] = await Promise.all([
        window.Licheng.namesFor("/api/v1/lookup/students", queue.courses.flatMap((c) => c.items.map((i) => i.student_id))),
        window.Licheng.namesFor("/api/v1/lookup/staff", queue.standing_in_for)]);
      queue.courses.forEach((c) => c.items.forEach((i) => { i.student_name = students[i.student_id] || ""; }));
      const standing = queue.standing_in_for.map((t) => teachers[t] || "其他教師");
      summary.replaceChildren(el("p", {}, `待認證共 ${queue.waiting} 件` + (standing.length ? `（含代理 ${standing.join("、")} 的課程）` : "")),
        ...(message ? [el("p", { class: "status ok" }, message)] : []));
      const sections = [];
      for (const course of queue.courses) sections.push(await courseSection(course));
      document.getElementById("queue").replaceChildren(...sections);
    } catch (problem) {
      summary.replaceChildren(el("p", { class: "status error" }, problem.body?.detail || problem.body?.title || problem.message));
    }
  }

  function bindProxy(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const status = form.querySelector(".status");
      const at = (value) => (value ? new Date(value).toISOString() : "");
      try {
        await api("POST", "/api/v1/proxies", { proxy_id: document.getElementById("proxy_id").picker.value, starts_at: at(form.starts_at.value), ends_at: at(form.ends_at.value) });
        status.className = "status ok";
        status.textContent = "已指定代理人";
        form.reset();
      } catch (problem) { showProblem(form, problem); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    bindProxy(document.getElementById("proxy-form"));
    load();
  });
})();
