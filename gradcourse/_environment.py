"""TensorFlow's environment variables, set when gradcourse is imported.

They take effect only if set before TensorFlow's first import, so ``import gradcourse``
sets them (without importing TensorFlow); a value the user set already wins.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# 2 = hide C++ INFO and WARNING lines; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN's graph rewrite (on by default on CPUs with AVX-512) turns the Relu of a
# recurrent loop into a node with an empty op name: Grappler then prints pages of
# "empty op name" / "remapper failed" errors and skips optimising that graph. Off, the
# same computation runs without them, and results no longer depend on the CPU's features.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
