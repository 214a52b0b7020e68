"""`python -m keras_stlstm`: the keras-stlstm command line."""

import sys

from keras_stlstm.cli import main

sys.exit(main())
