// Printed documents on the pages: the student's 勾選確認單 (and whether the last print is stale), the
// homeroom teacher's class 確認單 (a job with progress, then the file) and the class's 班級進度.
"use strict";

(() => {
  const { api } = window.Licheng;
  const taipei = (iso) => new Date(iso).toLocaleString("zh-TW-u-ca-roc", { timeZone: "Asia/Taipei", hour12: false });  // 民國115/12/1

  async function studentStatus() {
    const line = document.getElementById("confirmation-status");
    if (!line) return;
    try {
      const s = await api("GET", "/api/v1/documents/confirmation/status");
      if (!s.printed) line.textContent = "尚未列印本學期的勾選確認單。";
      else if (s.stale) { line.className = "status error"; line.textContent = `你在 ${taipei(s.printed_at)} 列印的第 ${s.version} 版已不是最新的勾選內容，請重新列印並簽名。`; }
      else line.textContent = `已列印第 ${s.version} 版（${taipei(s.printed_at)}），與目前勾選相符。`;
    } catch (problem) {
      line.textContent = "";
    }
  }

  function homeroom() {
    const button = document.getElementById("print-confirmations");
    const link = document.getElementById("print-progress");
    const pick = document.getElementById("class-pick");
    const status = document.getElementById("documents-status");
    if (!button || !pick) return;
    const sync = () => { link.href = pick.value ? `/api/v1/documents/classes/${encodeURIComponent(pick.value)}/progress.pdf` : "#"; };
    pick.addEventListener("change", sync);
    new MutationObserver(sync).observe(pick, { childList: true });
    sync();
    button.addEventListener("click", () => pick.value && runJob(`/api/v1/documents/classes/${encodeURIComponent(pick.value)}/confirmations`, button, status));
  }

  // A document job: start it, show its progress, then link its file.
  async function runJob(startUrl, button, status) {
    button.disabled = true;
    status.className = "status";
    try {
      let job = await api("POST", startUrl);
      while (job.state === "queued" || job.state === "running") {
        status.textContent = `正在產生${job.title}…（${job.done} / ${job.total || "?"}）`;
        await new Promise((r) => setTimeout(r, 700));
        job = await api("GET", `/api/v1/documents/jobs/${encodeURIComponent(job.id)}`);
      }
      if (job.state !== "done") throw { body: { detail: job.error || "產生失敗，請重試" } };
      const a = document.createElement("a");
      a.href = `/api/v1/documents/jobs/${encodeURIComponent(job.id)}/file`;
      a.textContent = `下載${job.title}`;
      a.id = "confirmations-file";
      status.replaceChildren(`已完成 ${job.done} 位學生。`, a);
    } catch (problem) {
      const b = problem.body || {};
      status.className = "status error";
      status.textContent = b.detail || b.title || "產生失敗，請重試";
    } finally {
      button.disabled = false;
    }
  }

  function schoolConfirmations() {
    const button = document.getElementById("print-school-confirmations");
    if (button) button.addEventListener("click", () => runJob("/api/v1/documents/school/confirmations", button, document.getElementById("school-documents-status")));
  }

  function registrarReceipts() {
    const form = document.querySelector("[data-print-receipts]");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const id = form.elements.student_id.value.trim();
      if (id) window.open(`/api/v1/documents/students/${encodeURIComponent(id)}/receipts.pdf`, "_blank", "noopener");
    });
  }

  // 工作小組 pages: a print link per meeting, session and commendation proposal.
  const rocDay = (iso) => new Date(`${iso}T12:00:00+08:00`).toLocaleDateString("zh-TW-u-ca-roc", { timeZone: "Asia/Taipei" });
  const LISTS = {
    meetings: {
      url: () => "/api/v1/working-group/meetings",
      href: (m) => `/api/v1/documents/working-group/meetings/${encodeURIComponent(m.id)}.pdf`,
      label: (m) => `${rocDay(m.held_on)} 會議紀錄（${m.agenda[0] || ""}）`,
    },
    trainings: {
      url: (year) => `/api/v1/working-group/trainings?year=${encodeURIComponent(year)}`,
      href: (t) => `/api/v1/documents/working-group/trainings/${encodeURIComponent(t.id)}/sign-in.pdf`,
      label: (t) => `${rocDay(t.held_on || t.planned_on)} ${t.title}（${t.kind_name}）簽到表`,
    },
    commendations: {
      url: () => "/api/v1/working-group/commendations",
      href: (p) => `/api/v1/documents/working-group/commendations/${encodeURIComponent(p.id)}.pdf`,
      label: (p) => `${p.year} 學年度第 ${p.term} 學期敘獎名單（${p.status === "decided" ? "已議決" : "提案"}）`,
    },
  };

  async function workingGroupLists() {
    for (const box of document.querySelectorAll("[data-print-list]")) {
      const kind = LISTS[box.dataset.printList];
      try {
        const items = await api("GET", kind.url(box.dataset.year));
        const links = items.map((item) => {
          const a = document.createElement("a");
          a.href = kind.href(item); a.target = "_blank"; a.rel = "noopener"; a.textContent = kind.label(item);
          const li = document.createElement("li"); li.append(a); return li;
        });
        const list = document.createElement("ul"); list.append(...links);
        box.replaceChildren(links.length ? list : Object.assign(document.createElement("p"), { className: "muted", textContent: "目前沒有可列印的項目。" }));
      } catch (problem) {
        box.replaceChildren();
      }
    }
  }

  // The student's portfolio PDF: texts within the rules' limits, items chosen and ordered, the result or what to drop.
  async function portfolioBuilder() {
    const box = document.querySelector("[data-portfolio-builder]");
    if (!box) return;
    const $ = (id) => document.getElementById(id);
    const [rules, texts, mine, performances] = await Promise.all([
      api("GET", "/api/v1/documents/portfolio/rules"), api("GET", "/api/v1/documents/portfolio/texts"),
      api("GET", "/api/v1/outcomes/mine"), api("GET", "/api/v1/records/performances?per_page=500").catch(() => ({ items: [] })),
    ]);
    const mark = (limit) => `${limit.label}${limit.uncertain ? "（來源未確認）" : ""}`;
    $("portfolio-limits").textContent = [rules.item_max_bytes, rules.program_max_bytes, rules.max_outcomes, rules.max_performances].map(mark).join("；");
    const counter = (area, line, limit) => {
      const show = () => { line.textContent = `${area.value.length} / ${limit.value} 字（${mark(limit)}）`; line.className = area.value.length > limit.value ? "status error" : "muted"; };
      area.addEventListener("input", show); show();
    };
    $("portfolio-statement").value = texts.statement; $("portfolio-synthesis").value = texts.synthesis;
    counter($("portfolio-statement"), $("portfolio-statement-count"), rules.statement_max_chars);
    counter($("portfolio-synthesis"), $("portfolio-synthesis-count"), rules.synthesis_max_chars);
    const result = $("portfolio-result");
    const fail = (problem) => {
      const b = problem.body || {};
      result.className = "status error";
      result.replaceChildren(...(b.errors && b.errors.length ? b.errors.map((e) => Object.assign(document.createElement("p"), { textContent: e.message })) : [b.detail || b.title || "失敗"]));
    };
    $("portfolio-save-texts").addEventListener("click", async () => {
      try {
        await api("PUT", "/api/v1/documents/portfolio/texts", { statement: $("portfolio-statement").value, synthesis: $("portfolio-synthesis").value, synthesis_image_ids: texts.synthesis_image_ids });
        result.className = "status"; result.textContent = "已儲存自述與心得。";
      } catch (problem) { fail(problem); }
    });
    const candidates = [
      ...mine.items.filter((o) => o.state === "certified").map((o) => ({ kind: "outcome", id: o.id, label: `課程學習成果：${o.course_name}（${o.summary}）` })),
      ...(performances.items || []).map((p) => ({ kind: "performance", id: p.id, label: `多元表現：${p.summary}` })),
    ];
    const list = $("portfolio-items");
    const move = (li, step) => { const to = step < 0 ? li.previousElementSibling : li.nextElementSibling?.nextElementSibling; list.insertBefore(li, step < 0 ? to : to || null); };
    list.replaceChildren(...candidates.map((c) => {
      const li = document.createElement("li");
      const check = Object.assign(document.createElement("input"), { type: "checkbox", id: `pick-${c.id}` });
      const label = Object.assign(document.createElement("label"), { htmlFor: check.id, className: "check", textContent: c.label });
      label.prepend(check);
      const up = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "上移" });
      const down = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "下移" });
      up.addEventListener("click", () => move(li, -1)); down.addEventListener("click", () => move(li, 1));
      li.dataset.kind = c.kind; li.dataset.id = c.id; li.append(label, up, down);
      return li;
    }));
    if (!candidates.length) list.replaceChildren(Object.assign(document.createElement("li"), { className: "muted", textContent: "尚無已認證的成果或多元表現。" }));  // an <ol> holds only <li>
    $("portfolio-build").addEventListener("click", async () => {
      const items = [...list.querySelectorAll("li")].filter((li) => li.querySelector("input:checked")).map((li) => ({ kind: li.dataset.kind, id: li.dataset.id }));
      result.className = "status"; result.textContent = "產生中…";
      try {
        const built = await api("POST", "/api/v1/documents/portfolio", { items });
        const a = Object.assign(document.createElement("a"), { id: "portfolio-file", href: `/api/v1/documents/jobs/${encodeURIComponent(built.id)}/file`, textContent: "下載學習歷程檔案 PDF" });
        const notes = built.compressed.length ? `已壓縮圖片：${built.compressed.join("、")}。` : "";
        result.replaceChildren(`已產生（${(built.bytes / 1048576).toFixed(1)} MB）。${notes}`, a);
      } catch (problem) { fail(problem); }
    });
  }

  studentStatus();
  workingGroupLists();
  portfolioBuilder();
  homeroom();
  registrarReceipts();
  schoolConfirmations();
})();
