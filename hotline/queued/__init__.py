"""Queued callback and what a waiting caller hears: position, expected wait, the offer to be called back."""
