// The manager's figures: /v1/reports/summary drawn with Chart.js (vendored, served by the service).
"use strict";

const charts = {};

function hours(iso) {
  // ISO 8601 durations as the API writes them: P1DT2H3M4S.
  if (!iso) return null;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) return null;
  const [d, hh, mm, ss] = m.slice(1).map((x) => Number(x || 0));
  return Math.round((d * 24 + hh + mm / 60 + ss / 3600) * 10) / 10;
}

function pct(x) { return x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`; }

function groupName(item, groupBy) {
  if (groupBy === "queue") return queueName(item.group);
  return item.label || item.group || "—";
}

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
  charts[id] = new Chart(document.getElementById(id), config);
}

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function period() {
  const from = new Date(`${document.getElementById("from").value}T00:00:00`);
  const to = new Date(`${document.getElementById("to").value}T00:00:00`);
  to.setDate(to.getDate() + 1);  // the chosen last day is included
  return { from: from.toISOString(), to: to.toISOString() };
}

async function summary(groupBy) {
  const p = period();
  const params = new URLSearchParams({ from: p.from, to: p.to, group_by: groupBy });
  return (await api("GET", `/v1/reports/summary?${params}`)).items;
}

async function load() {
  const groupBy = document.getElementById("group-by").value;
  try {
    const [byDay, byQueue, selected] = await Promise.all([
      summary("day"), summary("queue"), summary(groupBy),
    ]);
    draw("chart-volume", {
      type: "bar",
      data: { labels: byDay.map((i) => i.group), datasets: [
        { label: t("filed"), data: byDay.map((i) => i.filed), backgroundColor: "#1f6feb" },
        { label: t("backlog"), data: byDay.map((i) => i.backlog), backgroundColor: "#bf8700" },
      ] },
    });
    draw("chart-compliance", {
      type: "bar",
      data: { labels: byQueue.map((i) => queueName(i.group)), datasets: ["respond", "start", "resolve"].map((c, n) => ({
        label: t(c), data: byQueue.map((i) => (i.compliance[c] === null ? null : i.compliance[c] * 100)),
        backgroundColor: ["#1a7f37", "#54aeff", "#8250df"][n],
      })) },
      options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } } },
    });
    draw("chart-resolve", {
      type: "bar",
      data: { labels: selected.map((i) => groupName(i, groupBy)), datasets: [
        { label: "P50", data: selected.map((i) => hours(i.time_to_resolve.p50)), backgroundColor: "#54aeff" },
        { label: "P90", data: selected.map((i) => hours(i.time_to_resolve.p90)), backgroundColor: "#0550ae" },
      ] },
    });
    draw("chart-ratings", {
      type: "bar",
      data: { labels: selected.map((i) => groupName(i, groupBy)), datasets: [
        { label: t("rating_avg"), data: selected.map((i) => i.rating_avg), backgroundColor: "#1a7f37", yAxisID: "y" },
        { label: t("low_share"), data: selected.map((i) => (i.low_rating_share === null ? null : i.low_rating_share * 100)), backgroundColor: "#cf222e", yAxisID: "y1" },
      ] },
      options: { scales: { y: { min: 0, max: 5, position: "left" }, y1: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false }, ticks: { callback: (v) => `${v}%` } } } },
    });
    table(selected, groupBy);
    document.body.dataset.figures = "drawn";
  } catch (e) {
    notice(e.status === 403 ? t("forbidden") : e.message);
  }
}

function table(items, groupBy) {
  const columns = [
    [t("group"), (i) => groupName(i, groupBy)], [t("filed"), (i) => i.filed], [t("backlog"), (i) => i.backlog],
    [`${t("respond")} %`, (i) => pct(i.compliance.respond)], [`${t("start")} %`, (i) => pct(i.compliance.start)],
    [`${t("resolve")} %`, (i) => pct(i.compliance.resolve)],
    [`${t("ttresp")} P50/P90`, (i) => `${hours(i.time_to_respond.p50) ?? "—"} / ${hours(i.time_to_respond.p90) ?? "—"} h`],
    [`${t("ttr")} P50/P90`, (i) => `${hours(i.time_to_resolve.p50) ?? "—"} / ${hours(i.time_to_resolve.p90) ?? "—"} h`],
    [t("rating_avg"), (i) => i.rating_avg ?? "—"], [t("low_share"), (i) => pct(i.low_rating_share)],
    [t("reopen_rate"), (i) => pct(i.reopen_rate)], [t("repeat_rate"), (i) => pct(i.repeat_repair_rate)],
  ];
  if (groupBy === "assignee") columns.push([t("load"), (i) => i.load ?? "—"], [t("ftf"), (i) => pct(i.first_time_fix_rate)]);
  const tableEl = document.getElementById("summary");
  tableEl.querySelector("thead").replaceChildren(h("tr", {}, columns.map(([name], n) => h("th", { class: n ? "num" : "" }, name))));
  tableEl.querySelector("tbody").replaceChildren(...items.map((i) => h("tr", {}, columns.map(([, f], n) => h("td", { class: n ? "num" : "" }, f(i))))));
}

async function downloadCsv(e) {
  e.preventDefault();
  const p = period();
  const params = new URLSearchParams({ from: p.from, to: p.to, group_by: document.getElementById("group-by").value, format: "csv" });
  const response = await fetch(`/v1/reports/summary?${params}`, { headers: { Authorization: `Bearer ${token()}` }, credentials: "omit" });
  if (!response.ok) return notice(t("forbidden"));
  const url = URL.createObjectURL(await response.blob());
  const a = h("a", { href: url, download: `summary-${params.get("group_by")}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

document.addEventListener("DOMContentLoaded", () => startPage(() => {
  const today = new Date();
  const start = new Date(today);
  start.setDate(start.getDate() - 29);
  document.getElementById("from").value = isoDay(start);
  document.getElementById("to").value = isoDay(today);
  document.getElementById("view-figures").hidden = false;
  document.getElementById("period").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  document.getElementById("group-by").addEventListener("change", load);
  document.getElementById("csv").addEventListener("click", downloadCsv);
  load();
}));
