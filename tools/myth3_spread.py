"""Spread of notebook 08's myth 3 (ReLU SimpleRNNs at initialisation) over 20 draws.

R = ||dL/dx_0|| / ||dL/dx_(T-1)|| on the adding problem at T = 60, for the four recurrent
matrices of myth 3, computed exactly as the notebook does for SEED = 0..19 (Keras'
random draws, the probe batch and the Orthogonal seed all follow SEED). No training:
this is the 20-draw spread behind the bounds of myth 3's asserts. Run once with
`.venv/bin/python tools/myth3_spread.py [--seeds 20]` and copy the table beside the claim.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="draws: SEED = 0 .. seeds - 1")
    args = parser.parse_args()

    from gradcourse._tensorflow import keras  # TensorFlow started the package's quiet way
    from gradcourse.models import build_recurrent_model
    from gradcourse.probes import input_gradient_norms
    from gradcourse.tasks import adding_problem

    T = 60
    values: dict[str, list[float]] = {}
    for seed in range(args.seeds):
        K = keras.initializers
        inits = {
            "orthogonal, g = 1": K.Orthogonal(gain=1.0, seed=seed),
            "orthogonal, g = 2": K.Orthogonal(gain=2.0, seed=seed),
            "identity, g = 1": K.Identity(),
            "identity, g = 1.05": K.Identity(gain=1.05),
        }
        probe = adding_problem(256, T, seed=10 * seed + 3)
        for name, initializer in inits.items():
            keras.utils.set_random_seed(seed)
            model = build_recurrent_model(
                "SimpleRNN", T, 2, units=32, activation="relu", recurrent_initializer=initializer
            )
            grads = input_gradient_norms(model, probe.x, probe.y)
            values.setdefault(name, []).append(float(grads[0] / grads[-1]))
    print(f"R at initialisation, ReLU SimpleRNN, T = {T}, SEED = 0..{args.seeds - 1}")
    print(f"{'matrix':>19} | {'min':>8} | {'median':>8} | {'max':>8}")
    for name, rs in values.items():
        rs = np.array(rs)
        print(f"{name:>19} | {rs.min():>8.1e} | {np.median(rs):>8.1e} | {rs.max():>8.1e}")


if __name__ == "__main__":
    main()
