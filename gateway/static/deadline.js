// Deadline console: polls GET /api/v1/national/deadline and redraws the queue figures and the schools.
"use strict";
(() => {
  const { api, el, table } = window.Licheng;
  const REFRESH_MS = 5000;
  const columns = [["school_id", "學校代碼"], ["school_name", "校名"], ["batch_zh", "名冊批次"], ["state_zh", "狀態"], ["percent", "完成 %"], ["total", "總件數"],
    ["accepted", "已收件"], ["rejected", "退件"], ["waiting", "等待中"], ["sending", "傳送中"], ["retries", "重試次數"], ["dead", "無法送達"], ["paused", "暫停中"]];
  const shown = (v) => (v === null || v === undefined ? "—" : String(v));

  async function refresh() {
    const queueBox = document.getElementById("deadline-queue");
    const schoolsBox = document.getElementById("deadline-schools");
    try {
      const data = await api("GET", "/api/v1/national/deadline");
      const q = data.queue;
      const rows = [["佇列等待中", q.ready], ["傳送中", q.sending], ["上傳程序（workers）", q.workers], ["無法送達佇列", q.dead_letters]];
      queueBox.replaceChildren(el("h2", {}, "工作佇列"), el("dl", { class: "figures" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, shown(v))]).flat()));
      schoolsBox.replaceChildren(table(data.schools, columns));
      const batches = data.schools.flatMap((s) => (s.batch_deadline_list || []).map((b) => ({ school_id: s.school_id, school_name: s.school_name || "", ...b })));
      document.getElementById("deadline-batches").replaceChildren(batches.length
        ? table(batches, [["school_id", "學校代碼"], ["school_name", "校名"], ["label", "梯次"], ["internal", "校內截止"], ["national", "國教署截止"]])
        : el("p", { class: "muted" }, "尚未設定高三梯次的國教署截止日"));
      document.getElementById("deadline-updated").textContent = ` 更新於 ${new Date().toLocaleTimeString("zh-TW", { timeZone: "Asia/Taipei" })}`;
    } catch (problem) {
      queueBox.replaceChildren(el("p", { class: "status error" }, problem.body?.title || problem.message));
    }
  }

  function bindPause(box) {
    const status = box.querySelector(".status");
    box.querySelectorAll("button[data-paused]").forEach((button) => button.addEventListener("click", async () => {
      try {
        const result = await api("PUT", "/api/v1/national/pause", { paused: button.dataset.paused === "true" });
        status.className = "status ok";
        status.textContent = result.paused ? "已暫停本校上傳" : "已恢復上傳";
        refresh();
      } catch (problem) {
        status.className = "status error";
        status.textContent = problem.body?.title || problem.message;
      }
    }));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const pause = document.getElementById("deadline-pause");
    if (pause) bindPause(pause);
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
