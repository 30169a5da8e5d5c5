// What every page shares: its data block, the message line, small element builders.

// The page's data: a JSON block, not a script (the Content-Security-Policy runs no inline script).
export function pageData() {
  return JSON.parse(document.getElementById("hotline-data")?.textContent || "{}");
}

export const byId = (id) => document.getElementById(id);

// The page's message line (#message): a notice (ok) or an error.
export function say(text, ok) {
  const box = byId("message");
  box.hidden = false;
  box.className = ok ? "notice" : "error";
  box.textContent = text;
}

export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

export function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// A small button appended to ``parent``.
export function button(parent, label, onClick, className) {
  const b = element("button", className ? `small ${className}` : "small", label);
  b.type = "button";
  b.addEventListener("click", onClick);
  parent.append(b);
  return b;
}

export function badge(text, className) {
  return element("span", `badge ${className}`, text);
}

// A row saying the table has nothing to show (``text``) over ``columns`` columns.
export function emptyRow(body, text, columns) {
  const row = body.insertRow();
  row.className = "empty";
  cell(row, text).colSpan = columns;
  return row;
}
