"""Transcription: offline Vosk speech recognition of recordings, per leg, with search and keyword alerts."""
