"""The Asterisk Manager Interface.

Typed events and actions (pure code), and the one client that owns the socket.
"""
