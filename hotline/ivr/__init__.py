"""Intake: declarative IVR flows, the topic catalog, office hours and holidays, prompts."""
