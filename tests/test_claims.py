"""lib.claims: a claim that fails stops a calibrated run, and only explains itself in any other."""

import json
from dataclasses import replace

import pytest

from lib import claims, config


@pytest.fixture
def demo_claim():
    key = "test.demo"
    claims.claim(key, 0, "The test model beats chance.")(lambda m: m["accuracy"] > 0.5)
    yield key
    del claims.CLAIMS[key]


def test_a_claim_that_holds_passes_quietly(demo_claim, capsys):
    claims.check(demo_claim, config.settings_for("tiny"), accuracy=0.9)
    assert capsys.readouterr().out == ""


def test_a_failed_claim_stops_a_calibrated_run_with_the_sentence_and_the_numbers(demo_claim):
    with pytest.raises(claims.ClaimFailed, match=r"The test model beats chance\. Measured: accuracy = 40\.0%"):
        claims.check(demo_claim, config.settings_for("tiny"), accuracy=0.4)


@pytest.mark.parametrize("settings", [config.settings_for("full"), config.settings_for("tiny", epochs=1)])
def test_a_failed_claim_only_explains_itself_outside_the_calibrated_settings(demo_claim, settings, capsys):
    claims.check(demo_claim, settings, accuracy=0.4)
    out = capsys.readouterr().out
    assert "Claim not upheld in this run: The test model beats chance." in out
    assert f"this run is in {settings.mode} mode" in out


def test_a_bound_is_written_once_for_the_test_the_sentence_and_the_prose():
    key = "test.bounded"
    claims.claim(key, 0, "The model scores at least {floor:.0%}.", floor=0.7)(lambda m, floor: m["accuracy"] >= floor)
    try:
        assert claims.CLAIMS[key].sentence == "The model scores at least 70%."
        assert claims.bound(key, "floor") == 0.7
        assert claims.holds(key, accuracy=0.7) and not claims.holds(key, accuracy=0.69)
        with pytest.raises(KeyError, match="has no bound 'ceiling': it has floor"):
            claims.bound(key, "ceiling")
    finally:
        del claims.CLAIMS[key]


def test_claims_are_defined_once_and_named_when_missing(demo_claim):
    with pytest.raises(ValueError, match="defined twice"):
        claims.claim(demo_claim, 0, "again")(lambda m: True)
    with pytest.raises(KeyError, match="No claim 'test.nothing'"):
        claims.check("test.nothing", replace(config.settings_for("tiny")), accuracy=1.0)


def test_every_claim_names_a_chapter_and_a_sentence():
    for key, found in claims.CLAIMS.items():
        assert key.startswith(f"ch{found.chapter}."), key
        assert found.sentence.endswith(".") and found.sentence[0].isupper(), key


def test_with_a_claims_log_every_check_is_recorded_and_none_stops_the_run(demo_claim, tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv(claims.LOG_VARIABLE, str(log))
    claims.check(demo_claim, config.settings_for("tiny"), accuracy=0.4)  # calibrated: would raise without the log
    claims.check(demo_claim, config.settings_for("tiny"), accuracy=0.9)
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        {"claim": demo_claim, "upheld": False, "measured": "accuracy = 40.0%"},
        {"claim": demo_claim, "upheld": True, "measured": "accuracy = 90.0%"}]


def test_the_convnet_must_beat_colour_by_more_than_the_test_splits_luck():
    # Two accuracies of 50% on 400 images: each varies by 2.5 points, their difference by 3.5.
    assert claims.difference_noise(0.5, 0.5, 400) == pytest.approx(0.0354, abs=1e-4)
    noise = claims.difference_noise(0.60, 0.50, 400)
    allowed = claims.bound("ch0.shape_beats_colour", "standard_errors") * noise
    assert claims.holds("ch0.shape_beats_colour", convnet=0.60, colour=0.50, test_images=400) == (0.10 > allowed)
    assert not claims.holds("ch0.shape_beats_colour", convnet=0.55, colour=0.50, test_images=400)
    assert claims.holds("ch0.shape_beats_colour", convnet=0.665, colour=0.553, test_images=400)
    # The same gap on a tenth of the images is within luck.
    assert not claims.holds("ch0.shape_beats_colour", convnet=0.665, colour=0.553, test_images=40)
