// 電子郵件通知 (each person's setting) and 郵件寄送紀錄 (the registrar's counts and 立即寄送).
"use strict";
(() => {
  const { api, el, loadList } = Licheng;

  const settings = document.getElementById("mail-settings");
  if (settings) {
    settings.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = settings.querySelector(".status");
      try {
        const result = await api("PUT", "/api/v1/me/mail-settings", { reminders: settings.elements.reminders.checked });
        status.className = "status ok";
        status.textContent = result.reminders ? "已儲存：會收到提醒信" : "已儲存：不再寄送提醒信";
      } catch (problem) {
        status.className = "status error";
        status.textContent = problem.body?.title || "儲存失敗，請稍後再試";
      }
    });
  }

  const counts = document.getElementById("mail-counts");
  const NAMES = [["sent", "已寄出"], ["bounced", "退信"], ["failed", "寄送失敗"], ["in_doubt", "寄送中斷"], ["queued", "排隊中"], ["retrying", "稍後重試"], ["suppressed", "已停止訂閱"]];
  async function loadCounts() {
    try {
      const data = await api("GET", "/api/v1/mail/log?per_page=1");
      counts.replaceChildren(el("ul", { class: "counts" }, NAMES.map(([key, name]) => el("li", {}, el("strong", {}, String(data.counts[key] || 0)), ` ${name}`))));
    } catch (problem) {
      counts.replaceChildren(el("p", { class: "status error" }, problem.body?.title || "無法載入寄送統計"));
    }
  }
  const filter = document.getElementById("mail-filter");
  if (filter) {
    filter.addEventListener("submit", (event) => {
      event.preventDefault();
      const log = document.getElementById("mail-log");
      log.dataset.page = "1";
      loadList(log);
    });
  }
  if (counts) {
    loadCounts();
    const button = document.getElementById("mail-plan");
    const status = document.getElementById("mail-plan-status");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const result = await api("POST", "/api/v1/mail/plan", {});
        status.className = "status ok";
        status.textContent = result.queued
          ? `已排入 ${result.queued} 封今日提醒，將依序寄出`
          : (result.decided ? `今日的 ${result.decided} 封提醒先前已排入，不會重寄` : "今天沒有需要寄出的提醒");
        loadCounts();
        loadList(document.getElementById("mail-log"));
      } catch (problem) {
        status.className = "status error";
        status.textContent = problem.body?.title || "無法寄送，請稍後再試";
      } finally {
        button.disabled = false;
      }
    });
  }
})();
