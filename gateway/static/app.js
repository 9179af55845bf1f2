// 歷程 Licheng: small helpers that let every page talk to the JSON API the same way.
// Forms declare their call (data-api="METHOD /path/{field}"), lists their source (data-list),
// and errors from application/problem+json are shown beside the fields they name, in zh-TW.
"use strict";

const Licheng = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  class Problem extends Error {
    constructor(status, body) {
      super(body.title || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  // One Idempotency-Key per submitted form: sending the same values again (a double click, a retry
  // after a lost answer or a 503) reuses it, so the server does the work once; changed values get a new one.
  function formKey(form, body) {
    const values = body instanceof FormData ? null : JSON.stringify(body ?? null);
    if (!form._idempotency || values === null || form._idempotency.values !== values) form._idempotency = { values, key: randomId() };
    return form._idempotency.key;
  }

  async function api(method, path, body, isForm = false, idempotencyKey = "") {
    const headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      if (isForm) init.body = body;
      else { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    }
    const response = await fetch(path, init);
    if (response.status === 401) { location.href = "/login"; throw new Problem(401, { title: "請先登入" }); }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Problem(response.status, data || {});
    return data;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
    }
    for (const child of children.flat(Infinity)) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
    return node;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((n) => n.remove());
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  function showProblem(form, problem) {
    const status = form.querySelector(".status");
    const body = problem.body || {};
    if (status) {
      status.className = "status error";
      status.textContent = `${body.title || problem.message}${body.detail && body.detail !== body.title ? "：" + body.detail : ""}`;
    }
    for (const error of body.errors || []) {
      const name = String(error.field || "").split(".")[0];
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      const message = el("small", { class: "field-error", role: "alert" }, error.message || error.message_en);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        (input.closest("fieldset") || input).insertAdjacentElement("afterend", message);
      } else if (status) status.append(el("br"), message);
    }
  }

  function formBody(form) {
    const body = {};
    const path = {};
    for (const input of form.elements) {
      if (!input.name || input.type === "submit" || input.type === "file") continue;
      if (input.type === "checkbox") {
        body[input.name] = body[input.name] || [];
        if (input.checked) body[input.name].push(input.value);
        continue;
      }
      if (input.value === "") continue;
      (input.hasAttribute("data-path") ? path : body)[input.name] = input.value.trim();
    }
    for (const [k, v] of Object.entries(body)) if (Array.isArray(v) && v.length === 0) delete body[k];
    return { body, path };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(values[key] ?? ""));
  }

  function secretsOf(result) {
    const found = [];
    for (const key of ["initial_password", "temporary_password"]) if (result && result[key]) found.push(result[key]);
    return found;
  }

  function bindForm(form) {
    const [method, template] = form.dataset.api.split(" ");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const status = form.querySelector(".status");
      const { body, path } = formBody(form);
      try {
        const result = await api(method, fill(template, path), body, false, method === "GET" ? "" : formKey(form, body));
        delete form._idempotency;  // done: the next submission is a new action
        status.className = "status ok";
        const secrets = secretsOf(result);
        status.textContent = form.dataset.done + (secrets.length ? `（密碼：${secrets.join("、")}，請轉交本人並提醒更改）` : "");
        form.reset();
        refresh(form.dataset.refresh);
      } catch (problem) {
        showProblem(form, problem);
      }
    });
  }

  function bindUpload(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const status = form.querySelector(".status");
      const report = form.querySelector(".report");
      report.replaceChildren();
      const data = new FormData(form);
      const stopWatching = watchImport(form, data);
      try {
        const result = await api("POST", form.dataset.upload, data, true, formKey(form, data));
        status.className = "status ok";
        const imported = result.imported ?? (result.inserted + result.updated + result.unchanged);
        status.textContent = `已匯入 ${imported} / ${result.rows} 筆` + (result.inserted !== undefined ? `（新增 ${result.inserted}、更新 ${result.updated}、未變更 ${result.unchanged}）` : "");
        const passwords = Object.entries(result.initial_passwords || {});
        if (passwords.length) report.append(table(passwords.map(([u, p]) => ({ username: u, password: p })), [["username", "帳號"], ["password", "初始密碼"]]));
        refresh(form.dataset.refresh);
      } catch (problem) {
        const names = form.dataset.fieldLabels ? JSON.parse(form.dataset.fieldLabels) : {};
        const rows = (problem.body?.errors || []).map((e) => ({ ...e, field: names[e.field] || e.field }));
        showProblem(form, { ...problem, body: { ...problem.body, errors: [] } });
        if (problem.body && (problem.body.imported === 0 || problem.body.status === "rejected")) status.textContent = `檔案有 ${rows.length} 處錯誤，未匯入任何資料`;
        if (rows.length) report.append(table(rows, [["row", "列"], ["field", "欄位"], ["message", "原因"]]));
      } finally {
        stopWatching();
      }
    });
  }

  // A long import reports its progress: the form names the job (import_id) and polls it while the upload runs.
  function watchImport(form, data) {
    if (!form.dataset.poll) return () => {};
    const id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
    data.append("import_id", id);
    const bar = el("progress", { max: "100", value: "0", "aria-label": "匯入進度" });
    const note = el("small", { class: "muted" }, " 檢查中…");
    form.querySelector(".report").replaceChildren(el("p", {}, bar, note));
    let stopped = false;
    const poll = async () => {
      if (stopped) return;
      try {
        const job = await api("GET", fill(form.dataset.poll, { id }));
        if (stopped) return;
        if (job.rows) {
          bar.value = Math.round(((job.status === "running" ? job.processed : job.rows) / job.rows) * 100);
          note.textContent = ` 已處理 ${job.processed} / ${job.rows} 列`;
        }
      } catch { /* not started yet, or not visible to this role: keep the bar */ }
      if (!stopped) setTimeout(poll, 700);
    };
    setTimeout(poll, 400);
    return () => {
      stopped = true;
      if (bar.isConnected) bar.closest("p").remove();
    };
  }

  const labels = window.LICHENG_LABELS || {};

  function cell(value) {
    if (Array.isArray(value)) return value.map((v) => labels[v] ?? v).join("、");
    if (value === true) return "是";
    if (value === false) return "否";
    if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return new Date(value).toLocaleString("zh-TW", { timeZone: "Asia/Taipei" });
    return value ?? "";
  }

  // Numbers (scores, seat numbers, counts) sort as numbers, everything else as zh-Hant text.
  function compare(a, b) {
    const numeric = (v) => (typeof v === "number" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())));
    if (numeric(a) && numeric(b)) return Number(a) - Number(b);
    return String(cell(a)).localeCompare(String(cell(b)), "zh-Hant");
  }

  function table(rows, columns, actions = []) {
    let sortKey = null;
    let ascending = true;
    const tbody = el("tbody");
    const render = () => {
      const sorted = sortKey ? [...rows].sort((a, b) => compare(a[sortKey], b[sortKey]) * (ascending ? 1 : -1)) : rows;
      head.querySelectorAll("th[data-key]").forEach((th) => {
        if (th.dataset.key === sortKey) th.setAttribute("aria-sort", ascending ? "ascending" : "descending"); else th.removeAttribute("aria-sort");
      });
      tbody.replaceChildren(...sorted.map((row) => el("tr", {}, columns.map(([key]) => el("td", { "data-label": "" }, String(cell(row[key])))),
        actions.length ? el("td", {}, actions.filter((a) => !a[3] || a[3](row)).map(([label, call, mode]) => el("button", { type: "button", class: "small", onclick: () => (typeof call === "function" ? call(row) : act(row, call, mode)) }, label))) : [])));
    };
    const head = el("tr", {}, columns.map(([key, label]) => el("th", { scope: "col", "data-key": key },
      el("button", { type: "button", class: "sort", onclick: () => { ascending = sortKey === key ? !ascending : true; sortKey = key; render(); } }, label))),
      actions.length ? el("th", { scope: "col" }, "操作") : []);
    render();
    const wrapper = el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, head), tbody));
    wrapper.setRows = (next) => { rows = next; render(); };
    return wrapper;
  }

  async function act(row, call, mode) {
    const [method, template] = call.split(" ");
    let body;
    if (mode && mode.startsWith("toggle:")) { const field = mode.slice(7); body = { [field]: !row[field] }; }
    try {
      const result = await api(method, fill(template, row), body);
      const secrets = secretsOf(result);
      alert(secrets.length ? `完成。新密碼：${secrets.join("、")}` : "完成");
      document.querySelectorAll("[data-list]").forEach(loadList);
    } catch (problem) {
      alert(problem.body?.title || problem.message);
    }
  }

  async function loadList(container) {
    const columns = JSON.parse(container.dataset.columns);
    const actions = container.dataset.actions ? JSON.parse(container.dataset.actions) : [];
    try {
      const data = await api("GET", container.dataset.list);
      const rows = container.dataset.items ? data[container.dataset.items] : data;
      const view = table(rows, columns, actions);
      const parts = [];
      if (container.hasAttribute("data-filter")) {
        const filter = el("input", { type: "search", placeholder: "篩選…", "aria-label": "篩選", class: "filter" });
        filter.addEventListener("input", () => {
          const needle = filter.value.trim().toLowerCase();
          view.setRows(rows.filter((row) => columns.some(([key]) => String(cell(row[key])).toLowerCase().includes(needle))));
        });
        parts.push(filter);
      }
      parts.push(el("p", { class: "muted" }, `共 ${rows.length} 筆`), view);
      container.replaceChildren(...parts);
    } catch (problem) {
      container.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message));
    }
  }

  function refresh(id) {
    const target = id && document.getElementById(id);
    if (target && target.dataset.list) loadList(target);
    else if (target) target.dispatchEvent(new CustomEvent("licheng:refresh"));
  }

  async function loadNotifications(list) {
    try {
      const items = await api("GET", "/api/v1/notifications");
      list.replaceChildren(...(items.length ? items.map((n) => el("li", {}, `${cell(n.at)} ${n.from}：${n.message}`)) : [el("li", { class: "muted" }, list.dataset.empty)]));
    } catch {
      list.replaceChildren(el("li", { class: "muted" }, list.dataset.empty));
    }
  }

  async function loadStatus(box) {
    try {
      const data = await api("GET", box.dataset.status);
      const rows = [["最近一次成功備份", cell(data.last_good_backup) || "尚無"], ["狀態", data.stale ? "⚠ 已超過備份間隔，請儘速備份" : "正常"],
        ["備份間隔（小時）", data.interval_hours], ["保留中的備份", (data.retained || []).length]];
      box.replaceChildren(el("dl", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])));
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message));
    }
  }

  // Evidence files: checked before sending (type by extension, size by kind), sent through the
  // gateway's streamed upload with a progress bar; a network error or 5xx retries the file with backoff
  // (a presigned store POST cannot resume mid-file).
  const FILE_LIMITS = { pdf: ["document", 4], jpg: ["document", 4], jpeg: ["document", 4], png: ["document", 4], mp3: ["media", 10], mp4: ["media", 10] };
  const FILE_TYPES = { pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", mp3: "audio/mpeg", mp4: "video/mp4" };
  const RETRIES = 4;
  const BACKOFF_MS = 1000;
  const extension = (file) => file.name.split(".").pop().toLowerCase();

  function checkFile(file, allowed = Object.keys(FILE_LIMITS)) {
    const limit = allowed.includes(extension(file)) && FILE_LIMITS[extension(file)];
    const names = [...new Set(allowed.map((e) => (e === "jpeg" ? "jpg" : e).toUpperCase()))].join("、");
    if (!limit) return `${file.name}：只接受 ${names}`;
    if (file.size > limit[1] * 1024 * 1024) return `${file.name}：超過 ${limit[1]} MB`;
    if (file.size === 0) return `${file.name}：檔案是空的`;
    return null;
  }

  function sendFile(file, purpose, bar, extra = {}) {
    const ext = extension(file);
    const query = new URLSearchParams({ ...extra, kind: FILE_LIMITS[ext][0], purpose, filename: file.name });
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `/api/v1/evidence/proxy-upload?${query}`);
      xhr.setRequestHeader("Content-Type", FILE_TYPES[ext]);
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && bar) bar.value = Math.round((e.loaded / e.total) * 100); };
      xhr.onload = () => {
        let body = {};
        try { body = xhr.responseText ? JSON.parse(xhr.responseText) : {}; } catch { body = { title: `HTTP ${xhr.status}` }; }
        if (xhr.status >= 200 && xhr.status < 300) { if (bar) bar.value = 100; resolve(body); } else reject({ retry: xhr.status >= 500, body });
      };
      xhr.onerror = () => reject({ retry: true, body: { title: "網路中斷，請再試一次" } });
      xhr.ontimeout = xhr.onerror;
      xhr.send(file);
    });
  }

  async function uploadEvidence(file, purpose, bar, note, extra = {}) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await sendFile(file, purpose, bar, extra);
        if (note) note.textContent = "";
        return result;
      } catch (problem) {
        if (!problem.retry || attempt >= RETRIES) throw problem;
        const wait = BACKOFF_MS * 2 ** attempt;
        if (note) note.textContent = `網路中斷，${Math.round(wait / 1000)} 秒後自動重試（第 ${attempt + 1} 次）`;
        if (bar) bar.value = 0;
        await new Promise((resolve) => { setTimeout(resolve, wait); });
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-api]").forEach(bindForm);
    document.querySelectorAll("form[data-upload]").forEach(bindUpload);
    document.querySelectorAll("[data-list]").forEach(loadList);
    document.querySelectorAll("[data-status]").forEach(loadStatus);
  });

  return { api, el, table, cell, clearErrors, loadList, loadNotifications, showProblem, checkFile, uploadEvidence };
})();
window.Licheng = Licheng;
