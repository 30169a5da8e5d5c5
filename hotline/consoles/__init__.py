"""The consoles: the supervisor's wallboard and the lawyer's desk, live, and what they do to calls."""
