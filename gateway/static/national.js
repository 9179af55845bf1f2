// The registrar's national upload console: check rosters, start the upload, watch its progress live,
// retry dead letters, fetch or import receipts, and resubmit the students who reported an error.
"use strict";

(() => {
  const { api, el, table, showProblem, rocDateTime } = window.Licheng;
  const ROSTERS = window.LICHENG_ROSTERS || {};
  const BATCHES = window.LICHENG_BATCHES || {};
  const BATCH_LABELS = { 1: "高三第一梯次", 2: "高三第二梯次" };
  const setLabel = (u) => (u.batch ? (u.batch_summary?.label || BATCH_LABELS[u.batch]) : "學期名冊");
  const rosterName = (code) => ROSTERS[String(code)] || (code ? `名冊 ${code}` : "");
  const KINDS = { evidence: "學生檔案", roster: "名冊" };
  const STATES = [["queued", "排隊中"], ["sending", "傳送中"], ["accepted", "已收件"], ["rejected", "退件"], ["retrying", "重試中"], ["dead", "無法送達"]];
  let draft = null;
  let current = null;
  let timer = null;
  const $ = (id) => document.getElementById(id);
  const say = (id, text, error = false) => { $(id).className = error ? "status error" : "status"; $(id).textContent = text; };
  const problemText = (p) => { const b = p.body || {}; return `${b.title || p.message}${b.detail && b.detail !== b.title ? "：" + b.detail : ""}`; };

  // What the chosen set carries, before anything is built: the term's rosters, or a 梯次's (grade 3 only).
  function describeBatch() {
    const batch = $("batch").value;
    if (!batch) { $("batch-note").textContent = "本學期的學生資料、成績、缺勤、科目、幹部經歷、多元表現與課程學習成果名冊（全校學生）。"; return; }
    const rosters = (BATCHES[batch] || []).map((code) => `${code} ${rosterName(code)}`).join("、");
    $("batch-note").textContent = `${BATCH_LABELS[batch]}只含高三學生：${rosters}。開始上傳後，這些學生本學年的勾選即鎖定，不能再更改。`;
  }
  $("batch").addEventListener("change", describeBatch);
  describeBatch();

  function showBatch(result) {
    const box = $("report-batch");
    const summary = result.batch_summary;
    box.hidden = !summary;
    $("start-upload").textContent = summary ? `2. 開始上傳${summary.label}` : "2. 開始上傳這批名冊";
    if (!summary) { box.replaceChildren(); return; }
    box.replaceChildren(
      el("h3", {}, `${summary.label}：高三學生 ${summary.students} 位`),
      table(summary.rosters.map((r) => ({ label: `${r.code} ${r.name}`, rows: r.rows || "無資料（不送出）" })), [["label", "名冊"], ["rows", "列數"]]),
      el("p", { class: summary.locked ? "status error" : "warning", id: "batch-lock-note" }, summary.locked
        ? `已上傳：${summary.locked_students ?? summary.students} 位學生本學年的勾選已鎖定。`
        : `開始上傳後，這 ${summary.students} 位學生本學年的課程學習成果與多元表現勾選即鎖定，不能再更改。`));
  }

  function showReport(result) {
    draft = result;
    const report = result.report;
    $("report").hidden = false;
    showBatch(result);
    $("report-summary").replaceChildren(el("p", { class: report.ok ? "ok" : "warning" },
      report.ok ? "沒有發現問題，可以上傳。" : `有 ${report.students.length} 位學生的 ${report.held_back_rows} 列資料需要修正，這些列不會送出。`),
      el("p", { class: "muted" }, `學生檔案 ${report.evidence_files} 個。`));
    $("report-rosters").replaceChildren(table(report.rosters.map((r) => ({ ...r, label: `${r.code} ${r.name}` })),
      [["label", "名冊"], ["unit", "負責單位"], ["rows", "列數"], ["held_back", "暫不送出"], ["findings", "問題數"]]));
    api("GET", `/api/v1/national/uploads/${result.upload_id}/rosters`).then((files) => {
      $("report-rosters").append(el("ul", {}, files.map((f) => el("li", {}, el("a", { href: `/api/v1/national/uploads/${result.upload_id}/rosters/${f.code}/download` }, f.filename), ` · ${f.rows} 列`))));
    });
    const rows = report.students.flatMap((s) => s.problems.map((p) => ({ student_id: s.student_id, name: s.name, class_code: s.class_code, roster: p.roster_name, sheet: p.sheet, row: p.row || "", column: p.column, message: p.message, unit: p.unit })));
    $("report-students").replaceChildren(rows.length ? table(rows, [["student_id", "學號"], ["name", "姓名"], ["class_code", "班級"], ["roster", "名冊"], ["sheet", "工作表"], ["row", "列"], ["column", "欄位"], ["message", "問題"], ["unit", "負責單位"]]) : el("p", {}, "無"));
  }

  $("check-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const body = { year: Number(form.year.value), term: Number(form.term.value) };
      if (form.batch.value) body.batch = Number(form.batch.value);
      const status = form.querySelector(".status");
      const button = form.querySelector("button[type=submit]");
      status.className = "status";
      status.textContent = "已送出，名冊產生中…";
      button.disabled = true;
      // a job: follow the draft until it is checked (at a real school's size this takes a while)
      let result = await api("POST", "/api/v1/national/rosters", body);
      while (result.state === "checking") {
        status.textContent = `名冊檢查中：${result.phase_zh || "排隊中"}…`;
        await new Promise((done) => setTimeout(done, 1000));
        result = await api("GET", `/api/v1/national/uploads/${result.upload_id}/report`);
      }
      button.disabled = false;
      if (result.state === "check_failed") {
        status.className = "status error";
        status.textContent = `名冊檢查未完成：${result.error?.message || "請重新檢查"}`;
        return;
      }
      status.textContent = "";
      showReport(result);
    } catch (problem) {
      form.querySelector("button[type=submit]").disabled = false;
      showProblem(form, problem);
    }
  });

  $("start-upload").addEventListener("click", async () => {
    if (!draft) return;
    try {
      const started = await api("POST", "/api/v1/national/uploads", { year: draft.year, term: draft.term, draft_id: draft.upload_id, ...(draft.batch ? { batch: draft.batch } : {}) });
      say("start-status", started.batch_summary?.locked ? `已開始上傳${started.batch_summary.label}，${started.batch_summary.locked_students} 位學生的勾選已鎖定` : "已開始上傳");
      showBatch(started);
      await loadUploads();
      openUpload(started.upload_id);
    } catch (problem) { say("start-status", problemText(problem), true); }
  });

  function progressView(u) {
    const done = STATES.reduce((n, [k]) => n + (["accepted", "rejected", "dead"].includes(k) ? u.counts[k] || 0 : 0), 0);
    return el("div", {}, el("progress", { max: String(u.total || 1), value: String(done), "aria-label": "上傳進度" }),
      el("p", {}, `${u.year} 學年度第 ${u.term} 學期 ${setLabel(u)}${u.batch_summary?.locked ? `（${u.batch_summary.locked_students} 位學生勾選已鎖定）` : ""} · 共 ${u.total} 項 · ` + STATES.map(([k, label]) => `${label} ${u.counts[k] || 0}`).join(" · ") + (u.done ? " · 已完成" : "")));
  }

  async function loadUploads() {
    const uploads = (await api("GET", "/api/v1/national/uploads")).filter((u) => !["draft", "checking", "check_failed"].includes(u.state));
    $("uploads").replaceChildren(uploads.length ? el("ul", { class: "plain" }, uploads.map((u) => el("li", {},
      el("button", { type: "button", class: "small", onclick: () => openUpload(u.upload_id) }, "檢視"), " ", progressView(u)))) : el("p", {}, "尚無上傳"));
  }

  async function openUpload(id) {
    current = id;
    $("upload-detail").hidden = false;
    $("detail-id").textContent = "";
    clearTimeout(timer);
    await refreshDetail();
  }

  async function refreshDetail() {
    if (!current) return;
    const progress = await api("GET", `/api/v1/national/uploads/${current}`);
    $("detail-progress").replaceChildren(progressView(progress));
    $("detail-id").textContent = `${progress.year} 學年度第 ${progress.term} 學期 ${setLabel(progress)}${progress.created_at ? "（" + rocDateTime(progress.created_at) + "）" : ""}`;
    const dead = await api("GET", `/api/v1/national/uploads/${current}/items?state=dead`);
    $("detail-dead").replaceChildren(dead.length ? table(dead.map((d) => ({ ...d, kind: KINDS[d.kind] || d.kind, roster: d.roster ? rosterName(d.roster) : "" })), [["kind", "種類"], ["roster", "名冊"], ["student_id", "學號"], ["detail", "原因"], ["attempts", "次數"]],
      [["重送", "POST /api/v1/national/items/{id}/retry"]]) : el("p", {}, "無"));
    await loadReceipts();
    if (!progress.done) timer = setTimeout(refreshDetail, 2000); else loadUploads();
  }

  async function loadReceipts() {
    const data = await api("GET", `/api/v1/national/uploads/${current}/receipts`);
    $("detail-receipts").replaceChildren(data.receipts.length ? table(data.receipts.map((r) => ({ ...r, roster: rosterName(r.roster), check: r.verified ? "核對無誤" : r.problems.join("；") })),
      [["roster", "名冊別"], ["check", "SHA-256 核對"], ["students", "學生數"], ["confirm_deadline", "學生確認期限"]]) : el("p", {}, "尚未取得"));
    $("detail-reports").replaceChildren(el("p", {}, `待確認 ${data.answers.pending} · 已確認 ${data.answers.confirmed} · 回報錯誤 ${data.answers.reported}`),
      data.reports.length ? table(data.reports, [["student_id", "學號"], ["roster_name", "名冊"], ["message", "學生說明"]]) : "");
    $("resubmit").hidden = !data.reports.length;
    $("resubmit").onclick = async () => {
      const progress = await api("GET", `/api/v1/national/uploads/${current}`);
      const students = [...new Set(data.reports.map((r) => r.student_id))];
      try {
        const again = await api("POST", "/api/v1/national/uploads", { year: progress.year, term: progress.term, student_ids: students, ...(progress.batch ? { batch: progress.batch } : {}) });
        await loadUploads();
        openUpload(again.upload_id);
      } catch (problem) { say("receipt-status", problemText(problem), true); }
    };
  }

  $("fetch-receipts").addEventListener("click", async () => {
    try {
      const result = await api("POST", `/api/v1/national/uploads/${current}/receipts/fetch`);
      say("receipt-status", `取回 ${result.fetched} 份` + (result.failed.length ? `，${result.failed.length} 份失敗` : ""), result.failed.length > 0);
      await loadReceipts();
    } catch (problem) { say("receipt-status", problemText(problem), true); }
  });

  $("receipt-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const response = await fetch(`/api/v1/national/uploads/${current}/receipts`, {
      method: "POST", body: file, credentials: "same-origin",
      headers: { "Content-Type": "application/zip", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
    });
    const body = await response.json();
    say("receipt-status", response.ok ? (body.verified ? "已匯入，核對無誤" : `已匯入，發現問題：${body.problems.join("；")}`) : (body.title || "匯入失敗"), !response.ok || !body.verified);
    await loadReceipts();
  });

  loadUploads();
})();
