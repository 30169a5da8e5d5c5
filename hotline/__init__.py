"""12348 public legal service hotline: call control on Asterisk, call records, recordings."""

__version__ = "0.1.0"
