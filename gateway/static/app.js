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

  // Old errors disappear as soon as the form is sent again (and after a success).
  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((n) => n.remove());
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    const status = form.querySelector(".status");
    if (status && status.classList.contains("error")) { status.className = "status"; status.setAttribute("role", "status"); status.textContent = ""; }
  }

  // A check across fields (end before start) names no field: put it beside the field its English names.
  function fieldOf(form, error) {
    const named = String(error.field || "").split(".")[0];
    if (named && named !== "body") return named;
    const words = String(error.message_en || "").match(/[a-z_]+/g) || [];
    return words.find((w) => w.includes("_") && (form.querySelector(`[name="${CSS.escape(w)}"]`) || form.querySelector(`[data-name="${CSS.escape(w)}"]`))) || "";
  }

  function showProblem(form, problem) {
    const status = form.querySelector(".status");
    const body = problem.body || {};
    if (status) {
      status.className = "status error";
      status.setAttribute("role", "alert");
      status.textContent = `${body.title || problem.message}${body.detail && body.detail !== body.title ? "：" + body.detail : ""}`;
    }
    for (const error of body.errors || []) {
      const name = fieldOf(form, error);
      const input = form.querySelector(`[name="${CSS.escape(name)}"]:not([type="hidden"])`) || form.querySelector(`[data-name="${CSS.escape(name)}"]`);
      const message = el("small", { class: "field-error", role: "alert" }, error.message || error.message_en);
      if (input && form.querySelector(`[data-field-error="${CSS.escape(name)}"]`)) continue;  // one message per field
      message.dataset.fieldError = name;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        (input.closest("fieldset") || input.closest(".picker") || input).insertAdjacentElement("afterend", message);
      } else if (status && !status.textContent.includes(message.textContent)) status.append(el("br"), message);  // one message per problem
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
    for (const box of form.querySelectorAll(".picker")) {  // pickers send the chosen id(s), not the shown names
      const name = box.picker.input.dataset.name;
      const value = box.picker.value;
      if (name && (Array.isArray(value) ? value.length : value)) (box.picker.input.hasAttribute("data-path") ? path : body)[name] = value;
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

  // An import is a job: the upload answers 202 with the job, the page follows it (progress, then
  // the result: counts, every row's error, or the account import's password sheet, once).
  function bindUpload(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const status = form.querySelector(".status");
      const report = form.querySelector(".report");
      report.replaceChildren();
      status.className = "status";
      status.textContent = "上傳中…";
      const data = new FormData(form);
      try {
        let job = await api("POST", form.dataset.upload, data, true, formKey(form, data));
        delete form._idempotency;
        if (job.already_imported) {
          status.className = "status ok";
          status.textContent = "此檔案先前已匯入過（內容完全相同），這次未做任何變更";
          showJob(form, job);
          return;
        }
        job = await followJob(form, job);
        showJob(form, job);
      } catch (problem) {
        status.textContent = "";
        const names = form.dataset.fieldLabels ? JSON.parse(form.dataset.fieldLabels) : {};
        const rows = (problem.body?.errors || []).map((e) => ({ ...e, field: names[e.field] || e.field }));
        showProblem(form, { ...problem, body: { ...problem.body, errors: [] } });
        if (rows.length) report.append(table(rows, [["row", "列"], ["field", "欄位"], ["message", "原因"]]));
      }
    });
  }

  const PHASES = { queued: "排隊等候中", validating: "檢查資料中", hashing: "產生初始密碼中", writing: "寫入資料中", finished: "完成" };

  // Polls the job until it ends, showing its phase and rows done; a lost poll (a restart) just tries again.
  async function followJob(form, job) {
    const report = form.querySelector(".report");
    const bar = el("progress", { max: "100", value: "0", "aria-label": "匯入進度" });
    const note = el("span", { class: "muted" });
    const line = el("p", { class: "job-progress" }, bar, " ", note);
    report.replaceChildren(line);
    const status = form.querySelector(".status");
    status.textContent = `已上傳，共 ${job.rows} 列，背景處理中（可離開此頁，稍後回來查看）`;
    for (;;) {
      const done = job.phase === "hashing" ? job.hashed : job.phase === "validating" ? job.validated : (job.processed ?? job.imported ?? 0);
      bar.value = job.rows ? Math.round((done / job.rows) * 100) : 0;
      note.textContent = `${PHASES[job.phase] || "處理中"}：${done} / ${job.rows} 列` + (job.error_count ? `，錯誤 ${job.error_count} 處` : "");
      if (["done", "rejected", "failed"].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 700));
      try { job = await api("GET", job.url); } catch (problem) { if (problem.status < 500) throw problem; }
    }
    line.remove();
    return job;
  }

  function showJob(form, job) {
    const status = form.querySelector(".status");
    const report = form.querySelector(".report");
    if (job.status === "done") {
      if (!job.already_imported) {
        status.className = "status ok";
        status.textContent = job.imported !== undefined
          ? `已匯入 ${job.imported} / ${job.rows} 筆帳號`
          : `已匯入 ${job.rows} 列（新增 ${job.inserted}、更新 ${job.updated}、未變更 ${job.unchanged}）`;
      }
      const sheet = job.password_sheet;
      if (sheet && sheet.state === "ready") {
        report.append(el("p", { class: "notice" }, el("a", { href: sheet.url, target: "_blank", rel: "noopener", class: "button", id: "password-sheet" }, "下載初始密碼單（依班級，可列印）"),
          " 只能下載一次，下載後請立即列印或保存。"));
      } else if (sheet && sheet.state === "downloaded") {
        report.append(el("p", { class: "muted" }, "初始密碼單已下載過；遺失時請到帳號列表重設個別密碼。"));
      }
      refresh(form.dataset.refresh);
      return;
    }
    const names = form.dataset.fieldLabels ? JSON.parse(form.dataset.fieldLabels) : {};
    const rows = (job.errors || []).map((e) => ({ ...e, field: names[e.field] || e.field }));
    status.className = "status error";
    status.setAttribute("role", "alert");
    status.textContent = job.status === "rejected"
      ? `檔案有 ${job.error_count || rows.length} 處錯誤，未匯入任何資料；請修正後重新上傳`
      : (rows[0]?.message || "匯入未完成；請重新上傳同一檔案");
    if (rows.length) report.append(table(rows, [["row", "列"], ["field", "欄位"], ["message", "原因"]]));
  }

  const labels = window.LICHENG_LABELS || {};

  // 民國 dates as schools write them: 115/11/20, and 115/11/20 14:30 in Asia/Taipei.
  const TAIPEI = { timeZone: "Asia/Taipei", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  function rocDate(iso) {
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(String(iso || ""));
    return m ? `${Number(m[1]) - 1911}/${m[2]}/${m[3]}` : (iso ?? "");
  }
  function rocDateTime(iso) {
    if (!iso) return "";
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return String(iso);
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", TAIPEI).formatToParts(at).map((x) => [x.type, x.value]));
    return `${Number(p.year) - 1911}/${p.month}/${p.day} ${p.hour}:${p.minute}`;
  }
  // Accepts 民國 (115/11/20, 115-11-20, 1151120) and 西元 (2026-11-20, 2026/11/20); answers ISO or null.
  function parseDate(text) {
    const raw = String(text || "").trim().replace(/[.年月]/g, "/").replace(/日$/, "");
    let m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(raw);
    let year;
    if (m) year = Number(m[1]);
    else if ((m = /^(\d{2,3})[-/](\d{1,2})[-/](\d{1,2})$/.exec(raw))) year = Number(m[1]) + 1911;
    else if ((m = /^(\d{3})(\d{2})(\d{2})$/.exec(raw))) year = Number(m[1]) + 1911;
    else if ((m = /^(\d{4})(\d{2})(\d{2})$/.exec(raw))) year = Number(m[1]);
    else return null;
    const month = Number(m[2]);
    const day = Number(m[3]);
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
    return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  }

  // 民國 date entry: a date field takes 115/11/20 (or 1151120, or 西元 2026-11-20) and shows 民國 once
  // left. Scripts keep reading and writing ISO through .value, so every form sends ISO dates as before.
  const nativeValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
  function rocDateInput(input) {
    if (input.dataset.rocDate) return;
    input.dataset.rocDate = "on";
    const initial = nativeValue.get.call(input);
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = "off";
    if (!input.placeholder) input.placeholder = "例：115/11/20";
    if (!input.title) input.title = "民國年/月/日，例：115/11/20；也可輸入西元 2026-11-20";
    Object.defineProperty(input, "value", {
      configurable: true,
      get() { const raw = nativeValue.get.call(this).trim(); return raw === "" ? "" : (parseDate(raw) ?? raw); },
      set(v) { nativeValue.set.call(this, /^\d{4}-\d\d-\d\d$/.test(String(v ?? "")) ? rocDate(v) : String(v ?? "")); },
    });
    input.value = initial;
    input.addEventListener("blur", () => {
      const raw = nativeValue.get.call(input).trim();
      const iso = raw ? parseDate(raw) : "";
      if (iso) nativeValue.set.call(input, rocDate(iso));
      input.setCustomValidity(raw && !iso ? "日期格式不正確，請輸入民國年/月/日，例：115/11/20" : "");
    });
  }
  function rocDateInputs(root) {
    if (root.matches?.("input[type=date]")) rocDateInput(root);
    root.querySelectorAll?.("input[type=date]").forEach(rocDateInput);
  }

  function cell(value) {
    if (Array.isArray(value)) return value.map((v) => labels[v] ?? v).join("、");
    if (value === true) return "是";
    if (value === false) return "否";
    if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return rocDateTime(value);
    if (typeof value === "string" && /^\d{4}-\d\d-\d\d$/.test(value)) return rocDate(value);
    if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}：${cell(v)}`).join("；");
    return value ?? "";
  }

  // Numbers (scores, seat numbers, counts) sort as numbers, everything else as zh-Hant text.
  function compare(a, b) {
    const numeric = (v) => (typeof v === "number" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())));
    if (numeric(a) && numeric(b)) return Number(a) - Number(b);
    return String(cell(a)).localeCompare(String(cell(b)), "zh-Hant");
  }

  // `order` (a paged list): the server sorts; {key, ascending, keys, onSort(key)}; its other columns
  // do not sort (a page's own order would mislead). Without it every column sorts the rows shown.
  let sortChoosers = 0;
  function table(rows, columns, actions = [], order = null) {
    let sortKey = order ? order.key : null;
    let ascending = order ? order.ascending : true;
    const tbody = el("tbody");
    const render = () => {
      const sorted = sortKey && !order ? [...rows].sort((a, b) => compare(a[sortKey], b[sortKey]) * (ascending ? 1 : -1)) : rows;
      head.querySelectorAll("th[data-key]").forEach((th) => {
        if (th.dataset.key === sortKey) th.setAttribute("aria-sort", ascending ? "ascending" : "descending"); else th.removeAttribute("aria-sort");
      });
      tbody.replaceChildren(...sorted.map((row) => el("tr", {}, columns.map(([key, label]) => el("td", { "data-label": label }, String(cell(row[key])))),
        actions.length ? el("td", { class: "actions", "data-label": "操作" }, actions.filter((a) => !a[3] || a[3](row)).map(([label, call, mode]) => el("button", { type: "button", class: "small", onclick: () => (typeof call === "function" ? call(row) : act(row, call, mode)) }, label))) : [])));
    };
    const sortBy = (key) => {
      if (order) { order.onSort(key); return; }
      ascending = sortKey === key ? !ascending : true; sortKey = key; render();
    };
    const header = (key, label) => (!order || order.keys.has(key)
      ? el("button", { type: "button", class: "sort", onclick: () => sortBy(key) }, label)
      : label);
    // Phones show rows as cards without headers: the same orders from a list (paged lists: the server's).
    const sortChooser = () => {
      const keys = columns.filter(([key]) => !order || order.keys.has(key));
      if (!keys.length || (!order && rows.length < 6)) return [];
      const id = `sort-${++sortChoosers}`;
      const select = el("select", { id }, el("option", { value: "" }, "預設順序"),
        ...keys.flatMap(([key, label]) => [el("option", { value: key }, `${label}（遞增）`), el("option", { value: `-${key}` }, `${label}（遞減）`)]));
      if (sortKey) select.value = `${ascending ? "" : "-"}${sortKey}`;
      select.addEventListener("change", () => {
        const descending = select.value.startsWith("-");
        const key = (descending ? select.value.slice(1) : select.value) || null;
        if (order) { order.onSort(key, descending); return; }
        sortKey = key; ascending = !descending; render();
      });
      // a label beside the list, not around it: its name is 排序, not every option's words
      return [el("div", { class: "sort-select" }, el("label", { for: id }, "排序"), select)];
    };
    const head = el("tr", {}, columns.map(([key, label]) => el("th", { scope: "col", "data-key": key }, header(key, label))),
      actions.length ? el("th", { scope: "col" }, "操作") : []);
    render();
    const wrapper = el("div", { class: "table-wrap" }, ...sortChooser(), el("table", {}, el("thead", {}, head), tbody));
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
      // Server-side filters (a form named by data-filter-form) and paging when the API gives a total.
      const url = new URL(container.dataset.list, location.origin);
      const filters = container.dataset.filterForm && document.getElementById(container.dataset.filterForm);
      if (filters) for (const input of filters.elements) if (input.name && input.value) url.searchParams.set(input.name, input.value); else if (input.name) url.searchParams.delete(input.name);
      const pageNo = Number(container.dataset.page || 1);
      if (pageNo > 1) url.searchParams.set("page", String(pageNo));
      const data = await api("GET", url.pathname + url.search);
      const rows = container.dataset.items ? data[container.dataset.items] : data;
      // one page of several: sorting it would mislead (the page is not the list), so its headers are labels
      const paged = typeof data?.total === "number" && data.total > rows.length;
      const view = table(rows, columns, actions, paged ? { key: null, ascending: true, keys: new Set(), onSort: () => {} } : null);
      const parts = [];
      if (container.hasAttribute("data-filter")) {
        const filter = el("input", { type: "search", placeholder: "篩選…", "aria-label": "篩選", class: "filter" });
        filter.addEventListener("input", () => {
          const needle = filter.value.trim().toLowerCase();
          view.setRows(rows.filter((row) => columns.some(([key]) => String(cell(row[key])).toLowerCase().includes(needle))));
        });
        parts.push(filter);
      }
      const total = typeof data?.total === "number" ? data.total : rows.length;
      const per = Number(url.searchParams.get("per_page") || data?.per_page || rows.length || 1);
      const first = (pageNo - 1) * per;
      parts.push(el("p", { class: "muted" }, total > rows.length ? `共 ${total.toLocaleString("zh-TW")} 筆，顯示第 ${first + 1}–${first + rows.length} 筆` : `共 ${total} 筆`), view);
      if (total > per) {
        const pages = Math.ceil(total / per);
        const go = (n) => { container.dataset.page = String(n); loadList(container); };
        parts.push(el("nav", { class: "pager", "aria-label": "分頁" },
          el("button", { type: "button", class: "small secondary", onclick: () => go(pageNo - 1), ...(pageNo <= 1 ? { disabled: "" } : {}) }, "上一頁"),
          el("span", {}, ` 第 ${pageNo} / ${pages} 頁 `),
          el("button", { type: "button", class: "small secondary", onclick: () => go(pageNo + 1), ...(pageNo >= pages ? { disabled: "" } : {}) }, "下一頁")));
      }
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
      const rows = [["最近一次成功備份", cell(data.last_good_backup) || "尚無"],
        ["狀態", data.stale ? "⚠ 已超過備份間隔：請通知縣市系統管理者檢查備份排程" : "正常（排程備份如期完成）"],
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


  // A picker: the person, student, course or file is chosen by name from suggestions that a scoped
  // look-up API gives as one types (at most 20, arrow keys + Enter); the form stores the id(s), the page
  // shows names. `input` is a text box with data-picker="/api/v1/lookup/..." (and data-multiple).
  let pickerCount = 0;
  function bindPicker(input, { onPick } = {}) {
    if (input.picker) return input.picker;
    const source = input.dataset.picker;
    const multiple = input.hasAttribute("data-multiple");
    const listId = `${input.id || "picker" + (pickerCount += 1)}-options`;
    const list = el("ul", { role: "listbox", id: listId, class: "picker-options", hidden: "" });
    const chips = el("ul", { class: "picker-chips", "aria-label": "已選擇" });
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    const HINTS = { staff: "輸入姓名搜尋", students: "輸入學號、姓名或班級搜尋", courses: "輸入科目或班級搜尋", evidence: "輸入檔名搜尋" };
    if (!input.placeholder) input.placeholder = HINTS[source.split("/").pop()] || "輸入名稱搜尋";
    const box = el("div", { class: "picker" });
    input.replaceWith(box);
    box.append(...(multiple ? [chips] : []), input, list);
    let chosen = [];  // [{id, label}]
    let options = [];
    let active = -1;
    let timer = null;
    let asked = 0;
    const extra = () => (input.dataset.params ? "&" + input.dataset.params : "");

    const renderChips = () => {
      chips.replaceChildren(...chosen.map((c) => el("li", {}, c.label, " ",
        el("button", { type: "button", class: "small secondary", "aria-label": `移除 ${c.label}`, onclick: () => { chosen = chosen.filter((x) => x.id !== c.id); renderChips(); } }, "×"))));
    };
    const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; };
    const pick = (option) => {
      if (multiple) {
        if (!chosen.some((c) => c.id === option.id)) chosen.push(option);
        renderChips();
        input.value = "";
      } else {
        chosen = [option];
        input.value = option.label;
      }
      input.removeAttribute("aria-invalid");
      close();
      if (onPick) onPick(option);
      input.dispatchEvent(new CustomEvent("licheng:pick", { detail: option, bubbles: true }));
    };
    const highlight = (index) => {
      active = index;
      [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      if (list.children[index]) { input.setAttribute("aria-activedescendant", list.children[index].id); list.children[index].scrollIntoView({ block: "nearest" }); }
    };
    const search = async () => {
      const ask = (asked += 1);
      let found = [];
      try { found = await api("GET", `${source}?q=${encodeURIComponent(input.value.trim())}${extra()}`); } catch { found = []; }
      if (ask !== asked) return;  // a later keystroke already asked again
      options = found;
      list.replaceChildren(...(found.length ? found.map((o, i) => el("li", { role: "option", id: `${listId}-${i}`, "aria-selected": "false",
        onmousedown: (e) => { e.preventDefault(); pick(o); } }, o.label)) : [el("li", { class: "muted", role: "option", "aria-disabled": "true" }, "找不到符合的項目")]));
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    };
    input.addEventListener("input", () => {
      if (!multiple) chosen = [];
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("focus", () => { if (!input.value) { clearTimeout(timer); timer = setTimeout(search, 100); } });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden) search(); else highlight(Math.min(active + 1, options.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && !list.hidden && options[active]) { event.preventDefault(); pick(options[active]); }
      else if (event.key === "Escape") close();
    });
    input.addEventListener("blur", () => setTimeout(close, 150));

    const api_ = {
      input,
      // data-value-key: the field of the suggestion that is stored (a course is stored by its code).
      get value() { const key = input.dataset.valueKey || "id"; return multiple ? chosen.map((c) => c[key]) : (chosen[0]?.[key] ?? ""); },
      show(options) { chosen = [].concat(options); if (multiple) { renderChips(); input.value = ""; } else input.value = chosen[0]?.label || ""; },
      get chosen() { return chosen; },
      // Show stored ids by name (resolved through the same look-up).
      async set(values) {
        const ids = [].concat(values ?? []).filter((v) => v !== "" && v !== null && v !== undefined);
        chosen = ids.map((id) => ({ id, label: id }));
        if (ids.length) {
          try {
            const found = await api("GET", `${source}?ids=${encodeURIComponent(ids.join(","))}${extra()}`);
            chosen = ids.map((id) => found.find((f) => f.id === id) || { id, label: "（已不存在）" });
          } catch { /* keep what we have */ }
        }
        if (multiple) { renderChips(); input.value = ""; } else input.value = chosen[0]?.label || "";
      },
      clear() { chosen = []; input.value = ""; renderChips(); close(); },
    };
    input.picker = api_;
    box.picker = api_;
    if (input.form) input.form.addEventListener("reset", () => api_.clear());
    return api_;
  }

  // Names for ids in lists: one look-up call per column for the ids on the page.
  async function namesFor(source, ids) {
    const wanted = [...new Set(ids.filter(Boolean))];
    if (!wanted.length) return {};
    try {
      const found = await api("GET", `${source}?ids=${encodeURIComponent(wanted.join(","))}`);
      return Object.fromEntries(found.map((f) => [f.id, f.name || f.label]));
    } catch { return {}; }
  }

  document.addEventListener("DOMContentLoaded", () => {
    rocDateInputs(document);  // and every date field a page script adds later
    new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach(rocDateInputs))).observe(document.body, { childList: true, subtree: true });
    document.querySelectorAll("input[data-picker]:not([data-manual])").forEach((input) => bindPicker(input));
    document.querySelectorAll("form[data-api]").forEach(bindForm);
    document.querySelectorAll("form[data-upload]").forEach(bindUpload);
    document.querySelectorAll("[data-list]").forEach(loadList);
    document.querySelectorAll("[data-status]").forEach(loadStatus);
  });

  return { api, el, table, cell, clearErrors, loadList, loadNotifications, showProblem, checkFile, uploadEvidence, bindPicker, namesFor, rocDate, rocDateTime, parseDate };
})();
window.Licheng = Licheng;
