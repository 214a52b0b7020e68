"""Rendering speed of the synthetic gesture clips, on one CPU core.

Prints clips per second for the default size (16 x 112 x 112 x 3) and a small one
(16 x 64 x 64 x 3), cycling through all 27 classes.

    python benchmarks/bench_synthetic_gestures.py [--quick] [--clips N]
"""

import argparse
import os
import time

import cv2

SIZES = ((16, 112), (16, 64))


def clips_per_second(num_clips, num_frames, image_size):
    """(clips per CPU second, clips per wall-clock second) of `render_gesture`.

    CPU time is what one core spends; it is the number to quote on a shared machine,
    where wall-clock time also counts other processes.
    """
    from keras_stlstm.datasets.synthetic_gestures import render_gesture

    render_gesture(0, 0, num_frames, image_size)  # warm-up (imports, caches)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(num_clips):
        render_gesture(i % 27, 1000 + i, num_frames, image_size)
    return num_clips / (time.process_time() - cpu), num_clips / (time.perf_counter() - wall)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="27 clips per size (a smoke run)")
    parser.add_argument("--clips", type=int, default=540, help="clips per size (default 540 = 20 per class)")
    args = parser.parse_args(argv)
    num_clips = 27 if args.quick else args.clips
    # One core, as the number is quoted per core; restored afterwards (tests call main()).
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else None
    threads = cv2.getNumThreads()
    try:
        if cores:
            os.sched_setaffinity(0, {min(cores)})
        cv2.setNumThreads(1)
        results = {}
        for num_frames, image_size in SIZES:
            cpu_rate, wall_rate = clips_per_second(num_clips, num_frames, image_size)
            results[(num_frames, image_size)] = cpu_rate
            print(f"{num_frames}x{image_size}x{image_size}x3: {cpu_rate:.0f} clips per CPU second "
                  f"on one core ({wall_rate:.0f} per wall-clock second; {num_clips} clips)")
    finally:
        if cores:
            os.sched_setaffinity(0, cores)
        cv2.setNumThreads(threads)
    return results


if __name__ == "__main__":
    main()
