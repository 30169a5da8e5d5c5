// The review page's list: my reviews (a supervisor's: everyone's), filtered by state and reviewer.
import { byId, element } from "./page.js";
import { localDate, points, rating } from "./format.js";
import { REASONS, REVIEW_STATES, topicOf } from "./review-labels.js";

// GET /api/v1/reviews with the filters' values.
export function listUrl(canManage) {
  const query = new URLSearchParams();
  const state = byId("filter-state").value;
  const reviewer = canManage ? byId("filter-reviewer").value.trim() : "";
  if (state) query.set("state", state);
  if (reviewer) query.set("reviewer", reviewer);
  return `/api/v1/reviews${query.toString() ? `?${query}` : ""}`;
}

// To do first (待评), then the rest; newest first within each, as the server sends them.
export function inWorkOrder(list) {
  return list.filter((r) => r.state === "assigned").concat(list.filter((r) => r.state !== "assigned"));
}

// ``openId``: the review open beside the list; ``onOpen(id)``: a review picked.
export function renderList(reviews, { openId, canManage, onOpen }) {
  const list = byId("reviews");
  list.replaceChildren();
  byId("no-reviews").hidden = reviews.length > 0;
  for (const r of reviews) {
    const li = element("li", `review-item state-${r.state}`);
    li.dataset.reviewId = r.id;
    li.dataset.recordingId = r.recording_id;
    li.dataset.state = r.state;
    li.tabIndex = 0;
    li.setAttribute("role", "button");
    if (openId === r.id) li.setAttribute("aria-current", "true");
    const call = r.call || {};

    const top = element("div", "line");
    const reason = element("span", `badge reason-${r.reason}`, REASONS[r.reason] || r.reason);
    reason.dataset.reason = r.reason;
    top.append(reason, element("span", `badge review-${r.state}`, REVIEW_STATES[r.state] || r.state),
      element("strong", "lawyer", r.lawyer_name || r.lawyer || "—"));
    if (r.state === "submitted") {
      const total = element("span", "list-total", points(r.total));
      if (r.auto_failed) total.classList.add("failed");
      top.append(total);
    }
    const middle = element("div", "line hint", `${localDate(call.started_at)} · ${topicOf(call)}`);
    const bottom = element("div", "line hint", `${call.caller || "—"} · 评价 ${rating(call.rating)}`);
    if (canManage) bottom.textContent += ` · 评查员 ${r.reviewer}`;
    li.append(top, middle, bottom);

    li.addEventListener("click", () => onOpen(r.id));
    li.addEventListener("keydown", (event) => { if (event.key === "Enter") onOpen(r.id); });
    list.append(li);
  }
}
