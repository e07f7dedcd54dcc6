"""Shared test settings: TensorFlow started the package's way (quiet, same environment)."""

import gradcourse._tensorflow  # noqa: F401  (before any test module imports TensorFlow itself)
