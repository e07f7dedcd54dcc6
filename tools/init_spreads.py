"""Spread over 20 draws of every quantity notebooks 04 and 06-09 assert at initialisation.

    .venv/bin/python tools/init_spreads.py [--seeds 20] [--notebooks 04 06 07 08 09]

No training: each quantity is measured on the models the notebook builds before it
trains them, exactly as the notebook builds them for SEED = 0 .. seeds - 1 (Keras' random
draws, the data and the probe batch all follow SEED), with the package functions the
notebook calls and the notebook's own helpers (04's ``model_at_init``, 07's
``adding_model``, 08's ``prepare``), read from its source by name (``notebook_function``):
one source, so the tool cannot drift from the notebook. For each quantity it prints the
min, median and max over the draws and
in how many draws the notebook's bound held (the bounds written here are the notebooks';
change them together): the spread a bound must follow from. (The
quantities of 01-03 and 08's NumPy-only experiments, which need no training at all, are
measured by running those cells with ``tools/spreads.py``'s recording asserts: for 08,
this tool runs its cells that train nothing, ``--cells-08``.) Run it on this stack and in the
floors' environment (``tools/floors_stack.py --keep``): another Keras draws other weights
from the same seed. Copy the numbers beside the claims; not part of CI.
"""

from __future__ import annotations

import argparse
import ast
import platform
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# name -> (bound as written in the notebook, test of one value, values over the draws)
Spread = dict[str, tuple[str, Callable[[float], bool], list[float]]]


def record(spread: Spread, name: str, value: float, bound: str, holds: Callable) -> None:
    spread.setdefault(name, (bound, holds, []))[2].append(float(value))


def first_to_last(grads) -> float:
    return float(grads[0] / grads[-1])


NOTEBOOK_SCRIPTS = Path(__file__).resolve().parent.parent / "notebooks"


def notebook_function(script: str, name: str, namespace: dict[str, Any]) -> Callable:
    """The function ``name`` as the notebook ``script`` defines it, read from its source.

    One source: the tool calls the notebook's own code, not a copy of it, so the two cannot
    drift apart. ``namespace`` gives the globals the function uses (``SEED``, the data, the
    modules); a function the notebook renames or removes fails here loudly.
    """
    source = (NOTEBOOK_SCRIPTS / script).read_text()
    # IPython magics (the Colab install cell) are no Python: a `pass` keeps the indentation
    source = re.sub(r"^(\s*)[%!].*$", r"\1pass", source, flags=re.MULTILINE)
    tree = ast.parse(source)
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name]
    if len(found) != 1:
        raise LookupError(f"{script} defines {name!r} {len(found)} times, expected once")
    exec(compile(ast.Module(found, type_ignores=[]), f"{script}:{name}", "exec"), namespace)
    return namespace[name]


def notebook_04(seed: int, spread: Spread) -> None:
    """04: the baseline check, R of the three cells at T = 60, the LSTM's gates and paths,
    the GRU's gates and R."""
    from gradcourse._tensorflow import keras
    from gradcourse.lstm_paths import decay_per_step, lstm_gradient_paths, lstm_states
    from gradcourse.models import build_recurrent_model
    from gradcourse.probes import input_gradient_norms, lstm_gate_activations
    from gradcourse.recurrent_states import recurrent_states
    from gradcourse.tasks import adding_problem, constant_prediction_mse

    T = 60
    test = adding_problem(1_000, T, seed=10 * seed + 2)
    probe = adding_problem(512, T, seed=10 * seed + 3)
    constant = constant_prediction_mse(test.y) / test.baseline_mse - 1
    record(spread, "constant_mse / baseline - 1", constant, "abs(.) < 0.1", lambda v: abs(v) < 0.1)

    model_at_init = notebook_function(  # 04's, which builds what train_and_probe built
        "04_simplernn_vs_lstm.py",
        "model_at_init",
        {"keras": keras, "build_recurrent_model": build_recurrent_model, "SEED": seed, "T": T},
    )

    models = {cell: model_at_init(cell) for cell in ("SimpleRNN", "LSTM", "GRU")}
    grads = {cell: input_gradient_norms(m, probe.x, probe.y) for cell, m in models.items()}
    for cell in ("SimpleRNN", "LSTM", "GRU"):
        bound = "< 0.2" if cell == "SimpleRNN" else "< 2e-3"
        limit = 0.2 if cell == "SimpleRNN" else 2e-3
        record(
            spread,
            f"R at init, {cell}",
            first_to_last(grads[cell]),
            bound,
            lambda v, limit=limit: v < limit,
        )

    steps = np.arange(T)
    first_marker = probe.x[:, :, 1].argmax(axis=1)
    must_remember = steps[None, :] > first_marker[:, None]

    def mean_per_unit(gate):
        return np.array([gate[:, :, u][must_remember].mean() for u in range(gate.shape[2])])

    lstm = models["LSTM"]
    gates_init = lstm_gate_activations(lstm.get_layer("lstm"), probe.x)
    f_init = mean_per_unit(gates_init["f"])
    record(spread, "f_init.min()", f_init.min(), "> 0.65", lambda v: v > 0.65)
    record(spread, "f_init.max()", f_init.max(), "< 0.8", lambda v: v < 0.8)
    record(spread, "f_init.max() ** 30", f_init.max() ** (T // 2), "< 0.5", lambda v: v < 0.5)

    x_paths, y_paths = probe.x[:128], probe.y[:128]
    lstm_bias0 = model_at_init("LSTM", unit_forget_bias=False)
    h_states, _ = lstm_states(lstm.get_layer("lstm"), x_paths)
    keras_h = keras.Model(lstm.input, lstm.get_layer("lstm").output)(x_paths)
    record(
        spread,
        "max abs(h (re-implementation) - h (Keras))",
        np.max(np.abs(h_states[:, -1] - keras_h)),
        "< 1e-5",
        lambda v: v < 1e-5,
    )
    paths = {
        "bias 1": lstm_gradient_paths(lstm, x_paths, y_paths),
        "bias 0": lstm_gradient_paths(lstm_bias0, x_paths, y_paths),
    }
    gates_bias0 = lstm_gate_activations(lstm_bias0.get_layer("lstm"), x_paths)
    mean_f = {"bias 1": gates_init["f"][:128].mean(), "bias 0": gates_bias0["f"].mean()}
    for name, p in paths.items():
        record(
            spread, f"cell share at x_0, {name}", p.cell_share()[0], "< 0.03", lambda v: v < 0.03
        )
        record(
            spread,
            f"abs(decay(cell) - mean f), {name}",
            abs(decay_per_step(p.cell) - mean_f[name]),
            "< 0.07",
            lambda v: v < 0.07,
        )
        record(
            spread,
            f"decay(total) - decay(cell), {name}",
            decay_per_step(p.total) - decay_per_step(p.cell),
            "> 0.03",
            lambda v: v > 0.03,
        )
        record(spread, f"decay(cell), {name}", decay_per_step(p.cell), "(prose)", lambda v: True)
        record(spread, f"mean f, {name}", mean_f[name], "(prose)", lambda v: True)
    record(
        spread,
        "decay(total), bias 1",
        decay_per_step(paths["bias 1"].total),
        "0.78 < . < 0.92",
        lambda v: 0.78 < v < 0.92,
    )
    record(
        spread,
        "decay(total), bias 0",
        decay_per_step(paths["bias 0"].total),
        "(prose)",
        lambda v: True,
    )
    record(
        spread,
        "abs(mean f (bias 0) - 0.5)",
        abs(mean_f["bias 0"] - 0.5),
        "< 0.05",
        lambda v: v < 0.05,
    )
    estimate = mean_f["bias 1"] ** (T - 1)
    p1 = paths["bias 1"]
    record(
        spread,
        "cell[0] / total[-1] / f^59",
        p1.cell[0] / p1.total[-1] / estimate,
        "0.01 < . < 100",
        lambda v: 0.01 < v < 100,
    )
    record(
        spread,
        "total[0] / total[-1] / f^59",
        p1.total[0] / p1.total[-1] / estimate,
        "> 100",
        lambda v: v > 100,
    )
    p0 = paths["bias 0"]
    record(
        spread,
        "R (bias 0) / R (bias 1), paths batch",
        (p0.total[0] / p0.total[-1]) / (p1.total[0] / p1.total[-1]),
        "< 1e-7",
        lambda v: v < 1e-7,
    )

    gru = models["GRU"]
    z_init = mean_per_unit(recurrent_states(gru.get_layer("gru"), probe.x)["z"])
    record(
        spread, "abs(z_init.mean() - 0.5)", abs(z_init.mean() - 0.5), "< 0.05", lambda v: v < 0.05
    )
    record(spread, "z_init.max()", z_init.max(), "< 0.6", lambda v: v < 0.6)
    record(
        spread,
        "R (GRU) / R (LSTM) at init",
        first_to_last(grads["GRU"]) / first_to_last(grads["LSTM"]),
        "< 1e-5",
        lambda v: v < 1e-5,
    )
    decay_gru, decay_lstm = decay_per_step(grads["GRU"]), decay_per_step(grads["LSTM"])
    record(spread, "decay (GRU)", decay_gru, "> 0.5", lambda v: v > 0.5)
    record(spread, "decay (LSTM) - decay (GRU)", decay_lstm - decay_gru, "> 0", lambda v: v > 0)
    record(spread, "decay (LSTM)", decay_lstm, "(printed)", lambda v: True)


def notebook_07(seed: int, spread: Spread) -> None:
    """07, section 1: the initial loss and R of the SimpleRNN and the GRU at T = 60."""
    from gradcourse._tensorflow import keras
    from gradcourse.probes import input_gradient_norms
    from gradcourse.tasks import adding_problem
    from gradcourse.training import evaluate_mse

    T = 60
    probe = adding_problem(128, T, seed=10 * seed + 3)
    zero_loss = float(np.mean(probe.y**2))
    record(
        spread, "abs(zero_loss - 7/6)", abs(zero_loss - (1 / 6 + 1)), "< 0.35", lambda v: v < 0.35
    )
    ratio = {}
    adding_model = notebook_function(
        "07_diagnose_your_rnn.py", "adding_model", {"keras": keras, "SEED": seed, "T": T}
    )
    for cell in ("SimpleRNN", "GRU"):
        model = adding_model(cell)
        record(
            spread,
            f"initial loss / zero_loss, {cell}",
            evaluate_mse(model, probe) / zero_loss,
            "0.2 < . < 5",
            lambda v: 0.2 < v < 5,
        )
        grad = input_gradient_norms(model, probe.x, probe.y)
        ratio[cell] = first_to_last(grad)
        record(
            spread,
            f"R at init, {cell}",
            ratio[cell],
            "GRU: < 1e-5" if cell == "GRU" else "(ratio)",
            (lambda v: v < 1e-5) if cell == "GRU" else (lambda v: True),
        )
    record(
        spread,
        "R (SimpleRNN) / R (GRU)",
        ratio["SimpleRNN"] / ratio["GRU"],
        "> 100",
        lambda v: v > 100,
    )


def notebook_08(seed: int, spread: Spread) -> None:
    """08: R at init of the training runs (myths 1, 4, 5), myth 3's ReLU RNNs and myth 4's
    large init."""
    from gradcourse._tensorflow import keras
    from gradcourse.experiments import model_at_init
    from gradcourse.layer_norm_rnn import build_layer_norm_rnn_model
    from gradcourse.models import build_recurrent_model
    from gradcourse.probes import input_gradient_norms
    from gradcourse.tasks import adding_problem

    T = 30
    probes = {lag: adding_problem(256, lag, seed=10 * seed + 3) for lag in (T, 2 * T)}
    namespace = {
        "keras": keras,
        "build_recurrent_model": build_recurrent_model,
        "build_layer_norm_rnn_model": build_layer_norm_rnn_model,
        "input_gradient_norms": input_gradient_norms,
        "SEED": seed,
        "T": T,
        "data": {lag: (None, None, probe) for lag, probe in probes.items()},  # probes only
    }
    notebook_function("08_myths_on_trial.py", "recurrent_cell", namespace)
    prepare_run = notebook_function("08_myths_on_trial.py", "prepare", namespace)

    def prepare(cell, lag=T, **options):  # 08's prepare: R before training
        return first_to_last(prepare_run(cell, lag, **options)["at_init"])

    r_plain, r_normed = prepare("SimpleRNN"), prepare("LayerNorm")
    r_lstm, r_bias0 = prepare("LSTM"), prepare("LSTM", unit_forget_bias=False)
    r_long = prepare("LSTM", lag=2 * T)
    record(spread, "myth 1: R at init, SimpleRNN, T = 30", r_plain, "< 1", lambda v: v < 1)
    record(spread, "myth 4.1: R at init, LSTM, T = 60", r_long, "< 2e-3", lambda v: v < 2e-3)
    record(spread, "myth 4.1: R at init, LSTM, T = 30", r_lstm, "(printed)", lambda v: True)
    record(
        spread,
        "myth 4.2: R (bias 0) / R (bias 1), T = 30",
        r_bias0 / r_lstm,
        "< 0.01",
        lambda v: v < 0.01,
    )
    record(spread, "myth 5: R at init, LayerNorm RNN", r_normed, "> 1", lambda v: v > 1)
    record(
        spread,
        "myth 5: R (LayerNorm) / R (SimpleRNN)",
        r_normed / r_plain,
        "> 10",
        lambda v: v > 10,
    )

    long_probe = probes[2 * T]

    # 08's calls, to the package function they share
    _, default_norm = model_at_init("LSTM", long_probe, seed=seed)
    large, large_norm = model_at_init(
        "LSTM",
        long_probe,
        seed=seed,
        recurrent_initializer=keras.initializers.RandomNormal(stddev=1.0, seed=seed),
    )
    r_large = first_to_last(input_gradient_norms(large, long_probe.x, long_probe.y))
    record(
        spread, "myth 4.4: norm of grad L, RandomNormal(1)", large_norm, "(printed)", lambda v: True
    )
    record(
        spread, "myth 4.4: norm of grad L, default init", default_norm, "(printed)", lambda v: True
    )
    record(
        spread,
        "myth 4.4: ratio of the norms",
        large_norm / default_norm,
        "> 1",
        lambda v: v > 1,
    )
    record(spread, "myth 4.4: R, RandomNormal(1)", r_large, "> 10", lambda v: v > 10)

    K = keras.initializers  # myth 3, experiment 2: ReLU SimpleRNNs at T = 60
    relu_inits = {
        "orthogonal, g = 1": (K.Orthogonal(gain=1.0, seed=seed), "< 1e-4", lambda v: v < 1e-4),
        "orthogonal, g = 2": (K.Orthogonal(gain=2.0, seed=seed), "> 1e3", lambda v: v > 1e3),
        "identity, g = 1": (K.Identity(), "0.2 < . < 4", lambda v: 0.2 < v < 4),
        "identity, g = 1.05": (K.Identity(gain=1.05), "> 3", lambda v: v > 3),
    }
    for name, (initializer, bound, holds) in relu_inits.items():
        keras.utils.set_random_seed(seed)
        model = build_recurrent_model(
            "SimpleRNN", 2 * T, 2, units=32, activation="relu", recurrent_initializer=initializer
        )
        grads = input_gradient_norms(model, long_probe.x, long_probe.y)
        record(spread, f"myth 3: R at init, ReLU, {name}", first_to_last(grads), bound, holds)


def notebook_06(seed: int, spread: Spread) -> None:
    """06, section 3: R at initialisation of the 2 x 2 (tanh or ReLU, orthogonal or identity),
    built and probed by the package function 06's runs use, on 06's 512-sequence probe."""
    from gradcourse._tensorflow import keras
    from gradcourse.experiments import _prepare
    from gradcourse.tasks import adding_problem

    T = 60
    probe = adding_problem(512, T, seed=10 * seed + 3)
    K = keras.initializers
    grid = {  # 06's settings, without the learning rate (it does not change the model at init)
        "tanh, orthogonal": ({}, "(printed)", lambda v: True),
        "tanh, identity": ({"recurrent_initializer": K.Identity()}, "(printed)", lambda v: True),
        "ReLU, orthogonal": ({"activation": "relu"}, "< 1e-4", lambda v: v < 1e-4),
        "IRNN (ReLU, identity)": (
            {"activation": "relu", "recurrent_initializer": K.Identity()},
            "> 0.2",
            lambda v: v > 0.2,
        ),
    }
    for name, (layer_kwargs, bound, holds) in grid.items():
        prepared = _prepare("SimpleRNN", probe, probe, 32, seed, layer_kwargs)
        record(spread, f"R at init, {name}", first_to_last(prepared.gradient_at_init), bound, holds)


def notebook_09(seed: int, spread: Spread) -> None:
    """09, section 1: R at initialisation of the tanh RNN and the delayed RNN (T = 60, 16
    units, delay 10) on the first 64 test sequences, as 09's train_at_60 measures it."""
    from gradcourse._tensorflow import keras
    from gradcourse.delay_rnn import build_delay_rnn_model
    from gradcourse.models import build_recurrent_model
    from gradcourse.probes import input_gradient_norms
    from gradcourse.tasks import adding_problem

    T = 60
    test = adding_problem(1_000, T, seed=10 * seed + 2)
    x, y = test.x[:64], test.y[:64]
    builds = {
        "tanh RNN": lambda: build_recurrent_model("SimpleRNN", T, 2, 16),
        "delay 10": lambda: build_delay_rnn_model(T, 2, 16, delay=10),
    }
    ratio = {}
    for name, build in builds.items():
        keras.utils.set_random_seed(seed)
        ratio[name] = first_to_last(input_gradient_norms(build(), x, y))
    record(spread, "R at init, tanh RNN", ratio["tanh RNN"], "(printed)", lambda v: True)
    record(spread, "R at init, delay 10", ratio["delay 10"], "> 0.25", lambda v: v > 0.25)
    record(
        spread,
        "R (delay 10) / R (tanh RNN)",
        ratio["delay 10"] / ratio["tanh RNN"],
        "> 10",
        lambda v: v > 10,
    )
    _notebook_09_attention(seed, spread)
    _notebook_09_rnn_beside_the_lru(seed, spread)


def _notebook_09_attention(seed: int, spread: Spread) -> None:
    """09, section 3: the gradient reaching the first step of attention pooling at T = 50 to
    800 (64 sequences each), its log-log slope against T and its value at T = 800."""
    from gradcourse._tensorflow import keras, tf
    from gradcourse.probes import input_gradient_norms
    from gradcourse.tasks import adding_problem

    script = "09_shortcuts_through_time.py"
    build = notebook_function(script, "build_attention_pooling", {"keras": keras})
    sum_loss = notebook_function(script, "sum_loss", {"tf": tf})
    lengths = np.array([50, 100, 200, 400, 800])  # 09's LENGTHS
    first_step = []
    for T in lengths:
        keras.utils.set_random_seed(seed)
        probe = adding_problem(64, int(T), seed=10 * seed + 3)
        first_step.append(input_gradient_norms(build(int(T)), probe.x, probe.y, loss=sum_loss)[0])
    slope = np.polyfit(np.log(lengths), np.log(first_step), 1)[0]
    record(
        spread,
        "attention: log-log slope of ||dL/dx_0|| against T",
        slope,
        "within 0.1 of -1",
        lambda v: abs(v + 1) < 0.1,
    )
    record(
        spread, "attention: ||dL/dx_0|| at T = 800", first_step[-1], "> 1e-4", lambda v: v > 1e-4
    )


def _notebook_09_rnn_beside_the_lru(seed: int, spread: Spread) -> None:
    """09, section 4: the tanh SimpleRNN probed beside the LRU at T = 200, built after the
    LRU from the same seed as 09 builds it: its gradient at lag 199 over lag 1."""
    import math

    from gradcourse._tensorflow import keras, tf
    from gradcourse.lru import LRU
    from gradcourse.probes import input_gradient_norms

    sum_loss = notebook_function("09_shortcuts_through_time.py", "sum_loss", {"tf": tf})
    T, modes = 200, 32  # 09's T_PROBE and MODES, on the ring [0.9, 0.999], phase pi / 10
    x = np.random.default_rng(seed).uniform(size=(1, T, 1)).astype(np.float32)
    keras.utils.set_random_seed(seed)
    keras.Sequential(
        [keras.Input((T, 1)), LRU(modes, 1, r_min=0.9, r_max=0.999, max_phase=math.pi / 10)]
    )
    rnn = keras.Sequential(
        [keras.Input((T, 1)), keras.layers.SimpleRNN(modes), keras.layers.Dense(1)]
    )
    grads = input_gradient_norms(rnn, x, np.zeros((1, 1)), loss=sum_loss)
    record(
        spread,
        "tanh SimpleRNN beside the LRU: lag 199 / lag 1",
        grads[0] / grads[-2],
        "< 1e-4",
        lambda v: v < 1e-4,
    )


NOTEBOOKS = {
    "04": notebook_04,
    "06": notebook_06,
    "07": notebook_07,
    "08": notebook_08,
    "09": notebook_09,
}
# 08's code cells that train nothing: setup, data and helpers, myth 2, myth 3's saturation,
# myth 5's shared batch statistics, myth 6 (Adam on random gradients)
CELLS_08 = {1, 2, 3, 9, 10, 11, 12, 17, 20, 21}


def cells_08(seeds: range) -> str:
    """Run 08's cells that train nothing with recording asserts (tools/spreads.py)."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from spreads import report, run_notebook

    script = Path(__file__).resolve().parent.parent / "notebooks" / "08_myths_on_trial.py"
    # `steps` comes from myth 1's figure cell, which plots trained runs; myth 5 plots with it
    records, _ = run_notebook(script, seeds, cells=CELLS_08, defined={"steps": np.arange(30)})
    return report(script, records)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="draws: SEED = 0 .. seeds - 1")
    parser.add_argument("--notebooks", nargs="+", default=list(NOTEBOOKS), choices=NOTEBOOKS)
    parser.add_argument(
        "--cells-08", action="store_true", help="also 08's cells that train nothing"
    )
    args = parser.parse_args(argv)
    from gradcourse.notebook import seed_everything, version_report

    seed_everything(0)  # op determinism on, as gc.setup_notebook does
    print(f"# At initialisation, SEED = 0..{args.seeds - 1}\n")
    print(f"{version_report()} ({platform.machine()})\n")
    for number in args.notebooks:
        spread: Spread = {}
        for seed in range(args.seeds):
            NOTEBOOKS[number](seed, spread)
            print(f"notebook {number}, seed {seed} done", file=sys.stderr, flush=True)
        print(f"## {number}\n")
        print("| quantity | min | median | max | bound | held |\n|---|---|---|---|---|---|")
        for name, (bound, holds, values) in spread.items():
            held = sum(bool(holds(v)) for v in values)
            mark = "" if held == len(values) else " **not every draw**"
            print(
                f"| {name} | {min(values):.3g} | {np.median(values):.3g} | {max(values):.3g} "
                f"| {bound} | {held} of {len(values)}{mark} |"
            )
        print(flush=True)
    if args.cells_08:
        print(cells_08(range(args.seeds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
