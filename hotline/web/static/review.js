// Quality review: my reviews (review-list.js), the audited player (review-player.js) synced to the
// transcript (review-transcript.js), the scorecard (review-scorecard.js); for supervisors the
// calibration table and the sample; full-text search of transcripts.
import { byId, pageData } from "./page.js";
import { get } from "./http.js";
import { duration, localTime, rating } from "./format.js";
import { inWorkOrder, listUrl, renderList } from "./review-list.js";
import { reviewPlayer } from "./review-player.js";
import { reviewTranscript } from "./review-transcript.js";
import { reviewScorecard } from "./review-scorecard.js";
import { showCalibration } from "./review-calibration.js";
import { reviewSearch } from "./review-search.js";
import { reviewSampling } from "./review-sampling.js";
import { REASONS, topicOf } from "./review-labels.js";

const { canManage, username } = pageData();

let reviews = [];   // the list, as GET /api/v1/reviews
let review = null;  // the open review, as GET /api/v1/reviews/{id}
const current = () => review;

const player = reviewPlayer(current, reviewTranscript(current));
const scorecard = reviewScorecard({
  username,
  onSaved(saved) {
    review = saved;
    const index = reviews.findIndex((r) => r.id === saved.id);
    if (index >= 0) reviews[index] = saved;
    showList();
  },
  onLocked: (id) => openReview(id),
});

function showList() {
  renderList(reviews, { openId: review && review.id, canManage, onOpen: (id) => openReview(id) });
}

async function loadReviews() {
  const list = await get(listUrl(canManage));
  if (!list) return;
  reviews = inWorkOrder(list);
  showList();
  const wanted = /^#review-(\d+)$/.exec(location.hash);
  if (!review && wanted) openReview(Number(wanted[1]));
}

function renderFacts() {
  const call = review.call || {};
  byId("review-title").textContent = `通话评查 #${review.id}`;
  const lawyer = review.lawyer_name ? `${review.lawyer_name}（${review.lawyer}）` : review.lawyer || "—";
  const facts = {
    "fact-started": localTime(call.started_at),
    "fact-lawyer": lawyer,
    "fact-topic": topicOf(call),
    "fact-caller": call.caller || "—",
    "fact-talk": duration(call.talk_seconds),
    "fact-rating": rating(call.rating),
    "fact-reason": REASONS[review.reason] || review.reason,
    "fact-reviewer": review.reviewer,
  };
  for (const [id, text] of Object.entries(facts)) byId(id).textContent = text;
  if (review.calibration_group) byId("fact-reason").textContent += `（校准组 ${review.calibration_group}）`;
}

// Open review ``id`` (again); ``seek``: play from there once the recording is loaded (a search hit).
async function openReview(id, seek) {
  const same = review && review.id === id;
  if (scorecard.dirty && !same && !confirm("当前评分尚未保存，确定切换到其他评查任务吗？")) return;
  if (!(same && scorecard.dirty)) {  // unsaved scores of this review stay in the form
    const data = await get(`/api/v1/reviews/${id}`);
    if (!data) return;
    if (!review || review.id !== data.id) player.stop();
    review = data;
    history.replaceState(null, "", `#review-${id}`);
    byId("pick").hidden = true;
    byId("review").hidden = false;
    byId("review").dataset.reviewId = review.id;
    showList();
    renderFacts();
    scorecard.show(review);
    if (canManage) showCalibration(review, current);
    else byId("calibration").hidden = true;
  }
  player.seek(seek);
}

reviewSearch(() => reviews, openReview);
if (canManage) {
  reviewSampling(loadReviews);
  byId("filter-reviewer").addEventListener("change", loadReviews);
}
byId("filter-state").addEventListener("change", loadReviews);

loadReviews();
