"""lib.report: numbers handed to the book, and progress bars only where the work is long."""

import numpy as np
import pytest

from lib import report


def test_glue_returns_the_value_and_hands_it_to_myst_nb(monkeypatch):
    import myst_nb

    handed = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: handed.append((name, value, display)))
    assert report.glue("accuracy", 0.91) == 0.91
    assert handed == [("accuracy", 0.91, False)], "glued without showing it in the cell"


@pytest.mark.parametrize("value", [np.float32(0.16030706), np.float64(0.036), np.int64(7)])
def test_a_numpy_scalar_is_glued_as_a_number_the_book_can_format(monkeypatch, value):
    """myst-nb formats ``{glue:text}`key:.1%``` with ``float(repr(value))``; NumPy 2's repr
    (``np.float32(0.16)``) made that fail, a warning that stopped the book build."""
    import myst_nb

    handed = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: handed.append(value))
    assert report.glue("share", value) == value
    assert float(repr(handed[0])) == pytest.approx(float(value))


def test_progress_shows_a_bar_only_for_long_work(capsys):
    assert list(report.progress(range(3), "short", minimum=500)) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    assert list(report.progress(range(3), "long", minimum=0)) == [0, 1, 2]
    assert "long: 100%" in capsys.readouterr().err
