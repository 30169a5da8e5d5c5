// Requests to the API: the session's CSRF token on every change, JSON both ways, and errors as the
// API words them for the pages (``message_zh``, from hotline/error_catalogue.py).
import { say } from "./page.js";

const CSRF_HEADER = "X-CSRF-Token";
const READS = new Set(["GET", "HEAD"]);

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

// The answer as ``{ ok, status, data }`` (data: the JSON body, {} when there is none); never throws.
// ``extra``: more headers (e.g. a video consultation's own secret).
export async function request(method, url, body, extra = {}) {
  const headers = { ...extra };
  if (!READS.has(method)) headers[CSRF_HEADER] = csrfToken();
  const options = { method, credentials: "same-origin", headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    return { ok: false, status: 0, data: { message_zh: "无法连接服务器，请检查网络后重试。" } };
  }
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

// Why a request failed, for the user: the API's Chinese sentence, else its English one.
export function errorText(data) {
  if (data.message_zh) return data.message_zh;
  if (data.message) return data.message;
  return typeof data.detail === "string" ? data.detail : "请稍后重试。";
}

// "操作失败（ticket-closed）：…": what failed (``action``), the error's id (or status), why.
export function failure(result, action = "操作失败") {
  return `${action}（${result.data.error_id || result.status}）：${errorText(result.data)}`;
}

// The answer's data, or null once the page's message line says why it failed.
async function answer(pending, action) {
  const result = await pending;
  if (result.ok) return result.data;
  say(failure(result, action), false);
  return null;
}

export const get = (url, action) => answer(request("GET", url), action);
export const post = (url, body = {}, action) => answer(request("POST", url, body), action);
export const put = (url, body, action) => answer(request("PUT", url, body), action);
export const patch = (url, body, action) => answer(request("PATCH", url, body), action);
