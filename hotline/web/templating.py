"""The pages' Jinja2 templates (autoescaped), shared by every router of the web context."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))  # autoescaped
