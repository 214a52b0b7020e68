"""Datasets: generated video data (Moving MNIST, the E3D copy test, synthetic gestures) and readers.

Generators are NumPy (+ OpenCV) functions; the ``*_dataset`` functions wrap them in
tf.data and import TensorFlow only when called.
"""

from keras_stlstm.datasets.copy_test import (  # noqa: F401
    COPY_TEST_SEED,
    CopyTestLayout,
    copy_test_dataset,
    copy_test_set,
    generate_copy_test,
    split_copy_test,
)
from keras_stlstm.datasets.jester_labels import JESTER_CLASSES  # noqa: F401
from keras_stlstm.datasets.mnist import (  # noqa: F401
    TEST_DIGIT_RANGE,
    TRAIN_DIGIT_RANGE,
    load_digits,
    load_idx,
    load_sample_digits,
    split_digits,
)
from keras_stlstm.datasets.moving_mnist_files import (  # noqa: F401
    load_moving_mnist_file,
    load_moving_mnist_npy,
    load_moving_mnist_npz,
    open_moving_mnist_npy,
    write_moving_mnist_npy,
)
from keras_stlstm.datasets.moving_mnist import (  # noqa: F401
    MOVING_MNIST_TEST_SEED,
    generate_moving_mnist,
    moving_mnist_dataset,
    moving_mnist_test_set,
)
from keras_stlstm.datasets.synthetic_gestures import (  # noqa: F401
    GESTURE_OPPOSITES,
    clip_specs,
    render_gesture,
    synthetic_gesture_dataset,
    synthetic_gestures,
)
from keras_stlstm.datasets.sampling import (  # noqa: F401
    center_crop,
    random_crop,
    resize_frames,
    resize_short_side,
    sample_indices,
    sliding_windows,
)
from keras_stlstm.datasets.video_io import (  # noqa: F401
    VideoReadError,
    comparison_frames,
    comparison_strip,
    iter_camera,
    read_frame_folder,
    read_frames,
    read_video,
    write_comparison_gif,
    write_comparison_strip,
    write_gif,
    write_video,
)
from keras_stlstm.datasets.readers import (  # noqa: F401
    IsoGDReader,
    JesterReader,
    KTHReader,
    ReaderStats,
    SomethingSomethingReader,
    TaxiBJReader,
    VideoFolderReader,
    isogd_dataset,
    jester_dataset,
    kth_dataset,
    something_something_dataset,
    taxibj_dataset,
    video_folder_dataset,
)
