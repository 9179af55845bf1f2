// The student's 收訖明細: what the national database holds of them, confirm or report an error.
"use strict";

(() => {
  const { api, el } = window.Licheng;

  function recordsView(records) {
    return records.flatMap((group) => Object.entries(group).filter(([k, v]) => k !== "root" && Array.isArray(v) && v.length).map(([sheet, rows]) =>
      el("div", { class: "table-wrap" }, el("h3", {}, sheet), el("table", {},
        el("thead", {}, el("tr", {}, Object.keys(rows[0]).map((k) => el("th", { scope: "col" }, k)))),
        el("tbody", {}, rows.map((row) => el("tr", {}, Object.values(row).map((v) => el("td", {}, String(v ?? ""))))))))));
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
    const deadline = new Date(entry.deadline).toLocaleString("zh-TW", { timeZone: "Asia/Taipei" });
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
