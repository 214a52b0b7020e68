"""Starts a job of N training processes on this machine (127.0.0.1), for a one-machine trial.

`keras-stlstm train RECIPE --processes N` runs the same train command in N
child processes, each told its place in the job (see
`keras_stlstm.training.multi_process`): on JAX by Keras' environment variables,
with process 0 as the coordinator on a free local port; on TensorFlow by a
TF_CONFIG naming a free local port per process. Each line a child prints is prefixed with "[process i] ". If
any child fails, the others are killed and the launcher exits with that
child's status; it exits 0 when all of them finish.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from keras_stlstm.training.multi_process import ADDRESSES, NUM_PROCESSES, PROCESS_ID, unsupported_backend_error


def free_ports(count):
    """`count` distinct TCP ports of 127.0.0.1 that nothing listens on now."""
    sockets = []
    try:
        for _ in range(count):  # held open together, so that no port is given twice
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    return free_ports(1)[0]


def _current_backend():
    import keras

    return keras.backend.backend()


def child_environments(processes, base=None, backend=None):
    """The environments of the N children: one job on 127.0.0.1.

    JAX (Keras' variables): process 0 is the coordinator on a free port.
    TensorFlow: a TF_CONFIG per child, every process a worker on its own
    free port (worker 0 is the chief).
    """
    base = dict(os.environ if base is None else base)
    backend = backend or base.get("KERAS_BACKEND") or _current_backend()
    for key in ("TF_CONFIG", ADDRESSES, NUM_PROCESSES, PROCESS_ID):  # another job's description would contradict this one
        base.pop(key, None)
    if backend == "tensorflow":
        workers = [f"127.0.0.1:{port}" for port in free_ports(processes)]
        return [dict(base, TF_CONFIG=json.dumps({"cluster": {"worker": workers},
                                                 "task": {"type": "worker", "index": i}}))
                for i in range(processes)]
    address = f"127.0.0.1:{free_port()}"
    return [dict(base, **{ADDRESSES: address, NUM_PROCESSES: str(processes), PROCESS_ID: str(i)})
            for i in range(processes)]


def _relay(index, stream, output, lock):
    for line in iter(stream.readline, ""):
        with lock:
            output.write(f"[process {index}] {line}")
            output.flush()
    stream.close()


def _stop(children):
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def launch_local(command, processes, env=None, output=None, poll_seconds=0.2):
    """Runs `command` (an argv list) in `processes` local processes forming one job.

    Args:
        command: the argv every child runs, e.g. `[sys.executable, "-m",
            "keras_stlstm.cli", "train", "recipe.toml"]`.
        processes: N >= 1.
        env: the children's base environment (default: this process's).
        output: where the prefixed lines go (default: sys.stdout).
        poll_seconds: how often the children are checked.

    Returns:
        0 when every child exits 0; otherwise the status of the first child
        seen failing (the others are then killed).
    """
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"--processes must be a positive integer; received {processes!r}.")
    output = sys.stdout if output is None else output
    lock = threading.Lock()
    children, relays = [], []
    previous_handler = _exit_on_sigterm()
    try:
        for index, child_env in enumerate(child_environments(processes, env)):
            child = subprocess.Popen(command, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
            children.append(child)
            with lock:
                output.write(f"[launcher] process {index}: pid {child.pid}\n")
                output.flush()
            relay = threading.Thread(target=_relay, args=(index, child.stdout, output, lock), daemon=True)
            relay.start()
            relays.append(relay)
        status = _watch(children, poll_seconds)
    finally:
        _stop(children)
        for relay in relays:
            relay.join(timeout=5)
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    with lock:
        output.write(f"[launcher] {'all processes finished' if status == 0 else f'failed with status {status}'}\n")
        output.flush()
    return status


def _exit_on_sigterm():
    """Makes SIGTERM (a scheduler cancelling the launcher) unwind through the children's
    clean-up; returns the previous handler (None off the main thread, where it stays)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def exit_(signum, frame):
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, exit_)


def _watch(children, poll_seconds):
    """Waits for every child to finish; returns the first failure's status (signals as 128 + n)."""
    while True:
        codes = [child.poll() for child in children]
        failed = [code for code in codes if code not in (None, 0)]
        if failed:
            return failed[0] if failed[0] > 0 else 128 - failed[0]
        if all(code == 0 for code in codes):
            return 0
        time.sleep(poll_seconds)


def train_command(args):
    """The `keras-stlstm train` argv a child runs for parsed train arguments `args` (without --processes)."""
    command = [sys.executable, "-m", "keras_stlstm.cli", "train", *map(str, args.recipes)]
    command += ["--overwrite"] * bool(args.overwrite) + ["--skip-finished"] * bool(args.skip_finished)
    if args.verbose is not None:
        command += ["--verbose", str(args.verbose)]
    return command


def train_in_processes(args):
    """`keras-stlstm train ... --processes N`: checks the recipes, then runs the job; returns its status."""
    import keras

    from keras_stlstm.training.recipe import load_recipe

    error = unsupported_backend_error(keras.backend.backend())
    if error:
        raise ValueError(error)
    for recipe in args.recipes:
        distribution = load_recipe(recipe)["training"]["distribution"]
        if distribution != "data_parallel":
            raise ValueError(f"{recipe}: --processes {args.processes} needs [training] distribution = "
                             f"\"data_parallel\"; received {distribution!r}.")
    return launch_local(train_command(args), args.processes)
