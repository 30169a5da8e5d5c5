// The month's analysis of citizens' criticism (群众批评意见分析报告) on the leader's page: whether it
// is generated, its downloads, generating it again, the measures taken (整改措施, saved and the
// report generated again with them) and, for supervisors, publishing it (上报).
import { byId, say } from "./page.js";
import { failure, request } from "./http.js";
import { localTime, monthLabel } from "./format.js";
import { keptAction, showKept } from "./report-kept.js";

const IDS = { state: "analysis-state", pdf: "analysis-pdf", xlsx: "analysis-xlsx", error: "analysis-error" };

export function criticismReport(canPublish) {
  const monthInput = byId("analysis-month");
  const generate = byId("analysis-generate");
  const publish = byId("analysis-publish");
  const progress = byId("analysis-progress");
  let month = monthInput.value;

  function render(report) {
    const available = showKept(report, IDS);
    byId("analysis-measures-state").textContent = report && report.measures
      ? `已填写（${report.measures_by}，${localTime(report.measures_at)}）`
      : "尚未填写";
    byId("analysis-published").textContent = report && report.submitted_at
      ? `已发布（${report.submitted_by}，${localTime(report.submitted_at)}）`
      : "未发布";
    byId("measures").value = (report && report.measures) || "";
    byId("measures-form").hidden = !!(report && report.submitted_at);
    generate.textContent = available ? "重新生成" : "生成报告";
    if (publish) {
      publish.disabled = !available || !(report && report.measures) || !!report.submitted_at;
      publish.textContent = report && report.submitted_at ? "已发布" : "发布（上报）";
    }
  }

  async function show() {
    const chosen = month;
    byId("analysis-title").textContent = `${monthLabel(month)}群众批评意见分析报告`;
    const result = await request("GET", "/api/v1/reports/criticism");
    if (month !== chosen) return;  // another month was chosen meanwhile
    if (!result.ok) {
      say(failure(result, "读取分析报告失败"), false);
      return;
    }
    render(result.data.find((report) => report.month === month));
  }

  async function act(button, method, path, body, busy, done, action) {
    const chosen = month;
    const url = `/api/v1/reports/criticism/${chosen}/${path}`;
    const result = await keptAction(button, progress, method, url, body, { busy, done, action });
    if (month !== chosen) return;
    if (result.ok) render(result.data);
    else await show();
  }

  monthInput.addEventListener("change", () => {
    if (!monthInput.value) return;
    month = monthInput.value;
    show();
  });
  generate.addEventListener("click", () =>
    act(generate, "POST", "generate", undefined, "正在生成报告，约需数秒…", "报告已生成。", "生成报告失败"));
  byId("measures-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter || byId("measures-form").querySelector("button");
    act(button, "PUT", "measures", { text: byId("measures").value }, "正在保存整改措施并重新生成报告…",
      "整改措施已保存，报告已重新生成。", "保存整改措施失败");
  });
  if (canPublish && publish) {
    publish.addEventListener("click", () =>
      act(publish, "POST", "submit", undefined, "正在发布…", "报告已发布（上报）。", "发布报告失败"));
  }
  return show;
}
