"""Each exercise check: silent about a missing answer, explicit about a wrong one, glad about a right one."""

import pytest

from lib import checks, config, models

TINY = config.settings_for("tiny").input_shape
CASES = [
    (checks.parameters_at_tiny_size, lambda: models.build_mini_xception(TINY).count_params(), "global average pooling"),
    (checks.naive_convnet_parameters_at_tiny_size, lambda: models.build_naive_convnet(TINY).count_params(), "Flatten"),
]


@pytest.mark.parametrize("check, right, hint", CASES)
def test_unanswered_prints_what_to_do(check, right, hint, capsys):
    assert check(...) is False and check(None) is False
    assert "not answered yet" in capsys.readouterr().out


@pytest.mark.parametrize("check, right, hint", CASES)
def test_wrong_answer_says_what_is_off(check, right, hint):
    with pytest.raises(checks.CheckFailed, match=hint):
        check(right() + 1)


@pytest.mark.parametrize("check, right, hint", CASES)
def test_right_answer_passes(check, right, hint, capsys):
    assert check(right()) is True
    assert "passed" in capsys.readouterr().out
