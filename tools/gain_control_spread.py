"""Spread of notebook 05's gain control (section 1) over 20 draws.

From recurrent gain g = 0.9 to 1.05, the IRNN's gradient norm at initialisation grows by
some factor, and the backward amplification max_k ||dh_T/dh_(T-k)|| (largest over the
batch) by another; notebook 05 asserts that the first is more than twice the second.
This prints their ratio for SEED = 0..19, computed as the notebook does (the model's
draw and the first batch both follow SEED). No training. Run once with
`.venv/bin/python tools/gain_control_spread.py [--seeds 20]` and copy the range beside
the claim.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="draws: SEED = 0 .. seeds - 1")
    args = parser.parse_args()

    import tensorflow as tf

    from gradcourse._tensorflow import keras  # TensorFlow started the package's quiet way
    from gradcourse.clipping import global_norm
    from gradcourse.models import build_recurrent_model
    from gradcourse.recurrent_states import state_jacobian_norms
    from gradcourse.tasks import adding_problem

    T, N_TRAIN, BATCH = 30, 2_000, 50
    ratios = []
    for seed in range(args.seeds):
        train = adding_problem(N_TRAIN, T, seed=10 * seed + 1)
        x0, y0 = tf.constant(train.x[:BATCH]), tf.constant(train.y[:BATCH])
        sizes = {}
        for gain in (0.9, 1.05):
            keras.utils.set_random_seed(seed)
            model = build_recurrent_model(
                "SimpleRNN",
                T,
                2,
                units=32,
                activation="relu",
                recurrent_initializer=keras.initializers.Identity(gain=gain),
            )
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((model(x0) - y0) ** 2)
            gradients = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
            backward = state_jacobian_norms(model.get_layer("simplernn"), x0).max()
            sizes[gain] = (global_norm(gradients), float(backward))
        gradient_growth = sizes[1.05][0] / sizes[0.9][0]
        backward_growth = sizes[1.05][1] / sizes[0.9][1]
        ratios.append(gradient_growth / backward_growth)
        print(f"SEED {seed:>2}: gradient growth / backward growth {ratios[-1]:.1f}")
    ratios = np.array(ratios)
    print(
        f"min {ratios.min():.1f}, median {np.median(ratios):.1f}, max {ratios.max():.1f} "
        f"over SEED = 0..{args.seeds - 1}"
    )


if __name__ == "__main__":
    main()
