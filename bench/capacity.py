"""Capacity: the highest call rate the hotline takes with 0 failures, and what each recorded
conversation costs Asterisk and the controller.

Runs the fault suite without faults (``bench/faults.py --no-faults``: the project's Asterisk, the
controller, lawyers and citizens from SIPp through the IVR, every call recorded) once per rate,
each for about ``--seconds`` of arrivals, lowest rate first, and stops after the first rate with
a failure (a SIPp call that failed, or a call whose record is missing or wrong). Prints one row
per rate and the highest rate with 0 failures:

    rate  calls  failed  wrong  at once  talking  Asterisk %  per conv.  controller % (peak)

CPU is % of one core (from /proc), averaged while conversations went on; "per conv." is
Asterisk's CPU over the mean number of conversations at once.

    .venv/bin/python bench/capacity.py                       # 5, 7 and 9 calls/s, 90 s each
    .venv/bin/python bench/capacity.py --rates 7 --repeat 3  # one rate, three runs (a range)

Needs root (Asterisk runs in its chroot) and ``scripts/setup``; loopback only; every run is
bounded in time and stops what it started.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faults import Options, Result, run_suite  # noqa: E402


@dataclass(frozen=True)
class Row:
    rate: float
    result: Result

    @property
    def wrong(self) -> int:
        """Calls whose record is missing, doubled or wrong, recordings not registered or sealed."""
        counts = self.result.verdict.counts()
        problems = ("missing", "doubled", "wrong", "not_registered", "not_sealed", "wav_left")
        return sum(counts[name] for name in problems) + counts["sipp_without_summary"]

    @property
    def failures(self) -> int:
        return self.result.figures.sipp_failed + self.wrong + (0 if self.result.ok else 1)

    def line(self) -> str:
        f = self.result.figures
        return (
            f"{self.rate:>4g}  {f.calls_completed + f.sipp_failed:>5}  {f.sipp_failed:>6}  "
            f"{self.wrong:>5}  {f.peak_concurrent_calls:>7}  {f.mean_conversations:>7.1f}  "
            f"{f.asterisk_cpu_percent:>10.1f}  {f.asterisk_cpu_per_conversation:>9.2f}  "
            f"{f.controller_cpu_percent:>12.1f} ({f.controller_cpu_peak:.0f})"
        )


HEADER = "rate  calls  failed  wrong  at once  talking  Asterisk %  per conv.  controller % (peak)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="5,7,9", help="calls a second to try, lowest first (5,7,9)")
    parser.add_argument("--seconds", type=float, default=90.0, help="seconds of arrivals per run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per rate (the machine is noisy)")
    parser.add_argument("--lawyers", type=int, default=260)
    parser.add_argument("--talk", type=float, default=20.0, help="seconds each lawyer talks")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    try:
        rates = sorted(float(rate) for rate in args.rates.split(","))
    except ValueError:
        parser.error(f"--rates: expected numbers separated by commas, got {args.rates!r}")
    rows: list[Row] = []
    for rate in rates:
        for _ in range(args.repeat):
            options = Options(
                calls=round(rate * args.seconds),
                rate=rate,
                lawyers=args.lawyers,
                talk_seconds=args.talk,
                database=args.database,
                ami_cuts=0,
                controller_kills=0,
                asterisk_restarts=0,
                verbose=False,
            )
            if not rows:
                print(HEADER, flush=True)
            rows.append(Row(rate, asyncio.run(run_suite(options))))
            print(rows[-1].line(), flush=True)
        if any(row.failures for row in rows if row.rate == rate):
            break
    clean = [row.rate for row in rows if not any(other.failures for other in rows if other.rate == row.rate)]
    if not clean:
        print("every rate tried had failures")
        return 1
    print(f"highest rate with 0 failures: {max(clean):g} calls/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
