// The review page's sampling tool (supervisors): run the day's sample now; the page says what it did.
import { byId, say } from "./page.js";
import { post } from "./http.js";
import { isoDay } from "./format.js";

function summary(done) {
  const counts = Object.values(done.calls_per_lawyer || {});
  if (!done.assigned) return done.message;
  let text = `${done.day}：${counts.length} 位律师共 ${counts.reduce((a, b) => a + b, 0)} 通录音通话，`
    + `新分配 ${done.assigned.length} 条评查任务`;
  if (done.skipped) text += `，${done.skipped} 通已在评查中`;
  if ((done.unassigned || []).length) text += `；${done.unassigned.length} 通抽中的通话没有可指派的评查员（评查员不能评查自己的通话）`;
  return `${text}。`;
}

// ``onSampled()``: new reviews may have been assigned.
export function reviewSampling(onSampled) {
  byId("sample-day").value = isoDay(new Date(Date.now() - 86_400_000));  // yesterday
  byId("run-sample").addEventListener("click", async () => {
    const day = byId("sample-day").value;
    if (!day) { say("请选择抽样日期。", false); return; }
    const done = await post("/api/v1/quality/sample", { day });
    if (!done) return;
    say(summary(done), true);
    onSampled();
  });
}
