#!/usr/bin/env python3
"""Write the lesson player's sound effects (static/sounds/*.wav): short tones made here, not downloaded.

Run again after changing a recipe: ``python3 scripts/make_sounds.py``. Each file is 8-bit mono at 11 025 Hz,
under a second and well under 20 KB.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

RATE = 11025
OUT = Path(__file__).resolve().parents[1] / "static" / "sounds"

# (frequency in Hz, duration in s) notes, played one after the other, with a soft attack and decay.
RECIPES: dict[str, list[tuple[float, float]]] = {
    "correct": [(880.0, 0.09), (1318.5, 0.16)],  # a bright two-note chime (A5, E6)
    "wrong": [(196.0, 0.22)],  # a soft low thud (G3)
    "complete": [(523.3, 0.1), (659.3, 0.1), (784.0, 0.1), (1046.5, 0.28)],  # a short fanfare (C major)
    "match": [(1567.98, 0.05)],  # a tick (G6)
}


def _note(frequency: float, seconds: float, volume: float = 0.45) -> list[float]:
    count = int(RATE * seconds)
    samples = []
    for n in range(count):
        t = n / RATE
        envelope = min(1.0, n / (RATE * 0.008)) * math.exp(-4.0 * t / seconds)
        tone = math.sin(2 * math.pi * frequency * t) + 0.25 * math.sin(4 * math.pi * frequency * t)
        samples.append(volume * envelope * tone / 1.25)
    return samples


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, notes in RECIPES.items():
        samples = [s for frequency, seconds in notes for s in _note(frequency, seconds)]
        with wave.open(str(OUT / f"{name}.wav"), "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(1)
            file.setframerate(RATE)
            file.writeframes(bytes(max(0, min(255, int(128 + 127 * s))) for s in samples))
        print(f"{name}.wav: {(OUT / f'{name}.wav').stat().st_size} bytes")


if __name__ == "__main__":
    main()
