"""TimeBudget: cumulative minutes in the logs, stop at the first epoch end past the budget."""

import pytest

from keras_stlstm.training.recipe import validate_training
from keras_stlstm.training.time_budget import TimeBudget


class _Model:
    stop_training = False


def _budget(minutes, already=0.0, times=(0.0,)):
    budget = TimeBudget(minutes, already_elapsed=already)
    clock = iter(times)
    budget._now = lambda: next(clock)
    budget.set_model(_Model())
    budget.on_train_begin()
    return budget


def test_logs_cumulative_minutes_and_stops_past_the_budget():
    budget = _budget(2.0, already=0.5, times=(0.0, 30.0, 91.0))
    logs = {}
    budget.on_epoch_end(0, logs)
    assert logs["elapsed_minutes"] == 1.0 and not budget.model.stop_training
    budget.on_epoch_end(1, logs)  # 0.5 + 91 s = 2.0167 minutes >= 2
    assert logs["elapsed_minutes"] == pytest.approx(2.017, abs=1e-3)
    assert budget.model.stop_training and budget.stopped_by_budget


def test_no_budget_only_logs():
    budget = _budget(None, times=(0.0, 6000.0))
    logs = {}
    budget.on_epoch_end(0, logs)
    assert logs["elapsed_minutes"] == 100.0 and not budget.model.stop_training


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="minutes"):
        TimeBudget(0)
    with pytest.raises(ValueError, match="clock"):
        TimeBudget(1, clock="gpu")
    base = {"batch_size": 2, "epochs": 1, "output_dir": "x"}
    with pytest.raises(ValueError, match="time_budget_minutes"):
        validate_training({**base, "time_budget_minutes": -1})
    with pytest.raises(ValueError, match="time_budget_clock"):
        validate_training({**base, "time_budget_clock": "sun"})
    assert validate_training({**base, "time_budget_minutes": 45})["time_budget_clock"] == "wall"
