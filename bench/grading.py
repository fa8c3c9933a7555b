"""How long grading one typed answer takes against ten accepted alternatives (the figure that used to be a timed
test, which failed whenever the machine was busy).

Run from the repository root: ``.venv/bin/python bench/grading.py [--rounds 20000]``. In-process, no database.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from puchi.learning.grading import grade  # noqa: E402

ACCEPTED = [f"La niña número {n} come una manzana roja." for n in range(10)]
ANSWERS = {
    "accents left out (almost)": "la nina numero 3 come una manzana roja",
    "and a typo (almost)": "la nina numero 3 come una manzanna roja",
    "another sentence (wrong)": "el perro bebe agua fría",
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20_000, help="calls per answer (default 20000)")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 1_000_000:
        parser.error("--rounds must be in [1, 1000000]")
    print("Puchi grading benchmark: grade(answer, 10 accepted alternatives, 'es'), one call at a time")
    print(f"machine: {os.cpu_count()} CPUs, load avg {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'answer':<28} {'verdict':>8} {'calls':>8} {'p50 µs':>8} {'p95 µs':>8} {'p99 µs':>8}")
    for name, answer in ANSWERS.items():
        verdict = grade(answer, ACCEPTED, "es").result  # warm up
        timings = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            grade(answer, ACCEPTED, "es")
            timings.append(time.perf_counter() - start)
        print(f"{name:<28} {verdict:>8} {args.rounds:>8} {percentile(timings, 50):>8.1f} "
              f"{percentile(timings, 95):>8.1f} {percentile(timings, 99):>8.1f}")
    print("budget: well under 1 ms per answer (DESIGN.md); a lesson step grades one answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
