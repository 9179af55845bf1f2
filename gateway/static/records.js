// The generic records page: one per record type of the division table, driven by #record-spec
// (fields, filters, columns from the same model the API validates). List with filters, add/edit with
// errors beside the fields, delete, export with the same filters; import is app.js's data-upload.
"use strict";

(() => {
  const { api, el, table, showProblem, clearErrors, checkFile, uploadEvidence, bindPicker, namesFor } = window.Licheng;
  const spec = JSON.parse(document.getElementById("record-spec").textContent);
  const base = `/api/v1/records/${spec.key}`;
  let editing = null;
  let attached = {};  // file field -> evidence id(s) of the record being edited
  let categories = null;  // 多元表現 categories with their fields (GET /api/v1/records/rules)

  // Server-side paging (50 a page, with the total); filters and the page live in the address, so a list
  // can be bookmarked and shared.
  const PER_PAGE = 50;
  let pageNo = Math.max(1, Number(new URLSearchParams(location.search).get("page")) || 1);
  let sortKey = null; // a paged list ordered by the server: the column and its direction
  let sortDescending = false;

  function filterQuery() {
    const form = document.getElementById("record-filters");
    const query = new URLSearchParams();
    for (const input of form.querySelectorAll("input")) if (input.value.trim()) query.set(input.name, input.value.trim());
    return query;
  }

  function restoreFilters() {
    const given = new URLSearchParams(location.search);
    for (const input of document.getElementById("record-filters").querySelectorAll("input")) if (given.get(input.name)) input.value = given.get(input.name);
  }

  function pager(data) {
    const pages = Math.max(1, Math.ceil(data.total / PER_PAGE));
    const go = (n) => { pageNo = n; load(); };
    return el("nav", { class: "pager", "aria-label": "分頁" },
      el("button", { type: "button", class: "small secondary", onclick: () => go(pageNo - 1), ...(pageNo <= 1 ? { disabled: "" } : {}) }, "上一頁"),
      el("span", {}, ` 第 ${pageNo} / ${pages} 頁 `),
      el("button", { type: "button", class: "small secondary", onclick: () => go(pageNo + 1), ...(pageNo >= pages ? { disabled: "" } : {}) }, "下一頁"));
  }

  async function load() {
    const box = document.getElementById("record-list");
    const query = filterQuery();
    document.getElementById("record-export").href = `${base}/export.xlsx${query.size ? "?" + query : ""}`;
    const address = new URLSearchParams(query);
    if (pageNo > 1) address.set("page", String(pageNo));
    if (sortKey) query.set("sort", `${sortDescending ? "-" : ""}${sortKey}`);
    history.replaceState(null, "", `${location.pathname}${address.size ? "?" + address : ""}`);
    query.set("per_page", String(PER_PAGE));
    query.set("page", String(pageNo));
    // a whole school's list in a new order is read once on the server (seconds): say so meanwhile
    const shownNote = box.querySelector("p.muted");
    if (shownNote) shownNote.textContent = "載入中…";
    box.setAttribute("aria-busy", "true");
    try {
      const data = await api("GET", `${base}?${query}`);
      const form = document.getElementById("record-form");
      const actions = form ? [["編輯", edit], ["刪除", remove]] : [];
      for (const action of spec.actions) {
        const matches = (row) => Object.entries(action.when).every(([k, v]) => String((row.raw || row)[k]) === v);
        actions.push([action.label, (row) => rowAction(action, row), undefined, matches]);
      }
      const first = (pageNo - 1) * PER_PAGE;
      const note = data.total > data.items.length ? `共 ${data.total.toLocaleString("zh-TW")} 筆，顯示第 ${first + 1}–${first + data.items.length} 筆` : `共 ${data.total} 筆`;
      const rows = await named(data.items.map(shown));
      // More than a page: the server orders the whole list (its stored columns); one page sorts itself.
      const order = data.total > PER_PAGE ? {
        key: sortKey, ascending: !sortDescending, keys: new Set(spec.sortable || []),
        // a header click turns the order around; the phone's list names the direction (null: the default order)
        onSort: (key, descending) => {
          sortDescending = descending === undefined ? (sortKey === key ? !sortDescending : false) : descending;
          sortKey = key; pageNo = 1; load();
        },
      } : null;
      box.replaceChildren(el("p", { class: "muted" }, note), table(rows, [...spec.columns, ["updated_at", "最後更新"]], actions, order),
        ...(data.total > PER_PAGE ? [pager(data)] : []));
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.detail || problem.body?.title || problem.message));
    } finally {
      box.removeAttribute("aria-busy");
    }
  }

  // 登錄進度: of the enrolled students in reach, how many have a record in the semester (the list's
  // 學年度/學期 when given, else the current one), per class, with the classes not finished first.
  async function loadCoverage() {
    const box = document.getElementById("coverage-body");
    if (!box) return;
    const filters = filterQuery();
    let year = filters.get("year");
    let term = filters.get("term");
    if (!year || (spec.semester && !term)) {
      try {
        const current = await api("GET", "/api/v1/records/semesters/current");
        year = year || current.year;
        term = term || current.term;
      } catch {
        box.replaceChildren(el("p", { class: "muted" }, "尚未設定本學期，無法計算登錄進度"));
        return;
      }
    }
    const query = new URLSearchParams({ year: String(year), ...(spec.semester ? { term: String(term) } : {}) });
    try {
      const c = await api("GET", `${base}/coverage?${query}`);
      const n = (v) => v.toLocaleString("zh-TW");
      const when = spec.semester ? `${c.year} 學年度第 ${c.term} 學期` : `${c.year} 學年度`;
      const summary = el("p", { class: "coverage" }, `${when}${spec.label}：已登錄 ${n(c.recorded)} / ${n(c.students)} 位在學學生 `,
        el("progress", { max: String(c.students || 1), value: String(c.recorded), "aria-label": `${spec.label}已登錄的學生比例` }));
      const behind = c.classes.filter((k) => k.recorded < k.students);
      const rows = [...behind, ...c.classes.filter((k) => k.recorded >= k.students)].map((k) => ({
        class_code: k.class_code || "（未編班）",
        students: n(k.students),
        recorded: n(k.recorded),
        left: k.students > k.recorded ? `尚缺 ${n(k.students - k.recorded)} 位` : "✔ 全班已登錄",
      }));
      const title = behind.length ? `各班進度（${behind.length} 班尚未完成）` : "各班進度（全部完成）";
      const details = el("details", {}, el("summary", {}, title),
        table(rows, [["class_code", "班級"], ["students", "在學人數"], ["recorded", "已登錄"], ["left", "狀態"]]));
      box.replaceChildren(summary, ...(c.classes.length ? [details] : []));
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message));
    }
  }

  // Codes are listed by their zh-TW names; actions get the record as the API returned it.
  const STATUS = { ...(window.LICHENG_STATUSES || {}), draft: "草稿", published: "已公告" };
  const names = Object.fromEntries(spec.fields.filter((f) => f.kind === "select").map((f) => [f.name, f.options]));
  function shown(record) {
    const row = { ...record, raw: record };
    for (const [name, options] of Object.entries(names)) if (record[name] in options) row[name] = options[record[name]];
    if (record.status in STATUS) row.status = STATUS[record.status];
    return row;
  }

  // Ids in a list are shown by name: 姓名 beside 學號, 科目 beside 課程代碼, teachers by name.
  async function named(rows) {
    const columns = new Set(spec.columns.map(([key]) => key));
    const jobs = [];
    // the list API names its rows' students and courses itself; a look-up only for rows it did not
    if (columns.has("student_name") && rows.some((r) => r.raw.student_name === undefined)) {
      jobs.push(namesFor("/api/v1/lookup/students", rows.map((r) => r.student_id)).then((names) => rows.forEach((r) => { r.student_name = names[r.student_id] || ""; })));
    }
    if (columns.has("course_name") && rows.some((r) => r.raw.course_name === undefined)) {
      const codes = [...new Set(rows.map((r) => r.course_code).filter(Boolean))];
      if (codes.length) {
        jobs.push(api("GET", `/api/v1/lookup/courses?codes=${encodeURIComponent(codes.join(","))}`).catch(() => []).then((found) => {
          const names = Object.fromEntries(found.map((c) => [c.code, c.name]));
          rows.forEach((r) => { r.course_name = names[r.course_code] || ""; });
        }));
      }
    }
    for (const [key, source] of Object.entries(spec.named_columns || {})) {
      const ids = rows.flatMap((r) => [].concat(r.raw[key] || []));
      jobs.push(namesFor(source, ids).then((names) => rows.forEach((r) => {
        const value = r.raw[key];
        if (value === undefined || value === null) return;
        r[key] = Array.isArray(value) ? value.map((v) => names[v] || "（未知）") : (names[value] || "（未知）");
      })));
    }
    await Promise.all(jobs);
    return rows;
  }

  const pickers = {};  // field -> picker

  function valueOf(input, kind) {
    const raw = input.value.trim();
    if (kind === "number") return Number(raw);
    if (kind === "bool") return raw === "true";
    if (kind === "list") return raw.split(/[,;、\s]+/).filter(Boolean);
    if (kind === "json") {
      try { return JSON.parse(raw); } catch { return raw; }  // the API names the field when it is not an object
    }
    if (kind === "rows") {
      return raw.split(/\n+/).filter((line) => line.trim()).map((line) => {
        const [student_id, award, team] = line.split(/[,，\t]/).map((v) => v.trim());
        return team ? { student_id, award, team } : { student_id, award };
      });
    }
    return raw;
  }

  function bodyOf(form) {
    const body = {};
    for (const f of spec.fields) {
      if (f.kind === "multi") {
        const values = [...form.querySelectorAll(`input[name="${f.name}"]:checked`)].map((i) => i.value);
        if (values.length) body[f.name] = values;
        continue;
      }
      if (f.kind === "file" || f.kind === "files") {
        if (attached[f.name] !== undefined) body[f.name] = attached[f.name];
        continue;
      }
      if (f.kind === "picker") {
        const value = pickers[f.name]?.value;
        if (Array.isArray(value) ? value.length : value) body[f.name] = value;
        continue;
      }
      if (f.name === "fields" && categories && form.querySelector("#category-fields")) {
        const values = {};
        for (const input of form.querySelectorAll("#category-fields [data-field]")) if (input.value.trim()) values[input.dataset.field] = input.value.trim();
        body.fields = values;
        continue;
      }
      const input = form.elements.namedItem(f.name);
      if (input && input.value.trim() !== "") body[f.name] = valueOf(input, f.kind);
    }
    return body;
  }

  // Files chosen in the form are checked, then uploaded (with retries) before the record is saved.
  async function uploadChosen(form) {
    // Staff uploads name the student the file belongs to: the record's student, or a competition's first winner.
    const body = bodyOf(form);
    const student = body.student_id || (Array.isArray(body.results) && body.results[0]?.student_id) || "";
    const extra = student ? { student_id: student } : {};
    for (const f of spec.fields.filter((x) => x.kind === "file" || x.kind === "files")) {
      const input = form.elements.namedItem(f.name);
      const chosen = [...input.files];
      if (!chosen.length) continue;
      const problems = chosen.map((file) => checkFile(file, ["pdf", "jpg", "jpeg", "png"])).filter(Boolean);
      if (problems.length) throw { body: { title: "檔案不符規定", errors: problems.map((message) => ({ field: f.name, message })) } };
      const list = form.querySelector(`[data-progress="${f.name}"]`);
      list.replaceChildren();
      const ids = [];
      for (const file of chosen) {
        const bar = el("progress", { max: "100", value: "0", "aria-label": `${file.name} 上傳進度` });
        const note = el("small", { class: "muted" });
        list.append(el("li", {}, `${file.name} `, bar, " ", note));
        ids.push((await uploadEvidence(file, f.options.purpose, bar, note, extra)).id);
      }
      attached[f.name] = f.kind === "files" ? ids : ids[0];
      input.value = "";
    }
  }

  async function categoryFields(form) {
    const select = form.elements.namedItem("category");
    const json = form.elements.namedItem("fields");
    if (!select || !json) return;
    try { categories = (await api("GET", "/api/v1/records/rules")).categories; } catch { return; }
    const box = el("fieldset", { id: "category-fields" }, el("legend", {}, "類別欄位"));
    json.previousElementSibling.hidden = true;
    json.hidden = true;
    json.insertAdjacentElement("afterend", box);
    const render = (values = {}) => {
      const category = categories.find((c) => c.code === select.value);
      const inputs = (category ? category.fields : []).map((spec, i) => {
        const id = `cat-${i}`;
        const control = spec.codes && Object.keys(spec.codes).length
          ? el("select", { id, "data-field": spec.name }, el("option", { value: "" }, "請選擇"), ...Object.entries(spec.codes).map(([k, v]) => el("option", { value: k }, `${k} ${v}`)))
          : el("input", { id, "data-field": spec.name, type: spec.kind === "date" ? "date" : "text", inputmode: ["int", "number", "decimal"].includes(spec.kind) ? "decimal" : "text" });
        if (values[spec.name] !== undefined) control.value = values[spec.name];
        return el("div", { class: "field" }, el("label", { for: id }, `${spec.name}${spec.required ? " *" : ""}`), control);
      });
      box.replaceChildren(el("legend", {}, category ? `${category.sheet}欄位` : "請先選擇類別"), ...inputs);
    };
    select.addEventListener("change", () => render());
    form.addEventListener("licheng:edit", (event) => render(event.detail.fields || {}));
    render();
  }

  function show(value, kind) {
    if (value === null || value === undefined) return "";
    if (kind === "bool") return value ? "true" : "false";
    if (kind === "list") return value.join(", ");
    if (kind === "json") return JSON.stringify(value);
    if (kind === "rows") return value.map((r) => [r.student_id, r.award, r.team].filter(Boolean).join(",")).join("\n");
    return String(value);
  }

  function edit(shownRow) {
    const row = shownRow.raw || shownRow;
    const form = document.getElementById("record-form");
    form.reset();
    clearErrors(form);
    for (const f of spec.fields) {
      if (f.kind === "multi") {
        for (const box of form.querySelectorAll(`input[name="${f.name}"]`)) box.checked = (row[f.name] || []).includes(box.value);
      } else if (f.kind === "picker") {
        showPicked(f, row);
      } else if (f.kind === "file" || f.kind === "files") {
        continue;  // a file input cannot be given a value: the attached files are named below
      } else if (form.elements.namedItem(f.name)) form.elements.namedItem(f.name).value = show(row[f.name], f.kind);
    }
    attached = {};
    for (const f of spec.fields.filter((x) => x.kind === "file" || x.kind === "files")) {
      if (row[f.name] !== undefined && row[f.name] !== null) attached[f.name] = row[f.name];
      const count = [].concat(row[f.name] || []).length;
      form.querySelector(`[data-attached="${f.name}"]`).textContent = count ? `已附 ${count} 個檔案；重新選擇會取代` : "";
    }
    form.dispatchEvent(new CustomEvent("licheng:edit", { detail: row }));
    editing = row.id;
    document.getElementById("record-form-title").textContent = `編輯${spec.label}`;
    form.querySelector("input, select, textarea").focus();
  }

  // The stored id(s) of a reference shown by name in its picker; a course by its code and class.
  async function showPicked(f, row) {
    const picker = pickers[f.name];
    if (!picker) return;
    const value = row[f.name];
    if (f.options.source.endsWith("/courses") && value) {
      const found = await api("GET", `/api/v1/lookup/courses?codes=${encodeURIComponent(value)}`).catch(() => []);
      const course = found.find((c) => c.class_code === row.course_class && c.year === row.year && c.term === row.term)
        || found.find((c) => c.class_code === row.course_class) || { id: value, code: value, class_code: row.course_class, label: value };
      picker.show(course);
      return;
    }
    await picker.set(value);
  }

  function bindPickers(form) {
    for (const f of spec.fields.filter((x) => x.kind === "picker")) {
      const input = form.querySelector(`[data-name="${f.name}"]`);
      if (!input) continue;
      pickers[f.name] = bindPicker(input, {
        onPick: (option) => {
          // a course offering is its code and its class: the picker fills the class too
          if (option.class_code !== undefined && form.elements.course_class) form.elements.course_class.value = option.class_code;
        },
      });
    }
  }

  async function rowAction(action, shownRow) {
    const row = shownRow.raw || shownRow;
    const status = document.getElementById("record-list-status");
    try {
      await api("POST", `${base}/${encodeURIComponent(row.id)}${action.path}`, {});
      status.className = "status ok";
      status.textContent = action.done;
      await load();
      loadCoverage();
    } catch (problem) {
      status.className = "status error";
      const fields = (problem.body?.errors || []).map((e) => e.message).join("；");
      status.textContent = `${problem.body?.title || problem.message}${fields ? "：" + fields : ""}`;
    }
  }

  async function remove(shownRow) {
    const row = shownRow.raw || shownRow;
    if (!confirm(`確定刪除這筆${spec.label}？`)) return;
    try {
      await api("DELETE", `${base}/${encodeURIComponent(row.id)}`);
      await load();
      loadCoverage();
    } catch (problem) {
      alert(problem.body?.detail || problem.body?.title || problem.message);
    }
  }

  async function prefillSemester(form) {
    if (!form.elements.year || !form.elements.term) return;
    try {
      const current = await api("GET", "/api/v1/records/semesters/current");
      form.elements.year.defaultValue = current.year;
      form.elements.term.defaultValue = current.term;
      if (!form.elements.year.value) form.elements.year.value = current.year;
      if (!form.elements.term.value) form.elements.term.value = current.term;
    } catch { /* no current semester yet: the fields stay empty */ }
  }

  function bindForm(form) {
    form.addEventListener("reset", () => {
      editing = null;
      attached = {};
      Object.values(pickers).forEach((p) => p.clear());
      form.querySelectorAll("[data-attached], [data-progress]").forEach((n) => n.replaceChildren());
      setTimeout(() => form.dispatchEvent(new CustomEvent("licheng:edit", { detail: {} })));
      clearErrors(form);
      document.getElementById("record-form-title").textContent = `新增${spec.label}`;
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const status = form.querySelector(".status");
      try {
        await uploadChosen(form);
        const result = editing
          ? await api("PUT", `${base}/${encodeURIComponent(editing)}`, bodyOf(form))
          : await api("POST", base, bodyOf(form));
        status.className = "status ok";
        status.textContent = editing ? "已修改" : result.created ? "已新增" : "已更新（同一筆資料已存在）";
        form.reset();
        await load();
        loadCoverage();
      } catch (problem) {
        showProblem(form, problem);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    restoreFilters();
    document.getElementById("record-filters").addEventListener("submit", (event) => { event.preventDefault(); pageNo = 1; load(); loadCoverage(); });
    document.getElementById("record-list").addEventListener("licheng:refresh", () => { load(); loadCoverage(); });
    const form = document.getElementById("record-form");
    if (form) {
      bindPickers(form);
      bindForm(form);
      prefillSemester(form);
      categoryFields(form);
    }
    load();
    loadCoverage();
  });
})();
