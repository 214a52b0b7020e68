"""The pretrained zoo: fixed test sets, baselines, evaluation and model cards.

`keras-stlstm zoo-evaluate` scores every registered VideoPredictor preset and the
trivial baselines on the Moving MNIST test set and the copy test, and (with
``--write-cards``) writes each preset's model card and ``zoo_cards/README.md``.
`keras-stlstm zoo-evaluate-gestures` does the same for the GestureRecognizer and
EarlyActivityRecognizer presets on the synthetic gesture test set
(`gesture_test_set`), and writes ``zoo_cards/gesture_variants.md``.
"""

from keras_stlstm.zoo.evaluation import (  # noqa: F401
    BASELINES,
    all_black,
    evaluate_copy_test,
    evaluate_video_predictor,
    predict_copy_test,
    repeat_last_frame,
)
from keras_stlstm.zoo.gesture_evaluation import (  # noqa: F401
    classification_scores,
    evaluate_early_recognizer,
    evaluate_gesture_recognizer,
)
from keras_stlstm.zoo.test_sets import (  # noqa: F401
    MNIST_CREDIT,
    copy_test_sequences,
    gesture_test_set,
    load_test_sample,
    held_out_digits,
    video_test_set,
    write_srivastava_test_set,
)
