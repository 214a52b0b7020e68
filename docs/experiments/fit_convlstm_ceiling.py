"""Where the shipped ConvLSTM's test MSE is heading: a saturating power law fitted to its five stages.

Reads the zoo test MSE of each stage's model from `convlstm_stages_zoo_evaluate.log` (written by
`keras-stlstm zoo-evaluate --presets runs/convlstm_moving_mnist_cpu/model ...`, see
convlstm_future_frame_loss.md) and each stage's step count from the preset's training metrics
(zoo_cards/logs/convlstm_moving_mnist/metrics.json: `earlier_stages`, then the last stage), then fits

    MSE(steps) = floor + scale * (steps / 1000) ** -power

with SciPy, once on all five stages and once without stage 1 (whose learning-rate schedule and
scheduled sampling differ from the later stages'), and prints the fitted floor (the MSE the curve
levels off at), the projection at 50k, 100k and 1M steps, and the steps the curve needs to reach 100.

Needs SciPy (installed with the test extras, `pip install -e ".[test]"`).
Run from the repository root: python docs/experiments/fit_convlstm_ceiling.py
"""

import json
import pathlib
import re

import numpy as np
from scipy.optimize import curve_fit

HERE = pathlib.Path(__file__).resolve().parent
LOG = HERE / "convlstm_stages_zoo_evaluate.log"
METRICS = HERE.parent.parent / "zoo_cards" / "logs" / "convlstm_moving_mnist" / "metrics.json"
TARGET = 100.0


def stage_test_mse():
    """Test MSE by stage number, from the first (Moving MNIST test set) table of the log."""
    text = LOG.read_text().split("Copy test")[0]
    found = {}
    for match in re.finditer(r"runs/convlstm_moving_mnist_cpu(?:_stage(\d))?/model\s+([\d.]+)", text):
        found[int(match.group(1) or 1)] = float(match.group(2))
    return [found[stage] for stage in sorted(found)]


def stage_steps():
    """Cumulative training steps at the end of each stage, as the last stage's run recorded them."""
    metrics = json.loads(METRICS.read_text())
    steps = [stage["steps"] for stage in metrics["earlier_stages"]] + [metrics["steps"]]
    return np.cumsum(steps).astype(float)


def power_law(steps, floor, scale, power):
    return floor + scale * (steps / 1000.0) ** -power


def main():
    steps, mse = stage_steps(), np.array(stage_test_mse())
    if len(mse) != len(steps):
        raise SystemExit(f"{LOG} has {len(mse)} stage models, expected {len(steps)}")
    for stage, (s, m) in enumerate(zip(steps, mse), start=1):
        print(f"stage {stage}: {int(s):>6,} steps  test MSE {m:.2f}")
    for label, keep in (("stages 1-5", slice(0, None)), ("stages 2-5", slice(1, None))):
        (floor, scale, power), cov = curve_fit(power_law, steps[keep], mse[keep], p0=[110.0, 50.0, 1.0], maxfev=20000)
        floor_sd = float(np.sqrt(cov[0, 0]))
        ahead = ", ".join(f"{int(n):,}: {power_law(n, floor, scale, power):.1f}" for n in (5e4, 1e5, 1e6))
        reach = ("never (floor above it)" if floor >= TARGET
                 else f"{(scale / (TARGET - floor)) ** (1 / power) * 1000:,.0f} steps")
        print(f"fit on {label}: floor {floor:.1f} +- {floor_sd:.1f}, power {power:.2f}; "
              f"projected MSE at {ahead}; reaches {TARGET:.0f}: {reach}")


if __name__ == "__main__":
    main()
