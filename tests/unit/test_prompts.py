"""Prompts: synthesized from their Chinese text at render time, 8 kHz for Asterisk, cached by
content; a recorded file replaces the synthesis."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

from hotline.asterisk.prompts import build_prompts
from hotline.ivr.prompts import Prompt


def _rate_and_seconds(path: Path) -> tuple[int, float]:
    with wave.open(str(path), "rb") as audio:
        return audio.getframerate(), audio.getnframes() / audio.getframerate()


def test_prompts_are_synthesized_once_and_again_only_when_their_text_changes(tmp_path: Path) -> None:
    prompts = [Prompt("greeting", "您好"), Prompt("thanks", "谢谢")]
    assert build_prompts(prompts, tmp_path) == ["greeting", "thanks"]
    rate, seconds = _rate_and_seconds(tmp_path / "greeting.wav")
    assert rate == 8000 and 0.2 < seconds < 5
    assert build_prompts(prompts, tmp_path) == []  # unchanged: nothing synthesized
    changed = [Prompt("greeting", "您好，这里是温州12348"), Prompt("thanks", "谢谢")]
    assert build_prompts(changed, tmp_path) == ["greeting"]
    assert _rate_and_seconds(tmp_path / "greeting.wav")[1] > seconds


def test_a_recorded_file_replaces_the_synthesis(tmp_path: Path) -> None:
    recording = tmp_path / "recorded.wav"
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", str(recording), "synth", "1.5", "sine", "440"], check=True
    )
    out = tmp_path / "sounds"
    assert build_prompts([Prompt("greeting", "您好", recording)], out) == ["greeting"]
    rate, seconds = _rate_and_seconds(out / "greeting.wav")
    assert rate == 8000 and abs(seconds - 1.5) < 0.05
    with wave.open(str(out / "greeting.wav"), "rb") as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
