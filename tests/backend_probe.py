"""Run as a script under one Keras backend: the course's computations on a saved model, written to
an .npz file, so tests/test_backend.py can compare backends (``KERAS_BACKEND`` chooses this one).

    KERAS_BACKEND=jax python tests/backend_probe.py MODEL.keras STACK.keras IMAGES.npy OUT.npz
"""

import sys

import keras
import numpy as np

from lib import architecture, backend
from lib.interpret import activations, filter_patterns, gradcam


def probe(model_path: str, stack_path: str, images_path: str) -> dict[str, np.ndarray]:
    model = keras.models.load_model(model_path)
    stack = keras.models.load_model(stack_path)
    images = np.load(images_path)
    labels = np.arange(len(images)) % 2
    extractor = filter_patterns.feature_extractor(model, "block1_sepconv2")
    found = filter_patterns.generate_filter_patterns(extractor, [0, 1, 2], iterations=3)
    outputs = activations.activations(activations.activation_model(model, ["block1_relu1", "block2_add"]), images)
    return {
        "backend": np.array(backend.name()),
        "probabilities": backend.to_numpy(model(images, training=False)),
        "relu": outputs["block1_relu1"],
        "grad_cam": gradcam.grad_cam_for_labels(model, images, labels, "block2_add",
                                                explain=gradcam.grad_cam),
        "occlusion": gradcam.occlusion_sensitivity(model, images[0], 1, patch=8, stride=8),
        "pattern_response": found.final_response,
        "gradient_norms": architecture.gradient_norms(stack, images[:, :16, :16], labels, ["conv1", "conv2"]),
    }


if __name__ == "__main__":
    np.savez(sys.argv[4], **probe(*sys.argv[1:4]))
