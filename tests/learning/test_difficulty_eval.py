"""bench/difficulty_eval.py in a tiny run: it drives the real builder, scheduler and model code end to end and
prints every figure it promises (log-loss per predictor, calibration by decile, the success lessons reach)."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "difficulty_eval.py"


def _bench():
    spec = importlib.util.spec_from_file_location("difficulty_eval", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_tiny_evaluation_prints_log_loss_calibration_and_the_success_lessons_reach(capsys):
    results = _bench().main(["--learners", "10", "--new-learners", "4", "--cohorts", "2", "--days", "4",
                             "--items", "40"])
    printed = capsys.readouterr().out
    for name in ("model (logistic regression)", "per-item base rate", "FSRS R (new items: base rate)"):
        assert math.isfinite(results[name]) and results[name] > 0
        assert f"calibration of {name}" in printed
    assert 0 < results["reached with the model"] <= 1
    assert 0 < results["reached by the same learners with the prior"] <= 1
    assert "target band 0.80-0.85" in printed
    assert "if each answer were right with its planned chance" in printed


def test_even_a_perfect_plan_often_lands_outside_the_band_with_a_dozen_answers():
    chance_within = _bench().chance_within
    assert chance_within([1.0] * 10, (0.80, 0.85)) == 0.0  # all right: a share of 1, above the band
    # Ten answers at 0.8: eight or nine right (0.8 or 0.9) are within 0.75-0.90.
    assert chance_within([0.8] * 10, (0.80, 0.85)) == pytest.approx(45 * 0.8**8 * 0.2**2 + 10 * 0.8**9 * 0.2)
