"""Prompts made into the instance's sound files: recorded files where given, otherwise synthesized
from their Chinese text (what a prompt is: hotline/ivr/prompts.py).

Synthesis uses espeak-ng (Mandarin voice) and sox to make the 8 kHz mono 16-bit WAV Asterisk
plays without transcoding. A prompt is synthesized again only when its text or voice changed
(the hash is kept next to the file).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from hotline.errors import ConfigurationError
from hotline.ivr.prompts import Prompt


def _digest(prompt: Prompt, voice: str) -> str:
    hasher = hashlib.sha256()
    hasher.update(voice.encode())
    hasher.update(b"\0")
    hasher.update(prompt.text.encode())
    if prompt.file is not None:
        hasher.update(prompt.file.read_bytes())
    return hasher.hexdigest()


def _convert(source: Path, target: Path) -> None:
    result = subprocess.run(
        ["sox", str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ConfigurationError(
            "prompt-convert-failed", f"sox could not convert {source}: {result.stderr.strip()}"
        )


def build_prompts(prompts: list[Prompt], target_dir: Path, *, voice: str = "cmn") -> list[str]:
    """Make every prompt's WAV in ``target_dir``; return the names that were (re)built."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise ConfigurationError(
                "prompt-tool-missing",
                f"{tool} is not installed. Run `scripts/setup` to install the apt packages.",
            )
    target_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for prompt in prompts:
        wav = target_dir / f"{prompt.name}.wav"
        stamp = target_dir / f"{prompt.name}.sha256"
        digest = _digest(prompt, voice)
        if wav.exists() and stamp.exists() and stamp.read_text() == digest:
            continue
        with tempfile.TemporaryDirectory() as scratch:
            if prompt.file is not None:
                _convert(prompt.file, Path(scratch) / "out.wav")
            else:
                spoken = Path(scratch) / "spoken.wav"
                result = subprocess.run(
                    ["espeak-ng", "-v", voice, "-s", "150", "-w", str(spoken), prompt.text],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    raise ConfigurationError(
                        "prompt-synthesis-failed",
                        f"espeak-ng failed for prompt {prompt.name!r}: {result.stderr}",
                    )
                _convert(spoken, Path(scratch) / "out.wav")
            shutil.move(str(Path(scratch) / "out.wav"), wav)
        wav.chmod(0o640)  # the instance gives it to the group asterisk (layout.prepare_instance)
        stamp.write_text(digest)
        built.append(prompt.name)
    return built
