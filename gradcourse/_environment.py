"""TensorFlow's (and NumPy's BLAS) environment variables, set when gradcourse is imported.

They take effect only if set before TensorFlow's (NumPy's) first import, so ``import
gradcourse`` sets them (without importing either); a value the user set already wins.
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
# NumPy's OpenBLAS: one thread (read when NumPy loads, so only if gradcourse comes first,
# as in every notebook's setup cell). The course's matrices are small (at most 256 x 256):
# a second thread gains little on an idle machine, and when the other core is busy (the
# machine's other work, or TensorFlow's threads) its thread hand-offs made a loop of
# 256 x 256 products 20-35 times slower (2.8-3.6 s against 0.10-0.13 s, 2 cores, load 6).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The notebooks are sized for a CPU and their asserts were derived on CPUs: any GPU is
# hidden from TensorFlow unless the learner opts in with GRADCOURSE_GPU=1 (set before
# importing gradcourse). On a GPU Keras switches its RNN layers to cuDNN kernels and the
# course turns op determinism off: numbers the course has never checked.
GPU_OPT_IN = "GRADCOURSE_GPU"
GPU_DEVICE_FILES = ("/dev/nvidia0", "/dev/nvidiactl")


def wants_gpu(environ: dict | None = None) -> bool:
    """True if the learner opted in to the GPU (GRADCOURSE_GPU=1, true or yes)."""
    environ = os.environ if environ is None else environ
    return environ.get(GPU_OPT_IN, "").strip().lower() in ("1", "true", "yes")


def hide_gpu(environ: dict | None = None) -> bool:
    """Hide every GPU from TensorFlow (CUDA_VISIBLE_DEVICES=-1) unless opted in.

    Takes effect only before TensorFlow's first import. Returns True if it hid them."""
    environ = os.environ if environ is None else environ
    if wants_gpu(environ):
        return False
    environ["CUDA_VISIBLE_DEVICES"] = "-1"
    return True


def gpu_hardware_present() -> bool:
    """True if the machine has an NVIDIA GPU, whether or not TensorFlow may see it."""
    return any(os.path.exists(path) for path in GPU_DEVICE_FILES)


def gpu_in_use() -> bool:
    """True if TensorFlow computes on a GPU (its logical devices, after any hiding)."""
    from gradcourse._tensorflow import tf  # here: importing gradcourse must not load TF

    return bool(tf.config.list_logical_devices("GPU"))


hide_gpu()
