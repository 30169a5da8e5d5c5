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

// 2026-11 -> 2026年11月
export function monthLabel(month) {
  const [year, number] = month.split("-");
  return `${Number(year)}年${Number(number)}月`;
}

// A statistic as the reports page shows it, by its kind (hotline/stats/definitions.py):
// 1,234 (int), 60.0% (percent), 18.8 秒 (seconds), 0.3 小时 (hours), 72.5 (number).
export function figure(value, kind) {
  if (missing(value)) return NONE;
  if (kind === "percent") return `${(value * 100).toFixed(1)}%`;
  if (kind === "seconds") return `${value.toFixed(1)} 秒`;
  if (kind === "hours") return `${value.toFixed(1)} 小时`;
  if (kind === "number") return value.toFixed(1);
  return value.toLocaleString("zh-CN");
}

// How a statistic moved from ``before`` to ``now``: { direction: 1 | 0 | -1, text: "▲ 2" }, a rate
// in percentage points ("▼ 5.0 个百分点"); null when either is missing.
export function figureChange(now, before, kind) {
  if (missing(now) || missing(before)) return null;
  const delta = kind === "percent" ? (now - before) * 100 : now - before;
  const amount = kind === "int" ? Math.abs(delta).toLocaleString("zh-CN") : Math.abs(delta).toFixed(1);
  if (Number(amount.replace(/,/g, "")) === 0) return { direction: 0, text: "持平" };
  const unit = { percent: " 个百分点", seconds: " 秒", hours: " 小时" }[kind] || "";
  return { direction: Math.sign(delta), text: `${delta > 0 ? "▲" : "▼"} ${amount}${unit}` };
}
