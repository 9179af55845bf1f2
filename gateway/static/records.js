// The generic records page: one per record type of the division table, driven by #record-spec
// (fields, filters, columns from the same model the API validates). List with filters, add/edit with
// errors beside the fields, delete, export with the same filters; import is app.js's data-upload.
"use strict";

(() => {
  const { api, el, table, showProblem, clearErrors } = window.Licheng;
  const spec = JSON.parse(document.getElementById("record-spec").textContent);
  const base = `/api/v1/records/${spec.key}`;
  let editing = null;

  function filterQuery() {
    const form = document.getElementById("record-filters");
    const query = new URLSearchParams();
    for (const input of form.querySelectorAll("input")) if (input.value.trim()) query.set(input.name, input.value.trim());
    return query;
  }

  async function load() {
    const box = document.getElementById("record-list");
    const query = filterQuery();
    document.getElementById("record-export").href = `${base}/export.xlsx${query.size ? "?" + query : ""}`;
    query.set("per_page", "500");
    try {
      const data = await api("GET", `${base}?${query}`);
      const form = document.getElementById("record-form");
      const actions = form ? [["編輯", edit], ["刪除", remove]] : [];
      const note = data.total > data.items.length ? `共 ${data.total} 筆，顯示前 ${data.items.length} 筆（請用篩選縮小範圍）` : `共 ${data.total} 筆`;
      box.replaceChildren(el("p", { class: "muted" }, note), table(data.items, [...spec.columns, ["updated_at", "最後更新"]], actions));
    } catch (problem) {
      box.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message));
    }
  }

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
      const input = form.elements[f.name];
      if (input && input.value.trim() !== "") body[f.name] = valueOf(input, f.kind);
    }
    return body;
  }

  function show(value, kind) {
    if (value === null || value === undefined) return "";
    if (kind === "bool") return value ? "true" : "false";
    if (kind === "list") return value.join(", ");
    if (kind === "json") return JSON.stringify(value);
    if (kind === "rows") return value.map((r) => [r.student_id, r.award, r.team].filter(Boolean).join(",")).join("\n");
    return String(value);
  }

  function edit(row) {
    const form = document.getElementById("record-form");
    form.reset();
    clearErrors(form);
    for (const f of spec.fields) {
      if (f.kind === "multi") {
        for (const box of form.querySelectorAll(`input[name="${f.name}"]`)) box.checked = (row[f.name] || []).includes(box.value);
      } else if (form.elements[f.name]) form.elements[f.name].value = show(row[f.name], f.kind);
    }
    editing = row.id;
    document.getElementById("record-form-title").textContent = `修改${spec.label}`;
    form.querySelector("input, select, textarea").focus();
  }

  async function remove(row) {
    if (!confirm(`確定刪除這筆${spec.label}？`)) return;
    try {
      await api("DELETE", `${base}/${encodeURIComponent(row.id)}`);
      await load();
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
      clearErrors(form);
      document.getElementById("record-form-title").textContent = `新增${spec.label}`;
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const status = form.querySelector(".status");
      try {
        const result = editing
          ? await api("PUT", `${base}/${encodeURIComponent(editing)}`, bodyOf(form))
          : await api("POST", base, bodyOf(form));
        status.className = "status ok";
        status.textContent = editing ? "已修改" : result.created ? "已新增" : "已更新（同一筆資料已存在）";
        form.reset();
        await load();
      } catch (problem) {
        showProblem(form, problem);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("record-filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });
    document.getElementById("record-list").addEventListener("licheng:refresh", load);
    const form = document.getElementById("record-form");
    if (form) {
      bindForm(form);
      prefillSemester(form);
    }
    load();
  });
})();
