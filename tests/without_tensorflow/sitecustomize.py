"""Python without TensorFlow, for a test: put this folder first on ``PYTHONPATH`` and every
``import tensorflow`` (or ``tensorflow.anything``) of that process raises ``ModuleNotFoundError``.

It simulates a machine that has JAX or PyTorch but no TensorFlow (a GPU machine set up with
``requirements-jax.txt``) on a machine where TensorFlow is installed::

    PYTHONPATH=tests/without_tensorflow:. KERAS_BACKEND=jax python -m lib.train

Python imports ``sitecustomize`` at start-up, once ``PYTHONPATH`` is on ``sys.path``. This one
puts a finder at ``sys.meta_path[0]`` that answers for TensorFlow as an environment without it
does, in every way the course (:func:`lib.backend.has_tensorflow`) and Keras look:

* ``import tensorflow`` raises ``ModuleNotFoundError: No module named 'tensorflow'``;
* ``importlib.util.find_spec("tensorflow")`` returns None (it does not raise: a finder that raised
  would make ``find_spec`` raise too, which an environment without TensorFlow never does), so the
  finder takes the finders that were on ``sys.meta_path`` inside it and asks them for every other name;
* ``importlib.metadata`` finds no ``tensorflow`` distribution.

``tests/test_backend.py`` checks that a process started this way has no TensorFlow.
"""

from __future__ import annotations

import importlib.abc
import sys

HIDDEN = "tensorflow"


def hidden(name: str) -> bool:
    """Whether ``name`` is TensorFlow or one of its modules."""
    return name == HIDDEN or name.startswith(HIDDEN + ".")


class WithoutTensorFlow(importlib.abc.MetaPathFinder):
    """The first finder of ``sys.meta_path``: no spec and no distribution for TensorFlow, and what
    the finders it replaced (``finders``, asked in order) give for everything else."""

    def __init__(self, finders: list) -> None:
        self.finders = finders

    def find_spec(self, name, path=None, target=None):
        if hidden(name):
            return None
        for finder in self.finders:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec else None
            if spec is not None:
                return spec
        return None

    def find_distributions(self, context=None):
        import importlib.metadata

        context = importlib.metadata.DistributionFinder.Context() if context is None else context
        for finder in self.finders:
            if hasattr(finder, "find_distributions"):
                for distribution in finder.find_distributions(context):
                    name = (distribution.metadata["Name"] or "").lower().replace("_", "-")
                    if not (name == HIDDEN or name.startswith(HIDDEN + "-")):
                        yield distribution

    def invalidate_caches(self) -> None:
        for finder in self.finders:
            if hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()


def install() -> None:
    """Hide TensorFlow from this process, once; too late (an error) if something imported it already."""
    if any(hidden(name) for name in sys.modules):
        raise RuntimeError("TensorFlow was imported before sitecustomize could hide it.")
    if not any(isinstance(finder, WithoutTensorFlow) for finder in sys.meta_path):
        sys.meta_path[:] = [WithoutTensorFlow(list(sys.meta_path))]


install()
