// The customer-service desk: live board, triage, queues, an order's page, owners, return visits.
"use strict";

const EVENT_TYPES = [
  "work_order.created", "work_order.routed", "work_order.assigned", "work_order.claimed",
  "work_order.declined", "work_order.started", "work_order.held", "work_order.resumed",
  "work_order.resolved", "work_order.confirmed", "work_order.reopened", "work_order.cancelled",
  "work_order.escalated", "work_order.commented", "work_order.closed", "work_order.sla_warning",
  "work_order.sla_breached",
];
const REASON_ACTIONS = ["decline", "hold", "reopen", "cancel", "escalate"];

const views = ["board", "triage", "queues", "order", "owners", "visits"];

function statusBadge(order) {
  return h("span", { class: `badge st-${order.status}` }, order.status_label || order.status);
}

function orderLink(id, text) {
  return h("a", { href: `#order/${encodeURIComponent(id)}` }, text);
}

// --- live board -------------------------------------------------------------------------------
// Fed by EventSource through a single-use stream ticket. On any error the stream is closed (the
// browser's own retry would reuse a spent ticket) and reopened with a fresh ticket from the last id
// seen, so nothing committed in between is missed; ids already shown are never shown twice.

const board = { source: null, lastId: null, seen: new Set(), retry: 500 };

async function connectBoard() {
  const badge = document.getElementById("live");
  try {
    const { ticket } = await api("POST", "/v1/stream-tickets");
    const params = new URLSearchParams({ ticket });
    if (board.lastId) params.set("after", board.lastId);
    const source = new EventSource(`/v1/events/stream?${params}`);
    board.source = source;
    source.onopen = () => {
      board.retry = 500;
      badge.textContent = t("online");
      badge.className = "badge on";
      document.body.dataset.live = "on";
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, (m) => showEvent(m));
    source.onerror = () => {
      source.close();
      document.body.dataset.live = "off";
      badge.textContent = t("reconnecting");
      badge.className = "badge";
      setTimeout(connectBoard, board.retry);
      board.retry = Math.min(board.retry * 2, 15000);
    };
  } catch (e) {
    if (e.status === 401) return;
    setTimeout(connectBoard, board.retry);
    board.retry = Math.min(board.retry * 2, 15000);
  }
}

function showEvent(message) {
  board.lastId = message.lastEventId || board.lastId;
  const event = JSON.parse(message.data);
  if (board.seen.has(event.id)) return;
  board.seen.add(event.id);
  const d = event.data || {};
  const li = h("li", { class: "fresh", dataset: { workOrder: event.work_order_id || "", type: event.type } },
    h("time", { datetime: event.occurred_at }, new Date(event.occurred_at).toLocaleTimeString(lang() === "en" ? "en-GB" : "zh-CN", { hour12: false })),
    h("div", {},
      h("strong", {}, eventName(event.type)), " ",
      event.work_order_id ? orderLink(event.work_order_id, d.number || event.work_order_id) : "",
      " ", d.status ? h("span", { class: `badge st-${d.status}` }, statusName(d.status)) : "",
      " ", h("span", { class: "muted" }, [d.queue && queueName(d.queue), d.priority && priorityName(d.priority), d.deadline].filter(Boolean).join(" · "))));
  const list = document.getElementById("board");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
  document.getElementById("board-empty").hidden = true;
}

// --- triage -----------------------------------------------------------------------------------

async function showTriage() {
  const list = document.getElementById("triage");
  const page = await api("GET", "/v1/work-orders?status=triage&sort=created_at&limit=100");
  list.replaceChildren();
  document.getElementById("triage-empty").hidden = page.items.length > 0;
  for (const order of page.items) {
    const suggestions = (order.routing && order.routing.suggestions) || [];
    const select = h("select", { name: "queue", "aria-label": t("route_to") },
      QUEUES.map((q) => h("option", { value: q }, queueName(q))));
    if (suggestions.length) select.value = suggestions[0].queue;
    const form = h("form", { class: "inline-form", dataset: { order: order.id } },
      h("span", {}, t("route_to")), select,
      h("button", { type: "submit" }, t("route")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("POST", `/v1/work-orders/${order.id}/route`, { queue: select.value });
        notice(`${order.number} → ${queueName(select.value)}`, true);
        showTriage();
      } catch (err) { notice(err.message); }
    });
    list.append(h("li", { dataset: { order: order.id } },
      h("div", {}, orderLink(order.id, order.number), " ", statusBadge(order), " ",
        h("span", { class: "muted" }, fmtTime(order.created_at))),
      h("p", {}, order.description),
      h("div", { class: "chips" }, h("span", { class: "muted" }, t("suggestions") + ":"),
        suggestions.length
          ? suggestions.map((s) => h("span", { class: "chip" }, `${queueName(s.queue)} ${Math.round(s.confidence * 100)}%`))
          : h("span", { class: "muted" }, t("no_suggestion"))),
      form));
  }
}

// --- queues -----------------------------------------------------------------------------------

async function showQueues() {
  const [queues, open] = await Promise.all([
    api("GET", "/v1/queues"),
    api("GET", "/v1/work-orders?status=queued&status=assigned&status=in_progress&status=on_hold&sort=priority&limit=50"),
  ]);
  document.querySelector("#queues tbody").replaceChildren(...queues.items.map((q) => h("tr", { dataset: { queue: q.queue } },
    h("td", {}, queueName(q.queue)), h("td", { class: "num" }, q.open),
    h("td", { class: "num" }, q.unassigned), h("td", { class: "num" }, q.overdue))));
  document.getElementById("queue-orders").replaceChildren(...open.items.map((o) => h("li", {},
    orderLink(o.id, o.number), " ", statusBadge(o), " ", h("span", { class: "muted" }, `${queueName(o.queue)} · ${priorityName(o.priority)}`),
    h("div", {}, o.title || o.description))));
}

// --- an order ---------------------------------------------------------------------------------

// Every item of a paged list (the comments), following `next_cursor`.
async function allItems(path) {
  const items = [];
  let cursor = null;
  do {
    const page = await api("GET", `${path}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return { items };
}

async function showOrder(id) {
  const box = document.getElementById("order");
  box.replaceChildren(h("p", { class: "muted" }, "…"));
  const path = `/v1/work-orders/${encodeURIComponent(id)}`;
  const [order, events, comments, attachments] = await Promise.all([
    api("GET", path), api("GET", `${path}/events`),
    allItems(`${path}/comments`).catch(() => ({ items: [] })),
    api("GET", `${path}/attachments`).catch(() => null),  // not every service has photos yet
  ]);
  const loc = order.location || {};
  const where = [loc.building && `${loc.building}栋`, loc.unit && `${loc.unit}单元`, loc.room, loc.area].filter(Boolean).join(" ");
  const sla = order.sla || {};
  const actions = h("div", { class: "actions", id: "actions" },
    (order.allowed_actions || []).map((a) => h("button", {
      type: "button", class: a === "cancel" ? "danger" : "", dataset: { action: a },
      onclick: () => actionForm(order, a),
    }, t(`a_${a}`))));
  box.replaceChildren(
    h("h1", {}, order.number, " ", statusBadge(order)),
    h("p", {}, order.title ? h("strong", {}, order.title) : "", " ", order.description),
    h("dl", { class: "dl" },
      h("dt", {}, t("queue")), h("dd", {}, queueName(order.queue)),
      h("dt", {}, t("priority")), h("dd", {}, priorityName(order.priority)),
      h("dt", {}, t("assignee")), h("dd", {}, order.assignee ? order.assignee.name : (order.assignee_id || "—")),
      h("dt", {}, t("location")), h("dd", {}, where || "—"),
      h("dt", {}, t("created")), h("dd", {}, fmtTime(order.created_at)),
      h("dt", {}, t("deadlines")), h("dd", {}, `${t("respond")} ${fmtTime(sla.respond_by)} · ${t("resolve")} ${fmtTime(sla.resolve_by)}`)),
    actions,
    h("div", { id: "action-form" }),
    attachments && attachments.items && attachments.items.length ? [
      h("h2", {}, t("photos")),
      h("div", { class: "photos" }, attachments.items.map((a) => photo(a))),
    ] : "",
    h("h2", {}, t("timeline")),
    h("ol", { class: "timeline", id: "timeline" }, events.items.map((e) => h("li", { dataset: { type: e.type } },
      h("span", { class: "muted" }, fmtTime(e.occurred_at)), " ", h("strong", {}, eventName(e.type)),
      e.data && e.data.queue ? ` · ${queueName(e.data.queue)}` : "",
      e.data && e.data.reason ? ` · ${e.data.reason}` : ""))),
    h("h2", {}, t("comments")),
    h("ul", { class: "cards" }, comments.items.map((c) => h("li", {},
      h("span", { class: "muted" }, `${fmtTime(c.created_at)} · ${c.visibility === "internal" ? t("internal") : t("public")}`),
      h("div", {}, c.body)))),
    commentForm(order));
}

function photo(attachment) {
  // Attachment bytes need the bearer token too: fetch them and show a blob URL.
  const img = h("img", { alt: attachment.purpose || "photo" });
  fetch(`/v1/attachments/${attachment.id}`, { headers: { Authorization: `Bearer ${token()}` }, credentials: "omit" })
    .then((r) => (r.ok ? r.blob() : null)).then((b) => { if (b) img.src = URL.createObjectURL(b); });
  return img;
}

function commentForm(order) {
  const body = h("textarea", { rows: 2, name: "body", required: true });
  const visibility = h("select", { name: "visibility" },
    h("option", { value: "internal" }, t("internal")), h("option", { value: "public" }, t("public")));
  const form = h("form", { class: "stack" }, h("label", {}, t("add_comment"), body),
    h("div", { class: "row" }, visibility, h("button", { type: "submit" }, t("send"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", `/v1/work-orders/${order.id}/comments`, { body: body.value, visibility: visibility.value });
      showOrder(order.id);
    } catch (err) { notice(err.message); }
  });
  return form;
}

async function actionForm(order, action) {
  const box = document.getElementById("action-form");
  const fields = [];
  let collect = () => ({});
  if (action === "route") {
    const queue = h("select", { name: "queue" }, QUEUES.map((q) => h("option", { value: q }, queueName(q))));
    const note = h("input", { name: "note", maxlength: 1000 });
    fields.push(h("label", {}, t("route_to"), " ", queue), h("label", {}, t("note"), " ", note));
    collect = () => ({ queue: queue.value, ...(note.value ? { note: note.value } : {}) });
  } else if (action === "assign") {
    const staff = await api("GET", `/v1/staff?department=${order.queue}&limit=100`).catch(() => ({ items: [] }));
    const who = h("select", { name: "assignee_id" }, staff.items.map((s) => h("option", { value: s.id }, s.name)));
    fields.push(h("label", {}, t("assignee_id"), " ", who));
    collect = () => ({ assignee_id: who.value });
  } else if (REASON_ACTIONS.includes(action)) {
    const reason = h("input", { name: "reason", required: true, maxlength: 500 });
    fields.push(h("label", {}, t("reason"), " ", reason));
    collect = () => ({ reason: reason.value });
  } else if (action === "resolve") {
    const resolution = h("input", { name: "resolution", required: true, maxlength: 2000 });
    fields.push(h("label", {}, t("resolution"), " ", resolution));
    collect = () => ({ resolution: resolution.value });
  } else if (action === "confirm") {
    const rating = h("select", { name: "rating" }, [5, 4, 3, 2, 1].map((n) => h("option", { value: n }, n)));
    fields.push(h("label", {}, t("rating"), " ", rating));
    collect = () => ({ rating: Number(rating.value) });
  }
  const form = h("form", { class: "inline-form card", dataset: { action } }, h("strong", {}, t(`a_${action}`)), fields,
    h("button", { type: "submit" }, t("submit")),
    h("button", { type: "button", class: "secondary", onclick: () => box.replaceChildren() }, t("cancel_form")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", `/v1/work-orders/${order.id}/${action}`, collect());
      notice(`${order.number}: ${t(`a_${action}`)} ✓`, true);
      showOrder(order.id);
    } catch (err) { notice(err.message); }
  });
  box.replaceChildren(form);
  const first = form.querySelector("input, select");
  if (first) first.focus();
}

// --- owners -----------------------------------------------------------------------------------

async function showOwners(query) {
  const params = new URLSearchParams({ limit: "50" });
  if (query) params.set(/^\d{6,}$/.test(query) ? "phone" : "q", query);
  const page = await api("GET", `/v1/owners?${params}`);
  document.querySelector("#owners tbody").replaceChildren(...page.items.map((o) => ownerRow(o)));
}

function ownerRow(owner) {
  const phone = h("td", { class: "phone" }, owner.phone);
  const cell = h("td", {});
  const row = h("tr", { dataset: { owner: owner.id } }, h("td", {}, owner.name), phone,
    h("td", {}, (owner.units || []).map((u) => [u.building, u.unit, u.room].filter(Boolean).join("-")).join(", ")), cell);
  // A reveal always asks why; the service audits it with that reason.
  cell.append(h("button", {
    type: "button", class: "secondary", dataset: { reveal: owner.id },
    onclick: () => {
      const reason = h("input", { name: "reason", required: true, maxlength: 500, placeholder: t("reveal_reason") });
      const form = h("form", { class: "inline-form", dataset: { revealForm: owner.id } },
        h("label", {}, t("reveal_reason"), " ", reason), h("button", { type: "submit" }, t("confirm_reveal")));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (!reason.value.trim()) return;
        try {
          const revealed = await api("POST", `/v1/owners/${owner.id}/reveal`, { reason: reason.value.trim() });
          phone.textContent = revealed.phone;
          phone.dataset.revealed = "1";
          cell.replaceChildren();
        } catch (err) { notice(err.message); }
      });
      cell.replaceChildren(form);
      reason.focus();
    },
  }, t("reveal")));
  return row;
}

// --- return visits ----------------------------------------------------------------------------

async function showVisits() {
  const page = await api("GET", "/v1/return-visits?status=pending&limit=100");
  document.getElementById("visits-empty").hidden = page.items.length > 0;
  document.getElementById("visits").replaceChildren(...page.items.map((v) => {
    const outcome = h("select", { name: "outcome" }, ["satisfied", "unsatisfied", "unreachable"].map((o) => h("option", { value: o }, t(o))));
    const score = h("select", { name: "score" }, h("option", { value: "" }, "—"), [5, 4, 3, 2, 1].map((n) => h("option", { value: n }, n)));
    const note = h("input", { name: "note", maxlength: 2000 });
    const form = h("form", { class: "inline-form", dataset: { visit: v.id } },
      h("label", {}, t("visit_outcome"), " ", outcome), h("label", {}, t("score"), " ", score),
      h("label", {}, t("note"), " ", note), h("button", { type: "submit" }, t("record_visit")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { outcome: outcome.value };
      if (score.value && outcome.value !== "unreachable") body.score = Number(score.value);
      if (note.value) body.note = note.value;
      try {
        await api("POST", `/v1/return-visits/${v.id}/complete`, body);
        notice(t("done"), true);
        showVisits();
      } catch (err) { notice(err.message); }
    });
    return h("li", {}, h("div", {}, orderLink(v.work_order_id, `${t("order")} ${v.work_order_id}`), " ",
      h("span", { class: "muted" }, `${v.reason} · ${fmtTime(v.created_at)}`)), form);
  }));
}

// --- routing between views --------------------------------------------------------------------

async function route() {
  const [name, arg] = (location.hash.slice(1) || "board").split("/");
  const view = views.includes(name) ? name : "board";
  for (const v of views) document.getElementById(`view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.getAttribute("href") === `#${view}`);
  try {
    if (view === "triage") await showTriage();
    else if (view === "queues") await showQueues();
    else if (view === "order") await showOrder(decodeURIComponent(arg || ""));
    else if (view === "owners") await showOwners(document.getElementById("owner-q").value);
    else if (view === "visits") await showVisits();
    document.body.dataset.view = view;
  } catch (e) {
    notice(e.status === 403 ? t("forbidden") : e.message);
  }
}

document.addEventListener("DOMContentLoaded", () => startPage(() => {
  document.getElementById("owner-search").addEventListener("submit", (e) => {
    e.preventDefault();
    showOwners(document.getElementById("owner-q").value.trim()).catch((err) => notice(err.message));
  });
  window.addEventListener("hashchange", route);
  connectBoard();
  route();
}));
