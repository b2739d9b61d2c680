"""lib.report: numbers handed to the book, and progress bars only where the work is long."""

from lib import report


def test_glue_returns_the_value_and_hands_it_to_myst_nb(monkeypatch):
    import myst_nb

    handed = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: handed.append((name, value, display)))
    assert report.glue("accuracy", 0.91) == 0.91
    assert handed == [("accuracy", 0.91, False)], "glued without showing it in the cell"


def test_progress_shows_a_bar_only_for_long_work(capsys):
    assert list(report.progress(range(3), "short", minimum=500)) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    assert list(report.progress(range(3), "long", minimum=0)) == [0, 1, 2]
    assert "long: 100%" in capsys.readouterr().err
