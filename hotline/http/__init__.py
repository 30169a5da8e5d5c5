"""The HTTP edge every context shares: forwarded headers from a trusted proxy, security headers,
live push (Server-Sent Events), how uvicorn serves the app."""
