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


@pytest.mark.parametrize("share, phrase", [(0.0, "none"), (0.0004, "under 0.1%"), (0.023, "at most 2.3%")])
def test_a_share_in_words_never_reads_zero_percent(share, phrase):
    assert report.share_phrase(share) == phrase


def test_a_glued_difference_is_that_of_the_printed_numbers(monkeypatch):
    import myst_nb

    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: None)
    printed = f"{0.91254:.1%} {0.81705:.1%}"  # 91.3% 81.7%, exactly 9.549 points apart
    assert printed == "91.3% 81.7%"
    assert f"{report.glue_difference('gap', 0.91254, 0.81705):.1f}" == "9.6"
