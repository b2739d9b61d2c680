"""Self-checks for the exercises, one module per chapter (``from lib.checks import chapter3``).

Every check follows the same contract, so a notebook can be run top to bottom
before any exercise is done:

* no answer yet (``None`` or ``...``, or a function that still raises
  ``NotImplementedError``): prints what to do and returns False;
* a wrong answer: raises :class:`CheckFailed` whose message says what is off;
* a right answer: prints that it passed and returns True.

The expected values are computed from the course's own code, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class CheckFailed(AssertionError):
    """An exercise answer that is not right yet; the message says why."""


def unanswered(answer: Any) -> bool:
    """Whether ``answer`` is still the notebook's placeholder (``None`` or ``...``)."""
    return answer is None or answer is Ellipsis


def say_unanswered(exercise: str, what: str = "Replace the ... with your answer and run the cell again.") -> bool:
    """Print that exercise ``exercise`` has no answer yet, and what to do; return False."""
    print(f"Exercise {exercise}: not answered yet. {what}")
    return False


def passed(exercise: str, detail: str = "") -> bool:
    """Print that exercise ``exercise`` passed (with ``detail``); return True."""
    print(f"Exercise {exercise}: passed{f' ({detail})' if detail else ''}.")
    return True


def answered(exercise: str, detail: str) -> bool:
    """Print that a prediction exercise was answered but the run says otherwise (``detail``); return
    True: a wrong prediction is a finished exercise, never a "passed" one."""
    print(f"Exercise {exercise}: answered; the run disagrees ({detail}).")
    return True


def report(exercise: str, answer: Any, expected: Any, hint: str) -> bool:
    """The contract for an answer that is a value: compare it with ``expected``."""
    if unanswered(answer):
        return say_unanswered(exercise)
    if answer != expected:
        raise CheckFailed(f"Exercise {exercise}: {answer!r} is not right yet. {hint}")
    return passed(exercise, f"{answer!r} is right")


def run_answer(exercise: str, function: Callable[..., Any], *arguments: Any) -> Any:
    """The student's function applied to ``arguments``, or None (saying what to do) while it
    still raises ``NotImplementedError``."""
    try:
        return function(*arguments)
    except NotImplementedError:
        say_unanswered(exercise, "Write your code in place of `raise NotImplementedError`.")
        return None


def retraining_unanswered(exercise: str, prediction: Any, model: Any, history: Any, predict: str) -> bool:
    """The first steps of a change-and-retrain exercise: True (after saying what to do next) while
    the prediction (``predict`` says what it is) or the retrained model and its history are missing."""
    if unanswered(prediction):
        say_unanswered(exercise, f"Write your prediction first: {predict}.")
        return True
    if model is None or history is None:
        say_unanswered(exercise, "Now build the changed model, train it, and pass it and its history.")
        return True
    return False


def require_epochs(exercise: str, history: dict, epochs: int, reference: str) -> None:
    """Raise unless ``history`` has ``epochs`` epochs with validation accuracy, as ``reference`` had."""
    ran = len(history.get("val_accuracy", []))
    if ran != epochs:
        raise CheckFailed(f"Exercise {exercise}: the history has {ran} epochs with validation accuracy; "
                          f"{reference} trained for {epochs}. Train it as long, on the same data.")
