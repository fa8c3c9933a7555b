"""The retention simulation (bench/retention_sim.py) runs on Puchi's scheduler and prints sane figures."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEDULERS = ("default", "fitted", "oracle", "leitner", "leitner-typed")
ROW = re.compile(r"^(fsrs6|hlr)\s+(default|fitted|oracle|leitner|leitner-typed)\s+(\S+)\s+([\d.]+)\s+(\S+)\s+(\d+)"
                 r"\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(-|\d+/\d+)$")


def test_a_tiny_simulation_prints_recall_knowledge_and_time_for_every_scheduler():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "retention_sim.py"), "--learners", "6", "--items", "20",
                          "--days", "10", "--targets", "0.8,0.9", "--variants", "default,fitted,oracle",
                          "--prior-learners", "3", "--jobs", "1"],
                         capture_output=True, text=True, timeout=300, check=True)
    lines = run.stdout.splitlines()[1:]
    rows = [match.groups() for match in map(ROW.match, lines) if match]
    assert len(rows) == len(lines) == 2 * (3 * 2 + 2), run.stdout
    assert {(truth, scheduler) for truth, scheduler, *_ in rows} == {
        (truth, scheduler) for truth in ("fsrs6", "hlr") for scheduler in SCHEDULERS}
    for _truth, scheduler, target, recall, _off, due_reviews, known, minutes, per_hour, fits in rows:
        assert 0.0 <= float(recall) <= 1.0 and int(due_reviews) > 0
        assert 0.0 < float(known) <= 20.0  # of 20 items
        assert float(minutes) > 0 and float(per_hour) > 0
        if scheduler.startswith("leitner"):
            assert target == "-"
        else:
            assert float(target) in (0.8, 0.9)
        if scheduler == "oracle":  # it reviews once true recall is under the target, never before
            assert float(recall) < float(target)
        if fits != "-":  # the learner's own fits, judged and kept: only the fitted scheduler fits
            kept, judged = map(int, fits.split("/"))
            assert scheduler == "fitted" and 0 <= kept <= judged
    by = {(truth, scheduler, target): float(recall) for truth, scheduler, target, recall, *_ in rows}
    # Aiming higher brings items back sooner, so more of them are remembered when they come back.
    assert by[("fsrs6", "default", "0.90")] >= by[("fsrs6", "default", "0.80")]
    baselines = {(truth, scheduler): float(minutes) for truth, scheduler, target, *_, minutes, _per_hour, _fits in rows
                 if target == "-"}
    # The same intervals, every due review typed: more minutes than Leitner's picks in its first boxes.
    assert all(baselines[(truth, "leitner-typed")] > baselines[(truth, "leitner")] for truth in ("fsrs6", "hlr"))
