"""Timing helper shared by the benchmark scripts."""

import time


def timed_calls(fn, repeats, warmup):
    """Calls `fn` `warmup` times untimed, then `repeats` times timed.

    Returns:
        (wall-clock seconds, process CPU seconds), one list entry per timed call.
        The CPU time is the steadier number on a machine shared with other jobs.
    """
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu
