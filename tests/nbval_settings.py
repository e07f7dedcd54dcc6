"""pytest hooks for nbval: compare what is reproducible, as COURSE.md prescribes.

``tests/nbval_isolated.py`` installs this file as the ``conftest.py`` of its temporary
directory, so that every pytest-xdist worker loads it too (a plugin object passed to
``pytest.main`` stays in the parent process).
"""

from __future__ import annotations

import pytest


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        # nbval starts the kernel with stderr discarded, so TensorFlow's C++ log lines
        # stored in the notebook are never reproduced: don't compare stderr.
        collector.skip_compare += ("stderr",)


def pytest_runtest_teardown(item):
    """Fail a cell that wrote to stderr: readers see it in red, on any stack.

    The committed notebooks hold no stderr (a unit test checks them), but another
    TensorFlow can write lines this one does not (TF 2.16's XLA start-up lines): the
    Colab-stack and floors jobs run this check where the stored outputs cannot.
    """
    outputs = getattr(item, "test_outputs", None) or []
    stderr = [
        output["text"]
        for output in outputs
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    ]
    if stderr:
        pytest.fail(f"the cell wrote to stderr:\n{''.join(stderr)[:2000]}", pytrace=False)
