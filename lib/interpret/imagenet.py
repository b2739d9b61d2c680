"""The book's ImageNet Xception (chapter 5), when its weights can be had.

Offline, :func:`load_imagenet_xception` returns None and says in one line why and what to do;
the chapter's cells then print that line instead of a figure.
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlparse

import keras
import numpy as np

from lib.images import resize_like_pipeline
from lib.interpret.gradcam import Explainer

XCEPTION_WEIGHTS_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/xception"
XCEPTION_WEIGHTS_FILES = {True: "xception_weights_tf_dim_ordering_tf_kernels.h5",
                          False: "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"}
XCEPTION_SIZE = 299
LAST_CONVOLUTION = "block14_sepconv2_act"


def load_imagenet_xception(include_top: bool = True, base_url: str = XCEPTION_WEIGHTS_BASE_URL,
                           cache_dir: str | Path | None = None, timeout: float = 10.0) -> keras.Model | None:
    """Keras' Xception with ImageNet weights, as the book uses it, or None with the reason
    printed when the weights are neither in Keras' cache nor downloadable (no internet).

    ``include_top=False`` is the convolutional base (any image size) for filter patterns;
    ``True`` the whole classifier (299x299 inputs) for Grad-CAM, built to output the
    *logits* of the 1,000 classes (``classifier_activation=None``): Grad-CAM explains the
    logit, and :func:`imagenet_grad_cam` applies the softmax itself for the probabilities.
    """
    name = XCEPTION_WEIGHTS_FILES[include_top]
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)  # else Keras silently falls back to /tmp/.keras
    cached = Path(cache_dir or Path.home() / ".keras") / "models" / name
    if not cached.is_file() and not reachable(base_url, timeout):
        print(f"Skipped: the ImageNet Xception weights are not on this machine and {urlparse(base_url).netloc} "
              "cannot be reached. Run this chapter once with internet access and Keras keeps them for every later run.")
        return None
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        weights = keras.utils.get_file(name, origin=f"{base_url}/{name}", cache_dir=cache_dir,
                                       cache_subdir="models")
    except Exception as error:  # any failed download: no network, a proxy's refusal, a cut-off file
        reason = str(error).rsplit(" -- ", 1)[-1][:100]  # get_file's message ends with the cause
        print(f"Skipped: the ImageNet Xception weights could not be downloaded ({reason}). "
              "Run this chapter once with internet access and Keras keeps them for every later run.")
        return None
    finally:
        socket.setdefaulttimeout(previous)
    return keras.applications.Xception(weights=weights, include_top=include_top, classifier_activation=None)


def reachable(url: str, timeout: float) -> bool:
    """Whether a connection to ``url``'s host opens within ``timeout`` seconds (tried before a
    download, so that an offline run says so in one line instead of a failed download's lines)."""
    parts = urlparse(url)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=timeout).close()
    except OSError:
        return False
    return True


def imagenet_grad_cam(xception: keras.Model, photo: np.ndarray, layer_name: str = LAST_CONVOLUTION, *,
                      explain: Explainer) -> tuple[np.ndarray, np.ndarray]:
    """The book's Grad-CAM example: ``photo`` (any size, RGB 0-255) resized to 299x299 and
    preprocessed for Xception; returns its class probabilities (1, 1000) and the heatmap of
    the top class's logit at ``layer_name`` (the last convolutional activation), by ``explain``
    (:func:`lib.interpret.gradcam.grad_cam` or the chapter's own)."""
    inputs = keras.applications.xception.preprocess_input(
        resize_like_pipeline(photo, XCEPTION_SIZE)[None].astype("float32"))
    logits = keras.ops.convert_to_numpy(xception(inputs, training=False))
    probabilities = np.asarray(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), dtype="float32")
    return probabilities, explain(xception, inputs, layer_name, int(probabilities[0].argmax()))[0]
