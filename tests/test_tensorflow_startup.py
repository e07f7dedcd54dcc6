"""The filter that keeps TensorFlow's start-up noise out of notebooks keeps everything else."""

from gradcourse._tensorflow import filter_startup_log

PREAMBLE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
)
INFO = "I0000 00:00:1795317909.682430    6590 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n"
INFO_WITH_CONTINUATION = (
    "I0000 00:00:1795317909.833447    6590 cpu_feature_guard.cc:227] This TensorFlow binary is optimized.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
)
NO_GPU = "E0000 00:00:1795317913.253692    6590 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
REAL_ERROR = (
    "E0000 00:00:1795317913.253692    6590 something.cc:1] could not open the file you asked for\n"
)


def test_startup_noise_is_dropped():
    assert filter_startup_log(PREAMBLE + INFO + INFO_WITH_CONTINUATION + NO_GPU) == ""


def test_errors_and_other_text_are_kept():
    assert filter_startup_log(PREAMBLE + REAL_ERROR + INFO) == REAL_ERROR
    assert filter_startup_log("a Python warning\n" + INFO) == "a Python warning\n"
    assert filter_startup_log("") == ""


def test_continuation_lines_stay_with_their_record():
    kept = REAL_ERROR.rstrip("\n") + "\n\tmore about that error\n"
    assert filter_startup_log(INFO_WITH_CONTINUATION + kept) == kept


def test_runtime_noise_is_only_the_known_tf_data_line():
    from gradcourse._tensorflow import is_runtime_noise

    tf_data = (
        b"E0000 00:00:1795454135.139333   31211 node_def_util.cc:682] NodeDef mentions attribute "
        b"use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; ..."
    )
    assert is_runtime_noise(tf_data)
    assert not is_runtime_noise(REAL_ERROR.encode())
    assert not is_runtime_noise(b"Traceback (most recent call last):")


def test_startup_noise_in_tsl_dated_format_is_dropped_too():
    # TensorFlow 2.20 (Colab's stack) writes records as "YYYY-MM-DD hh:mm:ss.ffffff: E ...".
    noise = (
        "2026-12-07 03:02:48.906200: E external/local_xla/xla/stream_executor/cuda/"
        "cuda_platform.cc:51] failed call to cuInit: UNKNOWN ERROR (303)\n"
        "2026-12-07 03:02:48.906300: I tensorflow/core/x.cc:1] oneDNN custom operations\n"
    )
    kept = "2026-12-07 03:02:48.906400: E tensorflow/core/x.cc:2] a real error\n"
    assert filter_startup_log(noise + kept) == kept
