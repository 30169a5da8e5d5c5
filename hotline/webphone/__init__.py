"""The browser phone (浏览器话机): a lawyer answers in the desk, over WebRTC, with short-lived SIP
credentials issued to the signed-in desk and written into Asterisk's database (no reload)."""
