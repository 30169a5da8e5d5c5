// The desk's 我的考核: the lawyer's last published assessment (total, grade, ranks, each item) and the
// trend of the 12 months before.
import { byId, cell, emptyRow } from "./page.js";
import { get } from "./http.js";
import { monthLabel } from "./format.js";

export async function showMyAssessment(month) {
  const data = await get(`/api/v1/assessment/mine/${month}`, "读取考核结果失败");
  if (!data) return;
  const latest = data.latest;
  const line = byId("my-assessment-latest");
  if (!latest) {
    line.textContent = "尚无已发布的考核结果。";
  } else {
    const last = data.trend[data.trend.length - 1];
    const firm = latest.firm_rank === null ? "" : `，所内第 ${latest.firm_rank} 名`;
    const items = latest.items
      .filter((item) => item.points !== null)
      .map((item) => `${item.label} ${item.points.toFixed(1)}/${item.weight}`)
      .join("；");
    line.textContent = `${monthLabel(last.month)}：${latest.total.toFixed(1)} 分，${latest.grade}，第 ${latest.rank} 名${firm}。${items}`;
  }
  const body = byId("my-assessment-trend").tBodies[0];
  body.replaceChildren();
  if (!data.trend.length) emptyRow(body, "—", 4);
  for (const point of data.trend) {
    const row = body.insertRow();
    cell(row, monthLabel(point.month));
    cell(row, point.total.toFixed(1), "number");
    cell(row, point.grade);
    cell(row, String(point.rank), "number");
  }
}
