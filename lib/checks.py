"""Self-checks for the exercises: each says what is wrong, or that the answer passed.

Every check follows the same contract, so a notebook can be run top to bottom
before any exercise is done:

* no answer yet (``None`` or ``...``): prints what to do and returns False;
* a wrong answer: raises :class:`CheckFailed` whose message says what is off;
* a right answer: prints that it passed and returns True.

The expected values are computed from the course's own code, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from lib import config, models


class CheckFailed(AssertionError):
    """An exercise answer that is not right yet; the message says why."""


def _unanswered(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def _report(exercise: str, answer: Any, expected: Any, hint: str) -> bool:
    if _unanswered(answer):
        print(f"Exercise {exercise}: not answered yet. Replace the ... with your answer and run the cell again.")
        return False
    if answer != expected:
        raise CheckFailed(f"Exercise {exercise}: {answer!r} is not right yet. {hint}")
    print(f"Exercise {exercise}: passed ({answer!r} is right).")
    return True


def _parameters_at_tiny_size(build: Callable[..., keras.Model]) -> int:
    return build(input_shape=config.settings_for("tiny").input_shape).count_params()


def parameters_at_tiny_size(answer: int | None) -> bool:
    """Exercise 0.1: the parameter count of the mini Xception at tiny mode's image size."""
    return _report(
        "0.1", answer, _parameters_at_tiny_size(models.build_mini_xception),
        "Which weight shapes depend on the image's height and width? Convolution kernels "
        "do not, and global average pooling hands the Dense layer one number per channel "
        "whatever the map size.",
    )


def naive_convnet_parameters_at_tiny_size(answer: int | None) -> bool:
    """Exercise 0.2: the naive convnet's parameter count at tiny mode's image size."""
    return _report(
        "0.2", answer, _parameters_at_tiny_size(models.build_naive_convnet),
        "Flatten makes the Dense layer's weights depend on the last feature map's area: "
        "follow the spatial size through each 3x3 'valid' convolution (minus 2) and each "
        "2x2 pooling (halved, rounded down).",
    )
