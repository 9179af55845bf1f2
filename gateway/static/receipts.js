// The student's 收訖明細: what the national database holds of them, confirm or report an error.
"use strict";

(() => {
  const { api, el } = window.Licheng;

  // National cells as a person reads them: codes by name (性別代碼 1 → 男), 7-digit ROC dates as 116/01/31,
  // and a file's SHA-256 as its first 8 characters with a copy button (the proof, not a wall of hex).
  const COLUMNS = window.LICHENG_COLUMNS || {};
  const CODES = window.LICHENG_CODES || {};
  const header = (name) => (COLUMNS[name]?.table ? name.replace(/代碼$/, "") : name);
  function shownCell(name, value) {
    const text = String(value ?? "");
    const spec = COLUMNS[name] || {};
    if (spec.table && CODES[spec.table] && text in CODES[spec.table]) return CODES[spec.table][text];
    if (spec.type === "roc_date" && /^\d{7}$/.test(text)) return `${Number(text.slice(0, 3))}/${text.slice(3, 5)}/${text.slice(5)}`;
    if (/^[0-9a-f]{64}$/i.test(text)) {
      return el("span", {}, el("code", { title: "SHA-256" }, text.slice(0, 8)), " ",
        el("button", { type: "button", class: "small secondary", "aria-label": "複製完整雜湊值", onclick: () => navigator.clipboard?.writeText(text) }, "複製"));
    }
    return text;
  }

  function recordsView(records) {
    return records.flatMap((group) => Object.entries(group).filter(([k, v]) => k !== "root" && Array.isArray(v) && v.length).map(([sheet, rows]) =>
      el("div", { class: "table-wrap" }, el("h3", {}, sheet), el("table", {},
        el("thead", {}, el("tr", {}, Object.keys(rows[0]).map((k) => el("th", { scope: "col" }, header(k))))),
        el("tbody", {}, rows.map((row) => el("tr", {}, Object.entries(row).map(([k, v]) => el("td", { "data-label": header(k) }, shownCell(k, v))))))))));
  }

  function entryView(entry) {
    const status = el("p", { class: "status", role: "status" });
    const message = el("textarea", { id: `msg-${entry.id}`, maxlength: "500", rows: "2" });
    const answer = async (kind) => {
      try {
        const result = await api("POST", `/api/v1/me/receipts/${encodeURIComponent(entry.id)}`, { answer: kind, message: message.value });
        status.className = "status"; status.textContent = result.state_zh;
        load();
      } catch (problem) {
        const b = problem.body || {};
        status.className = "status error";
        status.textContent = (b.errors && b.errors[0] && b.errors[0].message) || b.detail || b.title || "失敗";
      }
    };
    const deadline = window.Licheng.rocDateTime(entry.deadline);
    return el("section", { class: "card" }, el("h2", {}, `${entry.year} 學年度第 ${entry.term} 學期 · ${entry.roster_name}`),
      el("p", {}, `狀態：${entry.state_zh} · 確認期限：${deadline}`), ...recordsView(entry.records),
      entry.state === "pending" ? [el("button", { type: "button", onclick: () => answer("confirm") }, "確認無誤"),
        el("label", { for: `msg-${entry.id}` }, "有錯誤？請說明"), message,
        el("button", { type: "button", class: "secondary", onclick: () => answer("report") }, "回報錯誤")] : el("p", {}, entry.message ? `你的說明：${entry.message}` : ""),
      status);
  }

  async function load() {
    const entries = await api("GET", "/api/v1/me/receipts");
    document.getElementById("receipts").replaceChildren(...(entries.length ? entries.map(entryView) : [el("p", {}, "目前沒有需要確認的收訖明細。")]));
  }

  load();
})();
