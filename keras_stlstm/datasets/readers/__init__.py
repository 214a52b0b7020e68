"""Readers of real datasets as tf.data pipelines (OpenCV / h5py decoding).

Classification readers give (clip, label); video-prediction readers give
(context, target). Every reader has `.dataset(batch_size=...)`, `.class_names`,
`.stats` (a `ReaderStats` of skipped bad files with `on_error="skip"`).
"""

from keras_stlstm.datasets.readers.base import (  # noqa: F401
    ClipReader,
    DatasetReader,
    ReaderStats,
    read_class_names,
)
from keras_stlstm.datasets.readers.folder import (  # noqa: F401
    VIDEO_EXTENSIONS,
    VideoFolderReader,
    list_video_folder,
    video_folder_dataset,
)
from keras_stlstm.datasets.readers.isogd import (  # noqa: F401
    ISOGD_NUM_CLASSES,
    IsoGDReader,
    isogd_dataset,
    read_isogd_list,
)
from keras_stlstm.datasets.readers.jester import JesterReader, jester_dataset, read_jester_csv  # noqa: F401
from keras_stlstm.datasets.readers.kth import (  # noqa: F401
    KTH_ACTIONS,
    KTH_TEST_PERSONS,
    KTH_TRAIN_PERSONS,
    KTHReader,
    kth_dataset,
    list_kth_videos,
)
from keras_stlstm.datasets.readers.something_something import (  # noqa: F401
    SomethingSomethingReader,
    read_ssv2_labels,
    read_ssv2_split,
    something_something_dataset,
)
from keras_stlstm.datasets.readers.taxibj import TaxiBJReader, load_taxibj_h5, taxibj_dataset  # noqa: F401
