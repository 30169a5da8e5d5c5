// A report of a month kept by the server (the monthly report, the criticism report), shown the same
// way on every page: whether and by whom it was generated, its downloads, why the last try failed;
// and an action on it (generate, submit...) with its progress.
import { byId, say } from "./page.js";
import { failure, request } from "./http.js";
import { localTime } from "./format.js";

// Shows ``report`` (or none) in the elements ``ids`` names: state, pdf, xlsx, error. Returns
// whether a generated version is there.
export function showKept(report, ids) {
  const available = !!(report && report.available);
  byId(ids.state).textContent = available
    ? `已生成（${localTime(report.generated_at)}，${report.generated_by}）`
    : "尚未生成";
  for (const format of ["pdf", "xlsx"]) {
    const link = byId(ids[format]);
    const href = available ? report.downloads[format] : undefined;
    link.hidden = !href;
    if (href) link.href = href; else link.removeAttribute("href");
  }
  const error = byId(ids.error);
  error.hidden = !(report && report.last_error);
  error.textContent = error.hidden
    ? ""
    : `上次生成失败（${localTime(report.last_attempt_at)}）：${report.last_error}`;
  return available;
}

// Sends one action, the button busy and ``progress`` saying so meanwhile; a failure is said on the
// page. Returns the answer (``{ ok, status, data }``).
export async function keptAction(button, progress, method, url, body, { busy, done, action }) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  progress.textContent = busy;
  const result = await request(method, url, body);
  button.removeAttribute("aria-busy");
  button.disabled = false;
  progress.textContent = result.ok ? done : "";
  if (!result.ok) say(failure(result, action), false);
  return result;
}
