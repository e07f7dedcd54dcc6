"""gradcourse: the support package of a course on vanishing and exploding gradients.

Modules (import what a notebook needs; TensorFlow loads only where it is used):

- ``notebook``: setup (seeds, determinism, figure style, version report)
- ``gradcheck``: central finite differences and relative errors
- ``exercises``: ``check`` and ``show_solution`` for the exercises
- ``activations``: activations, derivatives, saturation statistics
- ``rnn``: a vanilla RNN in NumPy, BPTT, Jacobian products
- ``matrices``: random matrices with a chosen singular value or spectral radius
- ``tasks``: synthetic long-lag sequence tasks with their baselines
- ``models``: Keras model builders
- ``probes``: gradient and activation probes for Keras models
- ``clipping``: gradient-norm logging, a NaN guard, clipping helpers
- ``initializers``: spectra of Keras initializers
- ``plotting``: the course style and colours
"""

from gradcourse.exercises import check, show_solution
from gradcourse.notebook import in_colab, setup_notebook, version_report

__version__ = "0.1.0"
__all__ = ["check", "in_colab", "setup_notebook", "show_solution", "version_report"]
