"""The pretrained video-prediction zoo: fixed test sets, baselines, evaluation and model cards.

`keras-stlstm zoo-evaluate` scores every registered VideoPredictor preset and the
trivial baselines on the Moving MNIST test set and the copy test, and (with
``--write-cards``) writes each preset's model card and ``zoo_cards/README.md``.
"""

from keras_stlstm.zoo.evaluation import (  # noqa: F401
    BASELINES,
    all_black,
    evaluate_copy_test,
    evaluate_video_predictor,
    predict_copy_test,
    repeat_last_frame,
)
from keras_stlstm.zoo.test_sets import (  # noqa: F401
    MNIST_CREDIT,
    copy_test_sequences,
    load_test_sample,
    held_out_digits,
    video_test_set,
)
