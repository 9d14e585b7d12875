"""Silence TensorFlow's and RETURNN's own logging: pt2r reports what matters itself.

RETURNN also prints some notes while it builds layers (e.g. that it takes two dims of equal size
as the same one, which pt2r's canonical dims make it do): build under `returnn_prints_silenced`.

Imported before anything else imports TensorFlow: its C++ start-up lines (oneDNN notes) ignore
``TF_CPP_MIN_LOG_LEVEL`` and go straight to file descriptor 2, so the import runs with that
descriptor pointed at the null device (a failing import still raises as usual).
"""

import contextlib
import io
import logging
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _native_stderr_silenced():
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def returnn_prints_silenced() -> contextlib.AbstractContextManager:
    return contextlib.redirect_stdout(io.StringIO())


with _native_stderr_silenced():
    import tensorflow as tf

from returnn.log import log  # noqa: E402

tf.get_logger().setLevel(logging.ERROR)
logging.getLogger("absl").setLevel(logging.ERROR)
log.initialize(verbosity=[0])
warnings.filterwarnings("ignore", category=DeprecationWarning, module="tensorflow")
warnings.filterwarnings("ignore", message=".*(deprecated|dtype argument).*")
