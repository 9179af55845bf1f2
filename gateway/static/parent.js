// 家長專區: the parent picks a child by name and reads, without changing anything, the child's 確認單
// (and acknowledges it after ticking that it was read), 課程學習成果 with their 認證 and 勾選, 多元表現
// and 收訖明細. Every read names the child; the server answers only the caller's own children.
"use strict";

(() => {
  const { api, el, rocDateTime, showProblem, clearErrors } = window.Licheng;
  const COLUMNS = window.LICHENG_COLUMNS || {};
  const header = (name) => (COLUMNS[name]?.table ? name.replace(/代碼$/, "") : name);
  let children = [];

  const childName = (c) => `${c.name}（${c.class_code ? c.class_code + " 班" : ""}${c.seat_no ? " " + c.seat_no + " 號" : ""}）`;
  const base = (child) => `/api/v1/parent/children/${encodeURIComponent(child.student_id)}`;
  const day = (iso) => (iso ? rocDateTime(iso).split(" ")[0] : "");

  function sha(text) {
    if (!text) return "—";
    return el("span", {}, el("code", { title: "SHA-256" }, text.slice(0, 8)), " ",
      el("button", { type: "button", class: "small secondary", "aria-label": "複製完整雜湊值", onclick: () => navigator.clipboard?.writeText(text) }, "複製"));
  }
  const fileList = (files) => (files.length ? files.map((f) => el("div", {}, f.filename, " ", sha(f.sha256))) : "—");

  let tables = 0;
  function rowsTable(caption, columns, rows) {
    const id = `table-${tables += 1}`;
    return el("div", { class: "table-wrap" }, el("h3", { id }, caption), el("table", { "aria-labelledby": id },
      el("thead", {}, el("tr", {}, columns.map(([, label]) => el("th", { scope: "col" }, label)))),
      el("tbody", {}, rows.map((row) => el("tr", {}, columns.map(([key, label]) => el("td", { "data-label": label }, row[key])))))));
  }

  function confirmationCard(child, data) {
    const card = el("section", { class: "card", id: "confirmation", "aria-labelledby": "confirmation-title" });
    const sheet = data.sheet;
    const acks = data.acknowledgements;
    const current = acks.filter((a) => a.current);
    const status = el("p", { class: "status", role: "status" });
    const lines = acks.map((a) => el("li", {}, `${a.parent_name || "家長"} 已於 ${rocDateTime(a.at)} 確認第 ${a.version} 版`, a.current ? "" : el("span", { class: "badge warn" }, "勾選已變更")));
    const tick = el("input", { type: "checkbox", id: "seen", name: "seen" });
    const form = el("form", { class: "ack", novalidate: "" },
      el("p", {}, el("label", { class: "check", for: "seen" }, tick, " 我已看過上面這份確認單的內容")),
      el("button", { type: "submit" }, current.length ? "再次確認" : "確認"), status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!tick.checked) {
        status.className = "status error"; status.setAttribute("role", "alert"); status.textContent = "請先勾選「我已看過」再確認";
        return;
      }
      try {
        const ack = await api("POST", `${base(child)}/confirmation/acknowledgement`,
          { year: sheet.year, term: sheet.term, fingerprint: data.fingerprint, seen: true }, false, `${child.student_id}-${data.fingerprint}`);
        await showChild(child, `已於 ${rocDateTime(ack.at)} 確認（第 ${ack.version} 版）`);
      } catch (problem) { showProblem(form, problem); }
    });
    const outcomes = sheet.outcomes.map((o, i) => ({ n: String(i + 1), course: o.course_name, summary: o.summary, teachers: o.teachers, on: day(o.certified_on), files: fileList(o.files) }));
    const performances = sheet.performances.map((p, i) => ({ n: String(i + 1), category: p.category, summary: p.summary, files: fileList(p.files) }));
    card.append(
      el("h2", { id: "confirmation-title" }, `勾選確認單（${sheet.year} 學年度第 ${sheet.term} 學期）`),
      el("p", {}, `第 ${sheet.version} 版 · 內容摘要 `, sha(data.fingerprint), " · ",
        el("a", { href: `${base(child)}/confirmation.pdf?year=${sheet.year}&term=${sheet.term}`, target: "_blank", rel: "noopener" }, "列印 PDF")),
      current.length ? el("p", { class: "status ok" }, `已於 ${rocDateTime(current[current.length - 1].at)} 確認（第 ${current[current.length - 1].version} 版）`)
        : el("p", { class: "badge warn" }, acks.length ? "勾選已變更，請看過新版本後再確認" : "尚未確認"),
      outcomes.length ? rowsTable(`課程學習成果：勾選上傳 ${outcomes.length} 件`, [["n", "序"], ["course", "課程名稱"], ["summary", "成果簡述"], ["teachers", "授課教師"], ["on", "認證日期"], ["files", "檔案"]], outcomes)
        : el("p", { class: "muted" }, "本學期未勾選課程學習成果。"),
      performances.length ? rowsTable(`多元表現：本學年勾選上傳 ${performances.length} 件`, [["n", "序"], ["category", "類別"], ["summary", "內容簡述"], ["files", "檔案"]], performances)
        : el("p", { class: "muted" }, "本學年未勾選多元表現。"),
      lines.length ? el("ul", { "aria-label": "確認紀錄" }, lines) : "",
      form);
    return card;
  }

  function portfolioCard(data) {
    const outcomes = data.outcomes.map((o) => el("div", { class: "outcome" },
      el("h4", {}, o.course_name, " ", el("span", { class: `badge${o.state === "certified" ? " ok" : ""}` }, o.state_zh), " ",
        o.selected ? el("span", { class: "badge ok" }, "已勾選上傳") : ""),
      el("p", {}, o.summary),
      el("p", { class: "muted" }, [o.teachers ? `授課教師：${o.teachers}` : "", o.certified_on ? `認證日期：${day(o.certified_on)}` : ""].filter(Boolean).join(" · ")),
      el("div", {}, fileList(o.files))));
    const performances = data.performances.map((p) => el("div", { class: "outcome" },
      el("h4", {}, p.category, " ", p.selected ? el("span", { class: "badge ok" }, "已勾選上傳") : el("span", { class: "badge" }, "未勾選")),
      el("p", {}, p.summary), el("div", {}, fileList(p.files))));
    return [
      el("section", { class: "card", "aria-labelledby": "outcomes-title" },
        el("h2", { id: "outcomes-title" }, `課程學習成果（${data.year} 學年度第 ${data.term} 學期）`),
        el("p", { class: "muted" }, `已勾選上傳 ${data.selected} / ${data.selection_cap} 件`),
        outcomes.length ? outcomes : el("p", { class: "muted" }, "本學期尚無課程學習成果。")),
      el("section", { class: "card", "aria-labelledby": "performances-title" },
        el("h2", { id: "performances-title" }, `多元表現（${data.year} 學年度）`),
        el("p", { class: "muted" }, `已勾選上傳 ${data.performances_selected} / ${data.performance_cap} 件`),
        performances.length ? performances : el("p", { class: "muted" }, "本學年尚無多元表現。")),
    ];
  }

  function receiptsCard(entries) {
    const shown = entries.map((e) => el("div", { class: "outcome" },
      el("h3", {}, `${e.year} 學年度第 ${e.term} 學期 · ${e.roster_name}`),
      el("p", {}, `狀態：${e.state_zh} · 子女確認期限：${rocDateTime(e.deadline)}`),
      e.tables.map((t) => el("div", { class: "table-wrap" }, el("h4", {}, t.name), el("table", {},
        el("thead", {}, el("tr", {}, t.columns.map((c) => el("th", { scope: "col" }, header(c))))),
        el("tbody", {}, t.rows.map((r) => el("tr", {}, r.map((v, i) => el("td", { "data-label": header(t.columns[i]) }, v))))))))));
    return el("section", { class: "card", "aria-labelledby": "receipts-title" }, el("h2", { id: "receipts-title" }, "收訖明細"),
      el("p", { class: "muted" }, "國教署學習歷程資料庫收到的資料；有錯誤時請子女在期限內回報，或洽註冊組。"),
      shown.length ? shown : el("p", { class: "muted" }, "目前沒有收訖明細。"));
  }

  async function showChild(child, message = "") {
    const box = document.getElementById("child");
    box.replaceChildren(el("p", { class: "muted" }, "載入中…"));
    history.replaceState(null, "", `/parent?child=${encodeURIComponent(child.student_id)}`);
    document.querySelectorAll("#children button[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.child === child.student_id)));
    try {
      const [confirmation, portfolio, receipts] = await Promise.all([
        api("GET", `${base(child)}/confirmation`), api("GET", `${base(child)}/portfolio`), api("GET", `${base(child)}/receipts`)]);
      box.replaceChildren(el("h2", {}, childName(child)), confirmationCard(child, confirmation), ...portfolioCard(portfolio), receiptsCard(receipts));
      if (message) { const s = box.querySelector("#confirmation .status"); s.className = "status ok"; s.textContent = message; }
    } catch (problem) {
      const b = problem.body || {};
      box.replaceChildren(el("p", { class: "status error", role: "alert" }, b.detail || b.title || "無法載入"));
    }
  }

  async function loadChildren(pick) {
    const list = document.getElementById("children");
    children = await api("GET", "/api/v1/parent/children");
    if (!children.length) {
      list.replaceChildren(el("p", {}, "目前沒有可查看的子女。請輸入邀請碼新增，或洽註冊組。"));
      document.getElementById("child").replaceChildren();
      return;
    }
    const wanted = pick || new URLSearchParams(location.search).get("child");
    const chosen = children.find((c) => c.student_id === wanted) || children[0];
    list.replaceChildren(children.length > 1
      ? el("div", { class: "tabs", role: "group", "aria-label": "選擇子女" }, children.map((c) =>
        el("button", { type: "button", class: "secondary", "data-child": c.student_id, "aria-pressed": "false", onclick: () => showChild(c) }, childName(c))))
      : el("p", {}, `子女：${childName(chosen)}`));
    await showChild(chosen);
  }

  const form = document.getElementById("add-child");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const status = form.querySelector(".status");
    try {
      const child = await api("POST", "/api/v1/parent/children", { code: form.elements.code.value.trim() });
      form.reset();
      status.className = "status ok"; status.textContent = `已新增 ${childName(child)}`;
      await loadChildren(child.student_id);
    } catch (problem) { showProblem(form, problem); }
  });

  loadChildren().catch((problem) => {
    document.getElementById("children").replaceChildren(el("p", { class: "status error", role: "alert" }, problem.body?.title || "無法載入"));
  });
})();
