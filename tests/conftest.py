"""Shared test setup: make the third-party-style fixture packages importable.

``tests/thirdparty`` holds ``toypkg`` (a small PyTorch model package written
like real model code) and ``fake_torch`` (a stand-in target for
``wrapped_import``).
"""

import os
import sys

THIRDPARTY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "thirdparty")
if THIRDPARTY_DIR not in sys.path:
    sys.path.insert(0, THIRDPARTY_DIR)
