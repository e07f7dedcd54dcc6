"""The spread over many draws of every quantity a notebook asserts (not part of CI).

    python tools/spreads.py notebooks/02_saturation.py [...] [--seeds 20] [--first 0] [--out FILE]

Runs a notebook's code cells in this process once per seed (its ``SEED = 0`` line set to
0, 1, ..., N-1, as ``tools/check_seeds.py`` does), with every ``assert`` turned into a
recorder: the run goes on when one fails, and for each assert it keeps whether it held
and the value of every non-constant operand of its comparisons (``a < x < b`` records
``x``; an array records its min and max). It then prints, per assert, in how many draws
it held and each operand's min, median and max over the draws: the spread its bound
must follow from. Run it in the floors' environment too (``tools/floors_stack.py
--keep``), since another Keras draws other weights from the same seed.

Figures are drawn with Matplotlib's Agg backend and closed; IPython magics (the Colab
install cell) are skipped; the notebooks' prints are discarded.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class AssertRecord:
    """One assert of a notebook: where it is, and what each draw gave."""

    line: str  # the assert's source
    held: list[bool] = field(default_factory=list)
    operands: dict[str, list[float]] = field(default_factory=dict)


class _Recorder:
    """Receives what the rewritten asserts report, for the seed being run."""

    def __init__(self) -> None:
        self.records: dict[str, AssertRecord] = {}

    def __call__(
        self, key: str, line: str, test: Callable[[], object], operands: dict[str, Callable]
    ) -> None:
        record = self.records.setdefault(key, AssertRecord(line))
        try:
            record.held.append(bool(test()))
        except Exception:  # the assert's own expression failed: count it as not held
            record.held.append(False)
        for source, get in operands.items():
            with contextlib.suppress(Exception):
                value = get()
                import numpy as np

                array = np.asarray(value, dtype=float)
                if array.size == 1:
                    record.operands.setdefault(source, []).append(float(array))
                elif array.size > 1:
                    record.operands.setdefault(f"min({source})", []).append(float(array.min()))
                    record.operands.setdefault(f"max({source})", []).append(float(array.max()))


class _AssertRewriter(ast.NodeTransformer):
    """``assert test`` -> ``__record__(key, line, lambda: test, {operand: lambda: operand})``."""

    def __init__(self, cell: int, source: str) -> None:
        self.cell, self.source = cell, source

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        operands: dict[str, ast.expr] = {}
        for compare in _top_level_compares(node.test):
            for operand in [compare.left, *compare.comparators]:
                if not _is_constant(operand):
                    operands.setdefault(ast.get_source_segment(self.source, operand), operand)
        line = ast.get_source_segment(self.source, node.test)
        call = ast.Call(
            func=ast.Name("__record__", ast.Load()),
            args=[
                ast.Constant(f"cell {self.cell}, line {node.lineno}"),
                ast.Constant(" ".join(line.split())),
                ast.Lambda(_no_args(), node.test),
                ast.Dict(
                    keys=[ast.Constant(" ".join(text.split())) for text in operands],
                    values=[ast.Lambda(_no_args(), expr) for expr in operands.values()],
                ),
            ],
            keywords=[],
        )
        return ast.copy_location(ast.Expr(call), node)


def _no_args() -> ast.arguments:
    return ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )


def _is_constant(node: ast.expr) -> bool:
    """A number or an arithmetic of numbers (``1 / 3``, ``1e-3``): not a measured quantity."""
    return all(
        isinstance(n, ast.Constant | ast.BinOp | ast.UnaryOp | ast.operator | ast.unaryop)
        for n in ast.walk(node)
    )


def _top_level_compares(node: ast.expr) -> list[ast.Compare]:
    """The comparisons of an assert outside comprehensions and lambdas (whose names are local)."""
    found: list[ast.Compare] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(
            current, ast.GeneratorExp | ast.ListComp | ast.SetComp | ast.DictComp | ast.Lambda
        ):
            continue
        if isinstance(current, ast.Compare):
            found.append(current)
        stack.extend(ast.iter_child_nodes(current))
    return found


def code_cells(script: Path, seed: int) -> list[str]:
    """The code cells of ``script`` with ``SEED = 0`` set to ``seed`` and magics skipped."""
    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_exec import notebook_with_seed

    cells = []
    for cell in notebook_with_seed(script, seed).cells:
        if cell.cell_type != "code":
            continue
        lines = [
            line[: len(line) - len(line.lstrip())] + "pass  # magic skipped"
            if line.lstrip().startswith(("%", "!"))
            else line
            for line in cell.source.splitlines()
        ]
        cells.append("\n".join(lines))
    return cells


def run_notebook(
    script: Path,
    seeds: range,
    cells: set[int] | None = None,
    defined: dict[str, object] | None = None,
) -> tuple[dict[str, AssertRecord], list[float]]:
    """Run ``script`` once per seed with recording asserts; (records, seconds per seed).

    ``cells``: run only these code cells (numbered from 1), e.g. those that need no
    training (``tools/init_spreads.py``); ``defined``: names a skipped cell would have
    defined, set before the first cell.
    """
    import matplotlib.pyplot as plt

    recorder = _Recorder()
    seconds = []
    for seed in seeds:
        start = time.perf_counter()
        namespace: dict[str, object] = {"__record__": recorder, "__name__": "__main__"}
        namespace.update(defined or {})
        for number, source in enumerate(code_cells(script, seed), start=1):
            if cells is not None and number not in cells:
                continue
            tree = ast.fix_missing_locations(
                _AssertRewriter(number, source).visit(ast.parse(source))
            )
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(tree, f"{script.name} cell {number}", "exec"), namespace)
            plt.close("all")
        with contextlib.suppress(Exception):
            from gradcourse._tensorflow import keras

            keras.backend.clear_session()
        seconds.append(time.perf_counter() - start)
        print(f"{script.stem} seed {seed}: {seconds[-1]:.1f} s", file=sys.stderr, flush=True)
    return recorder.records, seconds


def _number(value: float) -> str:
    return f"{value:.3g}"


def report(script: Path, records: dict[str, AssertRecord]) -> str:
    """Per assert: how many draws it held in, and each operand's min, median and max."""
    out = [f"## {script.name}"]
    for key, record in records.items():
        draws = len(record.held)
        mark = "" if all(record.held) else "   <-- NOT EVERY DRAW"
        out.append(f"- {key}: `{record.line}`: held in {sum(record.held)} of {draws}{mark}")
        for source, values in record.operands.items():
            low, mid, high = min(values), statistics.median(values), max(values)
            out.append(
                f"    {source}: min {_number(low)}, median {_number(mid)}, max {_number(high)}"
            )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="+", type=Path)
    parser.add_argument("--seeds", type=int, default=20, help="draws: seeds 0 to N-1 (20)")
    parser.add_argument("--first", type=int, default=0, help="start at this seed (0)")
    parser.add_argument("--out", type=Path, help="also write the values as JSON here")
    args = parser.parse_args(argv)
    import gradcourse

    stack = gradcourse.version_report()
    last = args.first + args.seeds - 1
    print(f"# Spreads over seeds {args.first}-{last}\n\n{stack} ({platform.machine()})\n")
    everything = {}
    for script in args.scripts:
        records, seconds = run_notebook(script, range(args.first, args.first + args.seeds))
        print(report(script, records))
        print(f"  ({statistics.median(seconds):.1f} s per draw)\n", flush=True)
        everything[script.name] = {
            key: {"line": r.line, "held": r.held, "operands": r.operands}
            for key, r in records.items()
        }
    if args.out:
        args.out.write_text(json.dumps({"stack": stack, "notebooks": everything}, indent=1))
    failing = [
        f"{name} {key}"
        for name, records in everything.items()
        for key, record in records.items()
        if not all(record["held"])
    ]
    print(
        f"{len(failing)} asserts did not hold in every draw" + "".join(f"\n  {f}" for f in failing)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
