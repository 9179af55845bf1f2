// 問題回報處理: the registrar reads each report (who, where, when, the browser) and answers it in place.
"use strict";
(() => {
  const { api, el, rocDateTime } = Licheng;
  const list = document.getElementById("reports");
  const pager = document.getElementById("reports-pager");
  const filter = document.getElementById("reports-filter");
  const PER_PAGE = 20;
  let page = 1;

  function card(report) {
    const answerBox = el("textarea", { id: `answer-${report.id}`, name: "answer", rows: "3", maxlength: "1000", required: "" });
    const status = el("p", { class: "status", role: "status" });
    const form = el("form", { class: "answer stack", novalidate: "" },
      el("label", { for: answerBox.id }, report.state === "answered" ? "修改回覆" : "回覆"), answerBox,
      el("button", { type: "submit", class: "small" }, "送出回覆"), status);
    if (report.answer) answerBox.value = report.answer;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("POST", `/api/v1/problem-reports/${encodeURIComponent(report.id)}/answer`, { answer: answerBox.value.trim() });
        status.className = "status ok";
        status.textContent = "已回覆";
      } catch (problem) {
        status.className = "status error";
        status.textContent = problem.body?.errors?.[0]?.message || problem.body?.title || "回覆失敗，請稍後再試";
      }
    });
    const who = `${report.reporter_name} · ${(report.reporter_roles || []).join("、")}`;
    return el("article", { class: "card report" },
      el("h3", {}, `${report.page_title || report.page} · ${report.state_zh}`),
      el("p", { class: "muted" }, `${who} · ${rocDateTime(report.reported_at)}`),
      el("p", {}, report.message),
      report.client ? el("p", { class: "muted small" }, `瀏覽器：${report.client}`) : [],
      report.answered_at ? el("p", { class: "muted" }, `${report.answered_by} 於 ${rocDateTime(report.answered_at)} 回覆`) : [],
      form);
  }

  async function load() {
    const state = filter.elements.state.value;
    const query = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
    if (state) query.set("state", state);
    try {
      const data = await api("GET", `/api/v1/problem-reports?${query}`);
      list.replaceChildren(el("p", { class: "muted" }, `共 ${data.total} 件`), ...(data.items.length ? data.items.map(card) : [el("p", {}, "目前沒有回報")]));
      const pages = Math.max(1, Math.ceil(data.total / PER_PAGE));
      pager.replaceChildren(...(pages > 1 ? [
        el("button", { type: "button", class: "small secondary", onclick: () => { page -= 1; load(); }, ...(page <= 1 ? { disabled: "" } : {}) }, "上一頁"),
        el("span", {}, ` 第 ${page} / ${pages} 頁 `),
        el("button", { type: "button", class: "small secondary", onclick: () => { page += 1; load(); }, ...(page >= pages ? { disabled: "" } : {}) }, "下一頁"),
      ] : []));
    } catch (problem) {
      list.replaceChildren(el("p", { class: "status error" }, problem.body?.title || "無法載入回報"));
    }
  }

  filter.addEventListener("submit", (event) => { event.preventDefault(); page = 1; load(); });
  load();
})();
