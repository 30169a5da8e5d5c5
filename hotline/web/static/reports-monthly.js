// The month's report (月报): whether it is generated, its downloads (PDF and XLSX), generating it
// (again), why the last try failed; for admins, marking it submitted (上报) and by whom.
import { byId, say } from "./page.js";
import { failure, request } from "./http.js";
import { localTime, monthLabel } from "./format.js";
import { keptAction, showKept } from "./report-kept.js";

const IDS = { state: "report-state", pdf: "download-pdf", xlsx: "download-xlsx", error: "report-error" };

// Returns ``show(month)``, which shows that month's report.
export function monthlyReport(canSubmit) {
  let month = null;
  const generate = byId("generate");
  const submit = byId("submit-report");
  const progress = byId("report-progress");

  function render(report) {
    const available = showKept(report, IDS);
    byId("report-submitted").textContent = report && report.submitted_at
      ? `已上报（${report.submitted_by}，${localTime(report.submitted_at)}）`
      : "未上报";
    generate.textContent = available ? "重新生成" : "生成月报";
    if (submit) {
      submit.disabled = !available || !!report.submitted_at;
      submit.textContent = report && report.submitted_at ? "已上报" : "标记已上报";
    }
  }

  async function show(chosen) {
    month = chosen;
    byId("report-title").textContent = `${monthLabel(month)}月报`;
    const result = await request("GET", "/api/v1/reports");
    if (month !== chosen) return;  // another month was chosen meanwhile
    if (!result.ok) {
      say(failure(result, "读取月报失败"), false);
      return;
    }
    render(result.data.find((report) => report.month === month));
  }

  async function act(button, path, busy, done, action) {
    const chosen = month;
    const url = `/api/v1/reports/monthly/${chosen}/${path}`;
    const result = await keptAction(button, progress, "POST", url, undefined, { busy, done, action });
    if (month !== chosen) return;
    if (result.ok) render(result.data);
    else await show(chosen);  // the row says why the generation failed (last_error)
  }

  generate.addEventListener("click", () =>
    act(generate, "generate", "正在生成月报，约需数秒…", "月报已生成。", "生成月报失败"));
  if (canSubmit && submit) {
    submit.addEventListener("click", () =>
      act(submit, "submit", "正在标记上报…", "已标记为已上报。", "标记上报失败"));
  }
  return show;
}
