// Reports: a month's figures (last month by default) or those of chosen days, from /api/v1/stats:
// KPI tiles against the period before, charts (reports-charts.js), per-topic and per-lawyer tables;
// the month's report to download, generate and submit (reports-monthly.js).
import { byId, cell, emptyRow, pageData, say } from "./page.js";
import { failure, request } from "./http.js";
import { duration, figure, figureChange, monthLabel } from "./format.js";
import { drawDaily, drawHours, drawTopics } from "./reports-charts.js";
import { monthlyReport } from "./reports-monthly.js";
import { assessmentSection } from "./reports-assessment.js";

const { canSubmit, canPublish, defaultMonth } = pageData();
const showReport = monthlyReport(canSubmit);
const showAssessment = assessmentSection(canPublish);

// --- periods: local days as YYYY-MM-DD, ``until`` not included (as the API counts them) ---------

function addDays(day, count) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + count);
  return date.toISOString().slice(0, 10);
}

function addMonths(month, count) {
  const [year, number] = month.split("-").map(Number);
  const index = year * 12 + number - 1 + count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

function daysOf(first, until) {
  const days = [];
  for (let day = first; day < until; day = addDays(day, 1)) days.push(day);
  return days;
}

function monthPeriod(month) {
  const before = addMonths(month, -1);
  return {
    from: `${month}-01`, until: `${addMonths(month, 1)}-01`, label: monthLabel(month),
    previous: { from: `${before}-01`, until: `${month}-01` }, against: "较上月",
  };
}

// ``last`` is the last day counted; the period before is as many days, just before.
function daysPeriod(first, last) {
  const until = addDays(last, 1);
  const count = daysOf(first, until).length;
  return {
    from: first, until, label: `${first} 至 ${last}（${count} 天）`,
    previous: { from: addDays(first, -count), until: first }, against: "较上期",
  };
}

function stats(period, by) {
  const query = new URLSearchParams({ from: period.from, until: period.until });
  if (by) query.set("by", by);
  return request("GET", `/api/v1/stats?${query}`);
}

// --- what the page shows -------------------------------------------------------------------------

function showTiles(total, before, against) {
  for (const tile of document.querySelectorAll("#tiles .tile")) {
    const { kpi, kind, better } = tile.dataset;
    tile.querySelector(".tile-value").textContent = figure(total[kpi], kind);
    const change = figureChange(total[kpi], before[kpi], kind);
    const line = tile.querySelector(".tile-change");
    line.textContent = change ? `${against} ${change.text}` : `${against}：无可比数据`;
    const good = change ? change.direction * (better === "lower" ? -1 : 1) : 0;
    line.className = `tile-change${good > 0 ? " good" : good < 0 ? " bad" : ""}`;
  }
}

const topicName = (labels, topic) => (labels.topic || {})[topic] || topic || "未选择";

function showTopics(answer) {
  const body = document.querySelector("#topics tbody");
  body.replaceChildren();
  const rows = [...answer.rows].sort((a, b) => b.calls - a.calls);
  if (!rows.length) emptyRow(body, "本期无来电", 8);
  for (const row of rows) {
    const tr = body.insertRow();
    tr.dataset.topic = row.topic || "";
    cell(tr, topicName(answer.labels, row.topic));
    cell(tr, figure(row.calls, "int"), "number");
    cell(tr, figure(row.answered, "int"), "number");
    cell(tr, figure(row.answer_rate, "percent"), "number");
    cell(tr, figure(row.abandon_rate, "percent"), "number");
    cell(tr, figure(row.asa, "seconds"), "number");
    cell(tr, figure(row.satisfaction_rate, "percent"), "number");
    cell(tr, figure(row.tickets, "int"), "number");
  }
  return rows.map((row) => ({ name: topicName(answer.labels, row.topic), calls: row.calls, answered: row.answered }));
}

function showLawyers(answer) {
  const body = document.querySelector("#lawyers tbody");
  body.replaceChildren();
  const names = answer.labels.lawyer || {};
  // Calls no lawyer answered have no lawyer: they are in the totals, not here.
  const rows = answer.rows.filter((row) => row.lawyer).sort((a, b) => b.answered - a.answered);
  if (!rows.length) emptyRow(body, "本期无律师接听的来电", 7);
  for (const row of rows) {
    const tr = body.insertRow();
    tr.dataset.lawyer = row.lawyer;
    cell(tr, names[row.lawyer] || row.lawyer);
    cell(tr, row.lawyer);
    cell(tr, figure(row.answered, "int"), "number");
    const talk = row.average_talk === null ? 0 : row.average_talk * row.answered;
    cell(tr, duration(talk), "number");
    cell(tr, duration(row.average_talk), "number");
    cell(tr, figure(row.satisfaction_rate, "percent"), "number");
    cell(tr, figure(row.qa_average, "number"), "number");
  }
}

let shown = 0;  // the latest period asked for: an older answer arriving late is dropped

async function showPeriod(period) {
  const mine = ++shown;
  byId("message").hidden = true;
  byId("period-label").textContent = `统计期间：${period.label}（与${period.against.slice(1)}对比）`;
  const answers = await Promise.all([
    stats(period), stats(period.previous), stats(period, "day"), stats(period, "weekday,hour"),
    stats(period, "topic"), stats(period, "lawyer"),
  ]);
  if (mine !== shown) return;
  const failed = answers.find((answer) => !answer.ok);
  if (failed) {
    say(failure(failed, "读取统计失败"), false);
    return;
  }
  const [total, before, days, hours, topics, lawyers] = answers.map((answer) => answer.data);
  showTiles(total.total, before.total, period.against);
  drawDaily(byId("chart-daily"), daysOf(period.from, period.until), days.rows);
  drawHours(byId("chart-hours"), hours.rows);
  drawTopics(byId("chart-topics"), showTopics(topics));
  showLawyers(lawyers);
}

// --- the period picker ---------------------------------------------------------------------------

const monthInput = byId("month"), fromInput = byId("from"), untilInput = byId("until");

function chosenMonth() {
  return /^\d{4}-\d{2}$/.test(monthInput.value) ? monthInput.value : null;
}

function showMonth() {
  const month = chosenMonth();
  if (!month) {
    say("请选择统计月份，如 2026-11。", false);
    return;
  }
  byId("clear-days").hidden = true;
  showPeriod(monthPeriod(month));
  showReport(month);
  showAssessment(month);
}

byId("period").addEventListener("submit", (event) => {
  event.preventDefault();
  const first = fromInput.value, last = untilInput.value;
  if (!first && !last) {
    showMonth();
    return;
  }
  if (!first || !last || last < first) {
    say("请填写开始和结束日期，结束日期不早于开始日期。", false);
    return;
  }
  byId("clear-days").hidden = false;
  showPeriod(daysPeriod(first, last));
});

monthInput.addEventListener("change", () => {
  fromInput.value = untilInput.value = "";
  showMonth();
});

byId("clear-days").addEventListener("click", () => {
  fromInput.value = untilInput.value = "";
  showMonth();
});

monthInput.value ||= defaultMonth;
showMonth();
