// The month's assessment of the lawyers (律师动态考核) on the reports page: published (its version) or
// as it stands, the table by rank, the workbook, and for supervisors publishing it.
import { byId, cell, emptyRow } from "./page.js";
import { get, post } from "./http.js";
import { localTime, monthLabel } from "./format.js";

// Returns ``show(month)``, which shows that month's assessment.
export function assessmentSection(canPublish) {
  let month = null;
  const publish = byId("publish-assessment");

  function render(data) {
    byId("assessment-state").textContent = data.version
      ? `${monthLabel(data.month)}：已发布第 ${data.version} 版（${data.published_by}，${localTime(data.published_at)}）`
      : `${monthLabel(data.month)}：尚未发布，以下为按当前数据计算的结果`;
    byId("assessment-xlsx").href = `/api/v1/reports/assessment/${data.month}.xlsx`;
    const body = byId("assessment-table").tBodies[0];
    body.replaceChildren();
    if (!data.results.length) emptyRow(body, "没有在册律师", 6);
    for (const result of data.results) {
      const row = body.insertRow();
      row.dataset.extension = result.extension;
      cell(row, String(result.rank), "number");
      cell(row, `${result.name}（${result.extension}）`);
      cell(row, result.firm || "—");
      cell(row, result.total.toFixed(1), "number");
      cell(row, result.grade);
      cell(row, result.firm_rank === null ? "—" : String(result.firm_rank), "number");
    }
  }

  async function show(chosen) {
    month = chosen;
    const data = await get(`/api/v1/assessment/${month}`, "读取考核结果失败");
    if (data && data.month === month) render(data);
  }

  if (canPublish && publish) {
    publish.addEventListener("click", async () => {
      if (!month) return;
      const data = await post(`/api/v1/assessment/${month}/publish`, {}, "发布考核失败");
      if (data) render(data);
    });
  }
  return show;
}
