"""The retention simulation (bench/retention_sim.py) runs on Puchi's scheduler and prints sane figures."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^(fsrs6|hlr)\s+(default|fitted|leitner)\s+(\S+)\s+([\d.]+)\s+(\S+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)"
                 r"\s+([\d.]+)$")


def test_a_tiny_simulation_prints_recall_knowledge_and_time_for_every_scheduler():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "retention_sim.py"), "--learners", "6", "--items", "20",
                          "--days", "10", "--targets", "0.8,0.9", "--variants", "default,fitted",
                          "--prior-learners", "3", "--jobs", "1"],
                         capture_output=True, text=True, timeout=300, check=True)
    rows = [ROW.match(line).groups() for line in run.stdout.splitlines()[1:]]
    assert {(truth, scheduler) for truth, scheduler, *_ in rows} == {
        (truth, scheduler) for truth in ("fsrs6", "hlr") for scheduler in ("default", "fitted", "leitner")}
    assert len(rows) == 2 * (2 * 2 + 1)
    for _truth, scheduler, target, recall, _off, due_reviews, known, minutes, per_hour in rows:
        assert 0.0 <= float(recall) <= 1.0 and int(due_reviews) > 0
        assert 0.0 < float(known) <= 20.0  # of 20 items
        assert float(minutes) > 0 and float(per_hour) > 0
        if scheduler != "leitner":
            assert float(target) in (0.8, 0.9)
    by = {(truth, scheduler, target): float(recall) for truth, scheduler, target, recall, *_ in rows}
    # Aiming higher brings items back sooner, so more of them are remembered when they come back.
    assert by[("fsrs6", "default", "0.90")] >= by[("fsrs6", "default", "0.80")]
