// The review page's full-text search of transcripts: each hit names the call and the phrase, and
// opens the review (to play from the phrase) when the call is one of the reviewer's.
import { byId, element } from "./page.js";
import { get } from "./http.js";
import { clock, localTime } from "./format.js";
import { LEGS } from "./labels.js";
import { topicOf } from "./review-labels.js";

function snippetOf(hit, q) {
  const snippet = element("span", "snippet");
  const at = hit.snippet.indexOf(q);
  if (at >= 0) {
    snippet.append(hit.snippet.slice(0, at), element("mark", null, q), hit.snippet.slice(at + q.length));
  } else {
    snippet.textContent = hit.snippet;
  }
  return snippet;
}

// ``reviews()``: the list as loaded; ``openReview(id, seconds)``: open one and play from there.
export function reviewSearch(reviews, openReview) {
  byId("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = byId("search-query").value.trim();
    if (!q) return;
    const hits = await get(`/api/v1/transcripts/search?q=${encodeURIComponent(q)}`);
    if (!hits) return;
    byId("search-box").hidden = false;
    byId("search-summary").textContent = hits.length
      ? `“${q}”：找到 ${hits.length} 通电话（检索已记入审计日志）`
      : `“${q}”：没有找到包含该词语的通话。`;
    const list = byId("search-results");
    list.replaceChildren();
    for (const hit of hits) {
      const li = element("li");
      li.dataset.recordingId = hit.recording_id;
      li.dataset.at = hit.at_seconds;
      const lawyer = reviews().find((r) => r.lawyer && r.lawyer === hit.lawyer && r.lawyer_name);
      const facts = [localTime(hit.started_at), lawyer ? lawyer.lawyer_name : hit.lawyer || "—", topicOf(hit),
        `${LEGS[hit.leg] || hit.leg} ${clock(hit.at_seconds)}`].join(" · ");
      li.append(element("span", "hint", `${facts}：`), snippetOf(hit, q));
      const mine = reviews().find((r) => r.recording_id === hit.recording_id);
      if (mine) {
        const open = element("button", "small", "打开评查");
        open.type = "button";
        open.dataset.reviewId = mine.id;
        open.addEventListener("click", () => openReview(mine.id, hit.at_seconds));
        li.append(open);
      } else {
        li.append(element("span", "hint not-mine", "（不在评查任务中）"));
      }
      list.append(li);
    }
  });
}
