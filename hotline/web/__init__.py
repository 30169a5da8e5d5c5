"""Web pages (Jinja2, zh-CN): sign-in with a session cookie, CSRF-checked forms."""
