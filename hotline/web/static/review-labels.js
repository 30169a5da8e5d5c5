// The review page's words for the API's codes.

export const REASONS = { sample: "抽查", "low-rating": "差评复核", calibration: "校准", manual: "指派" };
export const REVIEW_STATES = { assigned: "待评", submitted: "已提交" };

export function topicOf(call) {
  return call.topic_label || call.topic || "未选择";
}
