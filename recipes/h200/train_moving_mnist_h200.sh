#!/usr/bin/env bash
# Trains the four Moving MNIST video presets (recipes/h200/{convlstm,predrnn,predrnn_pp,e3d_lstm}_
# moving_mnist_h200.toml) and the paper-size E3D-LSTM (e3d_lstm_paper_size_moving_mnist_h200.toml)
# at the same time on one GPU with the JAX backend, then scores each finished run on the fixed
# Srivastava-law test set (10,000 sequences of held-out digits, keras_stlstm.zoo.test_sets).
# Written for a short lease of an NVIDIA H200 (JAX, no TensorFlow: the training data come through
# keras_stlstm.training.data_sources.StreamBatches). Everything is resumable: run it again to go on.
#
# Usage: bash recipes/h200/train_moving_mnist_h200.sh OUT_DIR
#   OUT_DIR gets train.log and eval.log (every process's lines, each prefixed with its recipe's
#   name), runs.tgz (the finished runs without backups, and without the paper-size model's weights)
#   as soon as training ends, and those weights in 15 MB parts (paper_size_weights.h5.part-aa, ...;
#   join them with cat).
# Environment: RECIPES (default: every recipes/h200/*.toml), TEST_SEQUENCES (default 10000),
#   PYTHON (default python3).
set -u
out=${1:?usage: train_moving_mnist_h200.sh OUT_DIR}
mkdir -p "$out"
python=${PYTHON:-python3}
recipes=${RECIPES:-$(ls recipes/h200/*.toml)}
test_sequences=${TEST_SEQUENCES:-10000}
test_file=${TEST_FILE:-runs/srivastava_test_${test_sequences}.npy}
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
# Five processes share the GPU (JAX would take 75% of its memory for the first): the paper-size
# model may take 40% (RECALL's attention over every earlier memory), each small one 10%.
memory_fraction() { case "$1" in *paper_size*) echo 0.4 ;; *) echo 0.1 ;; esac; }
# XLA folds E3D's all-zero initial memory history into constants, which takes minutes per compile
# (measured: 8 sequences of the paper-size model, over 5 minutes of folding on a CPU); skip the pass.
export XLA_FLAGS="${XLA_FLAGS:-} --xla_disable_hlo_passes=constant_folding"

"$python" -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)" \
    || exit 1

mkdir -p runs
"$python" -c "
import sys
from keras_stlstm.zoo.test_sets import write_srivastava_test_set
write_srivastava_test_set(sys.argv[1], '../shared/data/mnist', num_sequences=int(sys.argv[2]))
" "$test_file" "$test_sequences" 2>&1 | sed -u "s/^/[test set] /" >> "$out/eval.log" &

for recipe in $recipes; do
    name=$(basename "$recipe" .toml)
    XLA_PYTHON_CLIENT_MEM_FRACTION=$(memory_fraction "$name") "$python" -m keras_stlstm train "$recipe" 2>&1 \
        | sed -u "s/^/[$name] /" >> "$out/train.log" &
done
wait
echo "training done at $(date -u +%T)"
paper=runs/e3d_lstm_paper_size_moving_mnist_h200/model/model.weights.h5
tar czf "$out/runs.tgz.tmp" --exclude=backup --exclude="$paper" runs/*_h200 && mv "$out/runs.tgz.tmp" "$out/runs.tgz"
[ -f "$paper" ] && split -b 15m "$paper" "$out/paper_size_weights.h5.part-"

[ -f "$test_file" ] || { echo "the test set was not written: see $out/eval.log"; exit 1; }
for recipe in $recipes; do
    name=$(basename "$recipe" .toml)
    [ -d "runs/$name/model" ] || { echo "$name: no finished model"; continue; }
    XLA_PYTHON_CLIENT_MEM_FRACTION=$(memory_fraction "$name") "$python" -m keras_stlstm evaluate "runs/$name/model" --data "$test_file" --batch-size 250 2>&1 \
        | sed -u "s/^/[$name] /" >> "$out/eval.log" &
done
wait
echo "scoring done at $(date -u +%T)"
grep "\] MSE" "$out/eval.log"
