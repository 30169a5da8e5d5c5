"""The Chinese font the PDF and its charts are set in: one font file, found on the machine.

The PDF embeds (a subset of) it, so the reader needs no font of their own. ``scripts/setup`` installs
it with apt; without it Chinese would come out as empty boxes, so rendering refuses instead.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from hotline.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class ReportFont:
    family: str  # as fontconfig and the CSS name it
    path: Path  # the font file (a .ttc collection: its first face is ``family``)
    package: str  # the Debian package that installs it


@dataclass(frozen=True, slots=True)
class FontSource:
    family: str
    package: str
    known_paths: tuple[str, ...]  # where Debian 12 puts it, for a machine without fc-match


# Small (5 MB) with TrueType outlines, which every PDF reader draws; scripts/setup installs it.
CJK_FONT: Final = FontSource(
    "WenQuanYi Micro Hei", "fonts-wqy-microhei", ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)
)


@cache
def find_cjk_font() -> ReportFont:
    """The file of :data:`CJK_FONT` on this machine; a clear error naming its package otherwise."""
    source = CJK_FONT
    path = _fontconfig_file(source.family) or _first_existing(source.known_paths)
    if path is None:
        raise ConfigurationError(
            "report-font-missing",
            f"The Chinese font of the report ({source.family}) is not installed. "
            f"Run `scripts/setup`, or `apt-get install {source.package}`.",
        )
    return ReportFont(source.family, path, source.package)


def _fontconfig_file(family: str) -> Path | None:
    """The file fontconfig has for ``family``; None when it has none (fc-match then answers with a
    fallback of another family) or fc-match is not installed."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    found = subprocess.run(
        [fc_match, "-f", "%{family}\n%{file}", family],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    if found.returncode != 0 or "\n" not in found.stdout:
        return None
    families, file = found.stdout.split("\n", 1)
    if family.casefold() not in (name.strip().casefold() for name in families.split(",")):
        return None
    path = Path(file.strip())
    return path if path.is_file() else None


def _first_existing(paths: tuple[str, ...]) -> Path | None:
    return next((Path(path) for path in paths if Path(path).is_file()), None)
