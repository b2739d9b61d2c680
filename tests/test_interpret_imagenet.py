"""lib.interpret.imagenet: the book's Xception, from a local server or skipped with a reason (chapter 5)."""

import keras
import pytest
import skimage.data

from lib.interpret import gradcam, imagenet
from tests.local_server import serving


def test_imagenet_xception_is_skipped_with_a_reason_when_the_weights_cannot_be_had(tmp_path, capsys):
    unreachable = "http://127.0.0.1:9/nothing-listens-here"
    assert imagenet.load_imagenet_xception(base_url=unreachable, cache_dir=tmp_path, timeout=2) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "one line, no download messages"
    assert out.startswith("Skipped: the ImageNet Xception weights are not on this machine and 127.0.0.1:9 cannot")


def test_imagenet_xception_downloads_its_weights_and_explains_a_photo(tmp_path):
    """The real loader against a local server holding an Xception weights file (random weights)."""
    from keras.src.legacy.saving import legacy_h5_format  # the format of Keras' published weights
    import h5py

    served = tmp_path / "served"
    served.mkdir()
    with h5py.File(served / imagenet.XCEPTION_WEIGHTS_FILES[True], "w") as weights_file:
        legacy_h5_format.save_weights_to_hdf5_group(weights_file, keras.applications.Xception(weights=None))
    with serving(served) as url:
        xception = imagenet.load_imagenet_xception(base_url=url.rstrip("/"), cache_dir=tmp_path / "cache")
    assert xception is not None and (tmp_path / "cache" / "models" / imagenet.XCEPTION_WEIGHTS_FILES[True]).is_file()
    probabilities, heatmap = imagenet.imagenet_grad_cam(xception, skimage.data.chelsea(),
                                                       explain=gradcam.grad_cam)
    assert probabilities.shape == (1, 1000) and probabilities.sum() == pytest.approx(1.0, abs=1e-3)
    assert heatmap.shape == (10, 10) and 0 <= heatmap.min() and heatmap.max() <= 1
