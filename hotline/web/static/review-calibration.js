// The review page's calibration table (supervisors): how the reviewers of one call scored each item.
import { byId, cell, element } from "./page.js";
import { get } from "./http.js";

const number = (value) => (value === null || value === undefined ? "—" : String(Math.round(value * 10) / 10));

// ``review``'s calibration group, if it has one; ``current()``: the review open when it arrives.
export async function showCalibration(review, current) {
  const box = byId("calibration");
  box.hidden = true;
  if (!review.calibration_group) return;
  const data = await get(`/api/v1/calibrations/${encodeURIComponent(review.calibration_group)}`);
  if (!data || current()?.id !== review.id) return;
  const head = box.querySelector("thead tr");
  head.replaceChildren();
  for (const title of ["评分项", ...data.reviewers, "平均", "最低", "最高", "分差"]) head.append(element("th", null, title));
  const body = box.querySelector("tbody");
  body.replaceChildren();
  // Only submitted reviews are compared; null is 不适用.
  const submitted = new Set(data.submitted || data.reviewers);
  const given = (name, value) => (!submitted.has(name) ? "未提交" : value === null ? "不适用" : number(value));
  for (const item of data.items) {
    const row = body.insertRow();
    row.dataset.item = item.key;
    if (item.spread > 0) row.className = "spread";
    cell(row, item.label);
    for (const name of data.reviewers) cell(row, given(name, item.scores[name]), "number");
    cell(row, number(item.mean), "number");
    cell(row, number(item.min), "number");
    cell(row, number(item.max), "number");
    cell(row, number(item.spread), "number item-spread");
  }
  const totals = body.insertRow();
  totals.className = data.total_spread > 0 ? "totals spread" : "totals";
  cell(totals, "总分");
  for (const name of data.reviewers) cell(totals, given(name, data.totals[name]), "number");
  cell(totals, "");
  cell(totals, "");
  cell(totals, "");
  cell(totals, number(data.total_spread), "number item-spread");
  box.hidden = false;
}
