"""What a run shows its reader besides figures (every chapter): numbers for the prose, and progress.

A chapter's text quotes what its cells measured through MyST-NB's ``glue``: the cell calls
:func:`glue`, the text writes ``{glue:text}`name:.1%```, and the published page shows the
number of the run that built it. Outside a Jupyter Book (on Colab, say) ``glue`` quietly does
nothing: the cells print their numbers anyway.

Long loops show a progress bar (:func:`progress`) on standard error, which updates in place in
Jupyter and a terminal, and which the book leaves out of its pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np

Item = TypeVar("Item")


def progress(items: Iterable[Item], description: str, unit: str = "img", minimum: int = 500) -> Iterable[Item]:
    """``items`` with a progress bar when there are at least ``minimum`` of them (or when their
    number is unknown, for long generated work pass ``minimum=0``)."""
    from tqdm import tqdm

    total = len(items) if hasattr(items, "__len__") else None
    return tqdm(items, desc=description, unit=unit, disable=total is not None and total < minimum)


def glue(name: str, value: Any) -> Any:
    """Hand ``value`` to the book under ``name`` (without showing it in the cell); return it.

    A NumPy scalar becomes the Python number it holds: myst-nb formats ``{glue:text}`name:.1%```
    from the value's ``repr``, and NumPy 2 writes ``np.float32(0.16)``, which it cannot read."""
    if isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=False)
    return value


def share_phrase(share: float) -> str:
    """An upper bound in words that never reads "at most 0.0%": "none", "under 0.1%" or "at most 2.3%"."""
    if share == 0:
        return "none"
    return "under 0.1%" if share < 0.0005 else f"at most {share:.1%}"


def glue_difference(name: str, first: float, second: float) -> float:
    """Glue ``first - second`` as the difference of the two shares the way a reader sees them printed
    with one decimal (91.3% and 81.7%: 9.6 points, where the exact difference might round to 9.5);
    in percentage points. Return it."""
    return glue(name, round(100 * first, 1) - round(100 * second, 1))


def glue_text(name: str, text: str) -> str:
    """Hand a phrase the run composed (a verdict such as "within the seeds' range") to the book,
    where ``{glue:md}`name``` shows it as text; return it."""
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    glue(name, Markdown(text))
    return text
