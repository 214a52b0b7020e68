"""`TimeBudget`: log cumulative training time and stop a run when its wall-clock budget is spent."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Adds `elapsed_minutes` (on `clock`) to every epoch's logs and stops training at the end
    of the first epoch that reaches `minutes` of training time.

    The time counts across resumes: a run restarted after a kill passes the
    minutes already logged as `already_elapsed`, so an interrupted run and an
    uninterrupted one stop after the same budget (give or take one epoch). The
    check is at epoch ends only, so every run ends on a whole, backed-up epoch.

    Args:
        minutes: the budget in minutes (positive), or None to only log the time.
        already_elapsed: minutes spent by earlier processes of the same run.
        clock: "wall" (wall-clock time) or "cpu" (this process's CPU time, all
            threads: the fair measure when several runs share a machine).
    """

    CLOCKS = {"wall": time.time, "cpu": time.process_time}

    def __init__(self, minutes=None, already_elapsed=0.0, clock="wall"):
        super().__init__()
        if minutes is not None and not minutes > 0:
            raise ValueError(f"`minutes` must be a positive number or None; received {minutes!r}.")
        if clock not in self.CLOCKS:
            raise ValueError(f"`clock` must be one of {sorted(self.CLOCKS)}; received {clock!r}.")
        self.minutes = minutes
        self.clock = clock
        self._now = self.CLOCKS[clock]
        self.already_elapsed = float(already_elapsed)
        self.stopped_by_budget = False
        self._started = None

    def on_train_begin(self, logs=None):
        self._started = self._now()

    def elapsed(self):
        """Training minutes so far, earlier processes included."""
        return self.already_elapsed + (self._now() - self._started) / 60.0

    def on_epoch_end(self, epoch, logs=None):
        elapsed = self.elapsed()
        if logs is not None:
            logs["elapsed_minutes"] = round(elapsed, 3)
        if self.minutes is not None and elapsed >= self.minutes:
            self.stopped_by_budget = True
            self.model.stop_training = True
