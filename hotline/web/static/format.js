// Times, dates, durations and points as the pages show them (zh-CN).

const NONE = "—";
const missing = (value) => value === null || value === undefined;

// 2026/11/29 14:03:05
export function localTime(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : NONE;
}

// 2026/11/29
export function localDate(iso) {
  return iso ? new Date(iso).toLocaleDateString("zh-CN") : NONE;
}

// 14:03:05 (now, by default)
export function timeOfDay(date = new Date()) {
  return date.toLocaleTimeString("zh-CN", { hour12: false });
}

// 2026-11-29, the browser's day (an <input type="date"> value).
export function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// A position in a recording: 1:05
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// 45 秒, 3 分 5 秒, 2 小时 10 分
export function duration(seconds) {
  if (missing(seconds)) return NONE;
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  if (h) return `${h} 小时 ${m} 分`;
  if (m) return `${m} 分 ${s} 秒`;
  return `${s} 秒`;
}

// As duration, in days and hours from a day on: 2 天 3 小时
export function longDuration(seconds) {
  const days = Math.floor(seconds / 86400);
  if (!days) return duration(seconds);
  return `${days} 天 ${Math.floor((seconds % 86400) / 3600)} 小时`;
}

export function percent(ratio) {
  return missing(ratio) ? NONE : `${Math.round(ratio * 100)}%`;
}

// A score: 94.7 分
export function points(total) {
  return missing(total) ? NONE : `${Math.round(total * 10) / 10} 分`;
}

// The caller's rating (1-5) of a call.
export function rating(value) {
  return missing(value) ? "未评价" : `${value} 分`;
}
