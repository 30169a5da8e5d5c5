"""Recordings: the registry of every call recording and voicemail file."""
