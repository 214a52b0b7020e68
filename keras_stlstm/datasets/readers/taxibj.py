"""TaxiBJ crowd flows (Zhang et al., ST-ResNet) for 4 -> 4 prediction.

The public release has one HDF5 file per period (BJ13_M32x32_T30_InOut.h5 ...
BJ16_M32x32_T30_InOut.h5), each with

    data  (N, 2, 32, 32)  inflow and outflow per 30-minute slot (channels first)
    date  (N,)            byte strings b"YYYYMMDDSS", SS = slot 01..48 of the day

Some slots are missing, so windows are built only over consecutive slots. As in
ST-ResNet, the last 28 days form the test set and everything before them the
training set; values are min-max normalised to [0, 1] with the training set's
minimum and maximum (kept on the reader: `data_min`, `data_max`, `denormalize`).

Examples are (context, target) float32: (4, 32, 32, 2), (4, 32, 32, 2) channels last.
"""

import datetime

import h5py
import numpy as np

from keras_stlstm.datasets.readers.base import DatasetReader, check_choice, check_file
from keras_stlstm.utils.inputs import check_frames


def _parse_slot(raw, slots_per_day, path):
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        day = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        slot = int(text[8:])
    except ValueError:
        raise ValueError(f"{path}: date {text!r} is not 'YYYYMMDDSS'") from None
    if not 1 <= slot <= slots_per_day:
        raise ValueError(f"{path}: date {text!r} has slot {slot}, expected 1..{slots_per_day}")
    return day.toordinal() * slots_per_day + slot - 1


def load_taxibj_h5(path, data_key="data", date_key="date", slots_per_day=48):
    """Flows and slot times of one TaxiBJ file.

    Args:
        path: .h5 file.
        data_key: dataset of (N, 2, H, W) flows.
        date_key: dataset of N "YYYYMMDDSS" strings; None: frames are taken as
            consecutive slots.
        slots_per_day: 48 for the 30-minute files.

    Returns:
        (flows float32 (N, H, W, 2) channels last, times int64 (N,) in slots, or None).

    Raises:
        FileNotFoundError: no such file. ValueError: not an HDF5 file, a missing
        dataset, a wrong shape, or non-finite (NaN, inf) or non-numeric flows
        (each naming the file).
    """
    check_file(path, "TaxiBJ HDF5 file")
    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path}: not a readable HDF5 file ({error})") from None
    with h5:
        for key in (data_key, date_key):
            if key is not None and key not in h5:
                raise ValueError(
                    f"{path}: missing dataset {key!r} (found {sorted(h5.keys())}); expected "
                    f"'{data_key}' (N, 2, 32, 32) flows and '{date_key}' slot dates"
                )
        # One NaN would turn the min-max normalisation, and so every frame, into NaN.
        data = check_frames(h5[data_key][()], f"{path} dataset {data_key!r}", value_range=None)
        dates = None if date_key is None else list(h5[date_key][()])
    if data.ndim != 4 or data.shape[1] != 2:
        raise ValueError(f"{path}: dataset {data_key!r} has shape {data.shape}, expected (N, 2, H, W)")
    if dates is not None and len(dates) != len(data):
        raise ValueError(f"{path}: {len(dates)} dates for {len(data)} frames in {data_key!r}")
    times = None
    if dates is not None:
        times = np.array([_parse_slot(d, slots_per_day, path) for d in dates], np.int64)
    return np.transpose(data, (0, 2, 3, 1)), times


def _consecutive_windows(times, window):
    """Start indices whose `window` frames are consecutive slots."""
    if len(times) < window:
        return np.zeros((0,), np.int64)
    step_ok = np.diff(times) == 1
    ok_count = np.concatenate([[0], np.cumsum(step_ok)])
    starts = np.arange(len(times) - window + 1)
    return starts[ok_count[starts + window - 1] - ok_count[starts] == window - 1]


class TaxiBJReader(DatasetReader):
    """TaxiBJ (context, target) windows, min-max normalised to [0, 1].

    Args:
        paths: one .h5 file or a list of them (concatenated in time order).
        split: "train" (before the last `test_days` days) or "test" (the last days).
        context_frames, future_frames: 4 and 4.
        stride: slots between window starts (1).
        test_days: days at the end held out for testing (28, as ST-ResNet).
        data_min, data_max: normalisation constants; default: the training
            part's minimum and maximum (so train and test readers agree).
        data_key, date_key, slots_per_day: see `load_taxibj_h5`.
        training, on_error, seed: see `DatasetReader` (training defaults to
            split == "train").
    """

    def __init__(
        self,
        paths,
        split="train",
        context_frames=4,
        future_frames=4,
        stride=1,
        test_days=28,
        data_min=None,
        data_max=None,
        data_key="data",
        date_key="date",
        slots_per_day=48,
        training=None,
        on_error="raise",
        seed=None,
    ):
        check_choice(split, ("train", "test"), "split")
        training = split == "train" if training is None else training
        super().__init__(on_error=on_error, seed=seed, training=training)
        paths = [paths] if isinstance(paths, (str, bytes)) or not hasattr(paths, "__iter__") else list(paths)
        if not paths:
            raise ValueError("paths must name at least one TaxiBJ .h5 file")
        self.paths = [str(p) for p in paths]
        self.context_frames, self.future_frames = int(context_frames), int(future_frames)
        flows, times = self._load_all(data_key, date_key, slots_per_day)
        self.frame_shape = flows.shape[1:]
        test_start = times[-1] - (times[-1] % slots_per_day) - (test_days - 1) * slots_per_day
        in_test = times >= test_start
        window = self.context_frames + self.future_frames
        starts = _consecutive_windows(times, window)
        starts = starts[in_test[starts] if split == "test" else ~in_test[starts + window - 1]]
        self.starts = starts[:: int(stride)]
        train_flows = flows[~in_test]
        if data_min is None or data_max is None:
            if not len(train_flows):
                raise ValueError(f"no training frames before the last {test_days} days; pass data_min and data_max")
        self.data_min = float(train_flows.min() if data_min is None else data_min)
        self.data_max = float(train_flows.max() if data_max is None else data_max)
        if self.data_max <= self.data_min:
            raise ValueError(f"data_max ({self.data_max}) must exceed data_min ({self.data_min})")
        self.flows = self.normalize(flows)
        self.class_names = None

    def _load_all(self, data_key, date_key, slots_per_day):
        flows, times, offset = [], [], 0
        for path in self.paths:
            f, t = load_taxibj_h5(path, data_key, date_key, slots_per_day)
            if t is None:  # no dates: consecutive slots, files not contiguous with each other
                t = offset + np.arange(len(f), dtype=np.int64)
                offset = t[-1] + 2 if len(t) else offset
            flows.append(f)
            times.append(t)
        return np.concatenate(flows), np.concatenate(times)

    def normalize(self, flows):
        """Raw flows -> [0, 1] with this reader's min and max."""
        return ((np.asarray(flows, np.float32) - self.data_min) / (self.data_max - self.data_min)).astype(np.float32)

    def denormalize(self, values):
        """[0, 1] values (e.g. predictions) -> flows in the original units."""
        return np.asarray(values, np.float32) * (self.data_max - self.data_min) + self.data_min

    def __len__(self):
        return len(self.starts)

    def item_name(self, index):
        return f"{self.paths} window {index}"

    def element_spec_np(self):
        return [
            ("float32", (self.context_frames,) + self.frame_shape),
            ("float32", (self.future_frames,) + self.frame_shape),
        ]

    def load_item(self, index, rng):
        start = self.starts[index]
        clip = self.flows[start : start + self.context_frames + self.future_frames]
        return clip[None, : self.context_frames], clip[None, self.context_frames :]


def taxibj_dataset(paths, split="train", batch_size=None, **kwargs):
    """`TaxiBJReader(paths, split, **kwargs).dataset(batch_size)`."""
    return TaxiBJReader(paths, split, **kwargs).dataset(batch_size=batch_size)
