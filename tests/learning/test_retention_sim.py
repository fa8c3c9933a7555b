"""The retention simulation (bench/retention_sim.py) runs on Puchi's scheduler and prints sane figures."""

import importlib.util
import math
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEDULERS = ("default", "fitted", "oracle", "leitner", "leitner-typed")
ROW = re.compile(r"^(fsrs6|hlr)\s+(default|fitted|oracle|leitner|leitner-typed)\s+(\S+)\s+([\d.]+)\s+(\S+)\s+(\d+)"
                 r"\s+(-|\d+%)\s+(-|[\d.]+|nan)\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(-|\d+/\d+)$")


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
    for (_truth, scheduler, target, recall, _off, due_reviews, reachable, recall_there, _off_there, known, minutes,
         per_hour, fits) in rows:
        assert 0.0 <= float(recall) <= 1.0 and int(due_reviews) > 0
        assert 0.0 < float(known) <= 20.0  # of 20 items
        assert float(minutes) > 0 and float(per_hour) > 0
        if scheduler.startswith("leitner"):
            assert target == reachable == recall_there == "-"
        else:
            assert float(target) in (0.8, 0.9) and 0 <= int(reachable.rstrip("%")) <= 100
            if reachable != "0%":  # the reviews the target could be met at are a part of them
                assert 0.0 <= float(recall_there) <= 1.0
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


def _bench_module():
    spec = importlib.util.spec_from_file_location("retention_sim", ROOT / "bench" / "retention_sim.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["retention_sim"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_oracle_reviews_on_the_day_true_recall_is_nearest_the_target():
    sim = _bench_module()
    memory = sim.HlrMemory(bias=0.0)
    memory.learn(0, recalled=True)  # a half-life of 2^1.4 = 2.6 days: recall 0.77 on day 1, 0.59 on day 2
    at = datetime(2026, 1, 5, tzinfo=UTC)
    # Aiming at 0.75: day 1 is 0.02 over, day 2 would be 0.16 under: day 1.
    oracle = sim.OraclePolicy([memory], target=0.75)
    assert [oracle.due(0, at, day) for day in (0, 1)] == [False, True]
    # Aiming at 0.80: day 0 is 0.20 over, day 1 0.03 under: day 1, though under.
    oracle = sim.OraclePolicy([memory], target=0.80)
    assert [oracle.due(0, at, day) for day in (0, 1)] == [False, True]
    # Aiming at 0.60: day 1 is 0.17 over, day 2 0.01 under: not before day 2.
    oracle = sim.OraclePolicy([memory], target=0.60)
    assert [oracle.due(0, at, day) for day in (1, 2)] == [False, True]


def test_a_due_review_could_meet_the_target_only_if_recall_a_day_after_the_last_sight_did():
    sim = _bench_module()
    memory = sim.HlrMemory(bias=0.0)
    assert not sim.target_reachable(memory, 0.5)  # never seen
    memory.learn(0, recalled=True)  # recall 0.77 on day 1: the soonest review, one a day, is under 0.80
    assert sim.target_reachable(memory, 0.75)
    assert not sim.target_reachable(memory, 0.80)
    memory.learn(1, recalled=True)  # one more right answer: a half-life of 2^2.23 = 4.7 days, 0.86 a day later
    assert sim.target_reachable(memory, 0.85)
    assert not sim.target_reachable(memory, 0.90)


def test_every_sight_is_history_for_hlr_unless_memory_changes_once_a_day():
    sim = _bench_module()
    memory, daily = sim.HlrMemory(bias=0.0), sim.HlrMemory(bias=0.0, daily=True)
    for item in (memory, daily):
        item.learn(0, recalled=True)  # first sight: a half-life of 2^1.4 = 2.6 days
        item.learn(0, recalled=True)  # the lesson's second sight, the same day
    assert (memory.right, daily.right) == (1, 0)
    assert round(memory.recall(1), 2) == 0.86 and round(daily.recall(1), 2) == 0.77  # 2^(-1/4.7), 2^(-1/2.6)
    memory.learn(0, recalled=False)  # a wrong answer the same day counts against it too
    assert memory.wrong == 1


def test_fsrs6_memory_follows_its_same_day_equations_unless_memory_changes_once_a_day():
    sim = _bench_module()
    weights = tuple(sim.DEFAULT_PARAMETERS)
    memory, daily = sim.Fsrs6Memory(w=weights, item_difficulty=0.0), sim.Fsrs6Memory(w=weights, item_difficulty=0.0,
                                                                                     daily=True)
    for item in (memory, daily):
        item.learn(0, recalled=True)
    first = memory.stability
    memory.learn(0, recalled=True)  # a same-day success never lowers stability (w17–w19, floored at 1)
    assert memory.stability >= first
    memory.learn(0, recalled=False)  # a same-day lapse does: S · e^(w17·(1 − 3 + w18)) · S^(−w19)
    expected = first * math.exp(weights[17] * (-2 + weights[18])) * first ** -weights[19]
    assert memory.stability == pytest.approx(expected) and memory.stability < first
    daily.learn(0, recalled=False)
    assert daily.stability == first  # once a day: the same day changes nothing
