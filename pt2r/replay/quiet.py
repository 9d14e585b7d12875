"""Silence TensorFlow's and RETURNN's own logging: pt2r reports what matters itself."""

import logging
import warnings

import tensorflow as tf
from returnn.log import log

tf.get_logger().setLevel(logging.ERROR)
logging.getLogger("absl").setLevel(logging.ERROR)
log.initialize(verbosity=[0])
warnings.filterwarnings("ignore", category=DeprecationWarning, module="tensorflow")
warnings.filterwarnings("ignore", message=".*(deprecated|dtype argument).*")
