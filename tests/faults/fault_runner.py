"""Runs `keras-stlstm ARGS...` with one fault injected at a named moment (test use only).

    python tests/faults/fault_runner.py FAULT[:N] -- train recipe.toml

The faults patch functions of this process only, so no test code path exists in
the package itself:

- `kill_in_batch:N`: SIGKILL at the start of the N-th training batch (1-based).
- `kill_in_backup:N`: SIGKILL while the backup of epoch N is written, after
  half of its weights file reached the disk.
- `kill_in_final_save`: SIGKILL after fit and recalibration, once the final
  model is written under its temporary name (`model.tmp-PID/`) and before it
  is renamed to `model/`.
- `full_disk_at_backup:N`: a file-size limit (RLIMIT_FSIZE) that makes every
  write fail, set just before the backup of epoch N.
- `full_disk_at_final_save`: the same limit, set just before the final save.
"""

import os
import resource
import signal
import sys


def kill_now():
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def fill_disk():
    # Without SIGXFSZ ignored, the kernel would kill the process instead of failing the write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def install(fault, count):
    import importlib

    import keras

    from keras_stlstm.training import backup

    # The module (keras_stlstm.training re-exports a function of the same name).
    train = importlib.import_module("keras_stlstm.training.train")

    if fault == "kill_in_batch":
        original = train.build_callbacks

        class KillAtBatch(keras.callbacks.Callback):
            seen = 0

            def on_train_batch_begin(self, batch, logs=None):
                KillAtBatch.seen += 1
                if KillAtBatch.seen == count:
                    kill_now()

        train.build_callbacks = lambda options: original(options) + [KillAtBatch()]
    elif fault in ("kill_in_backup", "full_disk_at_backup"):
        original_write, original_save = backup.write_backup, backup._save_weights

        def write_backup(model, backup_dir, epoch):
            if epoch == count and fault == "full_disk_at_backup":
                fill_disk()
            return original_write(model, backup_dir, epoch)

        def save_weights(model, path):
            original_save(model, path)
            if fault == "kill_in_backup" and f"epoch-{count:04d}" in path:
                with open(path, "r+b") as f:
                    f.truncate(os.path.getsize(path) // 2)
                kill_now()

        backup.write_backup, backup._save_weights = write_backup, save_weights
    elif fault in ("kill_in_final_save", "full_disk_at_final_save"):
        original_save_model = keras.saving.save_model

        def save_model(model, path, *args, **kwargs):
            if fault == "full_disk_at_final_save":
                fill_disk()
            original_save_model(model, path, *args, **kwargs)
            kill_now()

        keras.saving.save_model = save_model
    else:
        if fault != "none":
            raise SystemExit(f"unknown fault {fault!r}")


def main():
    separator = sys.argv.index("--")
    fault, _, count = sys.argv[1].partition(":")
    install(fault, int(count or 0))
    from keras_stlstm import cli

    return cli.main(sys.argv[separator + 1:])


if __name__ == "__main__":
    sys.exit(main())
