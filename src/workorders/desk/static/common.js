// Shared by the desk and the figures: language, the token in sessionStorage, and calls to /v1.
// The token never goes into a URL or a cookie: every call sends it as `Authorization: Bearer`.
"use strict";

const TOKEN_KEY = "workorders.token";
const LANG_KEY = "workorders.lang";

const TEXT = {
  zh: {
    desk_title: "客服工作台", figures_title: "经营数据", nav_board: "实时看板", nav_triage: "待分派",
    nav_queues: "队列", nav_owners: "业主档案", nav_visits: "回访", nav_figures: "经营数据",
    switch_lang: "English", sign_in: "登录", sign_out: "退出", dev_pick: "开发环境：选择一位人员登录",
    paste_token: "粘贴令牌（公司登录页签发）", offline: "未连接", online: "实时", reconnecting: "重连中",
    board_empty: "等待新的状态变化……", nothing: "暂无", queue: "队列", open: "未完成",
    unassigned: "未派单", overdue: "超时", open_orders: "未完成工单", back: "返回",
    search: "查找", owner_q: "姓名", name: "姓名", phone: "电话", units: "房号",
    reveal: "查看完整号码", reveal_reason: "查看原因（将被记录）", confirm_reveal: "确认查看",
    route_to: "分派到", route: "分派", suggestions: "系统建议", no_suggestion: "无建议",
    timeline: "处理记录", comments: "留言", photos: "照片", add_comment: "添加留言",
    internal: "仅内部可见", public: "业主可见", send: "发送", location: "位置", priority: "优先级",
    status: "状态", assignee: "处理人", created: "创建时间", deadlines: "时限",
    reason: "原因", resolution: "处理结果", rating: "评分", assignee_id: "处理人",
    submit: "提交", cancel_form: "取消", done: "已完成", visit_outcome: "回访结果",
    satisfied: "满意", unsatisfied: "不满意", unreachable: "未联系上", score: "评分", note: "备注",
    record_visit: "记录回访", order: "工单", from: "从", to: "至", group_by: "分组", show: "查看",
    download_csv: "下载 CSV", g_queue: "部门", g_assignee: "员工", g_category: "类别",
    g_building: "楼栋", g_day: "日期", c_volume: "每日工单量", c_compliance: "各部门时效达成率",
    c_resolve: "解决用时（小时，P50 / P90）", c_ratings: "满意度（平均分与差评占比）",
    filed: "新增", backlog: "积压", respond: "响应", start: "开工", resolve: "解决",
    ttr: "解决用时", ttresp: "响应用时", rating_avg: "平均评分", low_share: "差评占比",
    reopen_rate: "返修率", repeat_rate: "重复报修率", load: "在手", ftf: "一次修复率",
    group: "分组", forbidden: "无权查看", signed_out: "登录已失效，请重新登录",
    a_route: "改派", a_assign: "派单", a_claim: "接单", a_decline: "退单", a_start: "开工",
    a_hold: "暂停", a_resume: "恢复", a_resolve: "完成", a_confirm: "确认完成", a_reopen: "重新处理",
    a_cancel: "取消工单", a_escalate: "升级",
  },
  en: {
    desk_title: "Service desk", figures_title: "Figures", nav_board: "Live board", nav_triage: "Triage",
    nav_queues: "Queues", nav_owners: "Owners", nav_visits: "Return visits", nav_figures: "Figures",
    switch_lang: "中文", sign_in: "Sign in", sign_out: "Sign out", dev_pick: "Development: sign in as",
    paste_token: "Paste a token (from the company sign-in page)", offline: "offline", online: "live",
    reconnecting: "reconnecting", board_empty: "Waiting for status changes…", nothing: "Nothing here",
    queue: "Queue", open: "Open", unassigned: "Unassigned", overdue: "Overdue",
    open_orders: "Open orders", back: "Back", search: "Search", owner_q: "Name", name: "Name",
    phone: "Phone", units: "Units", reveal: "Reveal number", reveal_reason: "Reason (audited)",
    confirm_reveal: "Reveal", route_to: "Route to", route: "Route", suggestions: "Suggested",
    no_suggestion: "no suggestion", timeline: "Timeline", comments: "Comments", photos: "Photos",
    add_comment: "Add a comment", internal: "internal", public: "public", send: "Send",
    location: "Location", priority: "Priority", status: "Status", assignee: "Assignee",
    created: "Created", deadlines: "Deadlines", reason: "Reason", resolution: "Resolution",
    rating: "Rating", assignee_id: "Assignee", submit: "Submit", cancel_form: "Cancel", done: "Done",
    visit_outcome: "Outcome", satisfied: "satisfied", unsatisfied: "unsatisfied",
    unreachable: "unreachable", score: "Score", note: "Note", record_visit: "Record visit",
    order: "Order", from: "From", to: "To", group_by: "Group by", show: "Show",
    download_csv: "Download CSV", g_queue: "Department", g_assignee: "Staff", g_category: "Category",
    g_building: "Building", g_day: "Day", c_volume: "Orders filed per day",
    c_compliance: "Deadline compliance per department", c_resolve: "Time to resolve (hours, p50 / p90)",
    c_ratings: "Satisfaction (average and share of 1–2)", filed: "Filed", backlog: "Backlog",
    respond: "Respond", start: "Start", resolve: "Resolve", ttr: "Time to resolve",
    ttresp: "Time to respond", rating_avg: "Rating", low_share: "Low ratings",
    reopen_rate: "Reopened", repeat_rate: "Repeat repairs", load: "Load", ftf: "First-time fix",
    group: "Group", forbidden: "Not allowed", signed_out: "Signed out: please sign in again",
    a_route: "Route", a_assign: "Assign", a_claim: "Claim", a_decline: "Decline", a_start: "Start",
    a_hold: "Hold", a_resume: "Resume", a_resolve: "Resolve", a_confirm: "Confirm",
    a_reopen: "Reopen", a_cancel: "Cancel order", a_escalate: "Escalate",
  },
};

const EVENT_NAMES = {
  zh: { created: "新工单", routed: "已分派", assigned: "已派单", claimed: "已接单", declined: "被退单",
    started: "已开工", held: "暂停", resumed: "恢复处理", resolved: "已完成待确认", confirmed: "业主已确认",
    reopened: "重新处理", cancelled: "已取消", escalated: "已升级", commented: "新留言", closed: "已关闭",
    sla_warning: "即将超时", sla_breached: "已超时" },
  en: { created: "Filed", routed: "Routed", assigned: "Assigned", claimed: "Claimed", declined: "Declined",
    started: "Started", held: "On hold", resumed: "Resumed", resolved: "Resolved", confirmed: "Confirmed",
    reopened: "Reopened", cancelled: "Cancelled", escalated: "Escalated", commented: "Comment",
    closed: "Closed", sla_warning: "Deadline near", sla_breached: "Deadline missed" },
};
const STATUS_NAMES = {
  zh: { triage: "待分派", queued: "已受理", assigned: "已派单", in_progress: "处理中", on_hold: "暂停处理",
    resolved: "待确认", closed: "已完成", cancelled: "已取消" },
  en: { triage: "Awaiting routing", queued: "Queued", assigned: "Assigned", in_progress: "In progress",
    on_hold: "On hold", resolved: "Resolved", closed: "Closed", cancelled: "Cancelled" },
};

const PRIORITY_NAMES = {
  zh: { urgent: "紧急", high: "高", normal: "普通", low: "低" },
  en: { urgent: "urgent", high: "high", normal: "normal", low: "low" },
};

function priorityName(p) {
  return (PRIORITY_NAMES[lang()] || PRIORITY_NAMES.zh)[p] || p || "";
}

function eventName(type) {
  const short = type.replace("work_order.", "");
  return (EVENT_NAMES[lang()] || EVENT_NAMES.zh)[short] || type;
}

function statusName(status) {
  return (STATUS_NAMES[lang()] || STATUS_NAMES.zh)[status] || status || "";
}

const QUEUES = ["engineering", "security", "cleaning", "customer_service"];
const QUEUE_NAMES = {
  zh: { engineering: "工程维修", security: "秩序维护", cleaning: "环境保洁", customer_service: "客户服务" },
  en: { engineering: "Engineering", security: "Security", cleaning: "Cleaning", customer_service: "Customer service" },
};

function lang() {
  return sessionStorage.getItem(LANG_KEY) || (document.documentElement.lang === "en" ? "en" : "zh");
}

function t(key) {
  return TEXT[lang()][key] ?? TEXT.zh[key] ?? key;
}

function queueName(q) {
  return (QUEUE_NAMES[lang()] || QUEUE_NAMES.zh)[q] || q || "—";
}

function translatePage() {
  document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll("[data-tp]")) el.placeholder = t(el.dataset.tp);
}

// Build elements without innerHTML, so nothing from the API is ever parsed as markup.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function notice(message, ok) {
  const el = document.getElementById("notice");
  el.textContent = message;
  el.className = ok ? "notice ok" : "notice";
  el.hidden = !message;
  if (ok) setTimeout(() => { if (el.textContent === message) el.hidden = true; }, 3000);
}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body) {
  const headers = { "Accept-Language": lang() === "en" ? "en" : "zh-CN" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit", cache: "no-store",
  });
  if (response.status === 401 && token()) {
    sessionStorage.removeItem(TOKEN_KEY);
    notice(t("signed_out"));
    showSignIn();
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof data === "object" ? data : { detail: data });
  return data;
}

function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", { hour12: false });
}

// --- signing in -------------------------------------------------------------------------------

let onSignedIn = () => {};

function signIn(newToken) {
  sessionStorage.setItem(TOKEN_KEY, newToken.trim());
  location.reload();
}

async function showSignIn() {
  document.getElementById("signin").hidden = false;
  for (const v of document.querySelectorAll(".view")) v.hidden = true;
  document.getElementById("nav").hidden = true;
  document.getElementById("signout").hidden = true;
  const list = document.getElementById("people");
  list.replaceChildren();
  try {
    const response = await fetch("/desk/dev/people", { credentials: "omit" });
    if (!response.ok) return;  // production: paste a token, or the sign-in page hands one over
    const people = (await response.json()).items;
    for (const p of people) {
      const role = p.department ? `${p.role} · ${queueName(p.department)}` : p.role;
      list.append(h("li", {}, h("button", {
        type: "button", dataset: { person: p.id },
        onclick: async () => {
          const r = await fetch("/desk/dev/token", {
            method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
            body: JSON.stringify({ kind: p.kind, id: p.id }),
          });
          if (r.ok) signIn((await r.json()).token);
        },
      }, p.name, h("small", {}, role))));
    }
    document.getElementById("dev-people").hidden = false;
  } catch (e) { /* no development sign-in here */ }
}

async function startPage(callback) {
  onSignedIn = callback;
  translatePage();
  document.getElementById("lang").addEventListener("click", () => {
    sessionStorage.setItem(LANG_KEY, lang() === "en" ? "zh" : "en");
    location.reload();
  });
  document.getElementById("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  document.getElementById("paste-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = document.getElementById("paste-token").value;
    if (value.trim()) signIn(value);
  });
  // A company sign-in page (same origin, e.g. behind the same gateway) may hand the token over.
  window.addEventListener("message", (e) => {
    if (e.origin === location.origin && e.data && e.data.type === "workorders.token" && e.data.token) {
      signIn(e.data.token);
    }
  });
  if (!token()) return showSignIn();
  let me = null;
  try { me = await api("GET", "/v1/me"); } catch (e) {
    if (e.status === 401) return;
    me = null;  // /v1/me may not exist on this service yet; the token's claims still work
  }
  const claims = decodeClaims(token());
  const who = me && me.name ? me.name : `${claims.role || ""}${claims.dept ? " · " + queueName(claims.dept) : ""}`;
  document.getElementById("who").textContent = who;
  document.getElementById("nav").hidden = false;
  document.getElementById("signout").hidden = false;
  onSignedIn(claims, me);
}

function decodeClaims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) { return {}; }
}
