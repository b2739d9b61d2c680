"""lib.shortcut: a model trained where a mark goes with the class (chapter 6)."""

import pytest

from lib import claims, shortcut
from lib.interpret.sanity import PointingScore


def scores_table(marked_gradcam: dict[str, float], marked_occlusion: float, clean_gradcam: dict[str, float],
                 clean_occlusion: float, area: float = 0.02):
    """An explanation_scores table on marked dogs, with the given share of each map's mass on the mark."""
    def row(mass: float) -> dict[str, PointingScore]:
        return {"cue": PointingScore(hits=0.0, mass_inside=mass, area=area)}

    table = {}
    for name, gradcam, occlusion in (("marked-data model", marked_gradcam, marked_occlusion),
                                     ("clean model", clean_gradcam, clean_occlusion)):
        table.update({(name, layer): row(mass) for layer, mass in gradcam.items()})
        table[name, "occlusion"] = row(occlusion)
    return table


def test_cue_lifts_take_grad_cam_at_the_marked_models_best_block_for_both_models():
    table = scores_table({"block1_add": 0.12, "block2_add": 0.28}, 0.44, {"block1_add": 0.16, "block2_add": 0.02},
                         0.03)
    layer, lifts = shortcut.cue_lifts(table)
    assert layer == "block2_add"
    assert lifts == pytest.approx({"gradcam": 14.0, "clean_gradcam": 1.0, "occlusion": 22.0, "clean_occlusion": 1.5})
    assert claims.holds("ch6.shortcut_caught", **lifts)


def test_a_clean_model_whose_occlusion_also_finds_the_mark_fails_the_claim():
    table = scores_table({"block1_add": 0.2}, 0.44, {"block1_add": 0.02}, 0.1)
    _, lifts = shortcut.cue_lifts(table)
    assert lifts["occlusion"] == pytest.approx(22.0) and lifts["clean_occlusion"] == pytest.approx(5.0)
    assert not claims.holds("ch6.shortcut_caught", **lifts)
