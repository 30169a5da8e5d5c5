// Live pages: a Server-Sent Events stream, and the server's clock for counters between updates.

// Server time minus browser time, from the last message.
let skew = 0;

// Now, in seconds, by the server's clock.
export const now = () => Date.now() / 1000 + skew;

// Follow ``url``; each message goes to ``render``. The browser reconnects by itself after an outage.
export function live(url, render) {
  const status = document.getElementById("live-status");
  const source = new EventSource(url);
  source.onopen = () => { status.textContent = "已连接"; status.dataset.state = "open"; };
  source.onerror = () => { status.textContent = "连接中断，正在重连…"; status.dataset.state = "error"; };
  source.onmessage = (event) => {
    const data = JSON.parse(event.data);
    skew = data.at - Date.now() / 1000;
    render(data);
  };
  return source;
}
