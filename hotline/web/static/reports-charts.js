// The reports page's charts, drawn as SVG by Apache ECharts (vendored: vendor/echarts/README.md).
// Each container says data-drawn="true" once its chart is on the page, "false" while it is redrawn.
import * as echarts from "./vendor/echarts/echarts.esm.min.js";

const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];  // the API's weekday 1-7
const HOURS = Array.from({ length: 24 }, (_, hour) => `${hour}时`);
const BLUE = "#1d4e89", GREEN = "#0b7a3e", ORANGE = "#b45309", GREY = "#9aa5b1";

const charts = [];

function chartIn(container) {
  let chart = echarts.getInstanceByDom(container);
  if (!chart) {
    chart = echarts.init(container, null, { renderer: "svg", locale: "ZH" });
    chart.on("finished", () => { container.dataset.drawn = "true"; });
    charts.push(chart);
  }
  return chart;
}

window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));

function draw(container, option) {
  container.dataset.drawn = "false";
  chartIn(container).setOption(
    {
      animation: false,
      // Tooltips drawn inside the chart, not as HTML with inline styles (the CSP refuses those).
      tooltip: { trigger: "axis", renderMode: "richText" },
      textStyle: { fontFamily: "inherit" },
      ...option,
    },
    { notMerge: true },
  );
}

const counts = { type: "value", minInterval: 1 };

// Calls per day: offered (bars), answered and abandoned (lines). ``days``: every day of the period
// (YYYY-MM-DD); ``rows``: the API's rows by day (days without calls are missing there).
export function drawDaily(container, days, rows) {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  const series = (name, key, type, color) => ({
    name, type, color, data: days.map((day) => byDay.get(day)?.[key] ?? 0),
  });
  draw(container, {
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 32 },
    xAxis: { type: "category", data: days.map((day) => day.slice(5)) },
    yAxis: counts,
    series: [
      series("进入队列", "offered", "bar", BLUE),
      series("接通", "answered", "line", GREEN),
      series("放弃", "abandoned", "line", ORANGE),
    ],
  });
}

// Offered calls by hour of the day and weekday, as a heat map. ``rows``: the API's by weekday,hour.
export function drawHours(container, rows) {
  const offered = new Map(rows.map((row) => [`${row.weekday}-${row.hour}`, row.offered]));
  const cells = [];
  for (let weekday = 1; weekday <= 7; weekday++) {
    for (let hour = 0; hour < 24; hour++) cells.push([hour, weekday - 1, offered.get(`${weekday}-${hour}`) ?? 0]);
  }
  const most = Math.max(1, ...cells.map((cellOf) => cellOf[2]));
  draw(container, {
    tooltip: { trigger: "item", renderMode: "richText" },
    grid: { left: 48, right: 16, top: 8, bottom: 84 },
    xAxis: { type: "category", data: HOURS, splitArea: { show: true } },
    yAxis: { type: "category", data: WEEKDAYS, inverse: true, splitArea: { show: true } },
    visualMap: {
      min: 0, max: most, calculable: true, orient: "horizontal", left: "center", bottom: 0,
      itemHeight: 120, inRange: { color: ["#f0f4f8", "#93b4dc", BLUE] },
    },
    series: [{ name: "进入队列", type: "heatmap", data: cells, label: { show: false } }],
  });
}

// Calls and answered calls per topic, most called first. ``named``: [{ name, calls, answered }].
export function drawTopics(container, named) {
  const topics = [...named].sort((a, b) => a.calls - b.calls);  // the axis draws bottom up
  draw(container, {
    legend: { top: 0 },
    grid: { left: 8, right: 24, top: 36, bottom: 24, containLabel: true },
    xAxis: counts,
    yAxis: { type: "category", data: topics.map((t) => t.name) },
    series: [
      { name: "来电量", type: "bar", color: GREY, data: topics.map((t) => t.calls) },
      { name: "接通量", type: "bar", color: BLUE, data: topics.map((t) => t.answered) },
    ],
  });
}
