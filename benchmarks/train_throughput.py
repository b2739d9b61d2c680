"""Training throughput: the course's pipeline against the book's code as written.

Both train the same mini Xception architecture on the same toy-pets images at the
book's 180x180 and batch size 32, on this machine, one epoch each in turn:

* seed: ``image_dataset_from_directory`` batches read straight from disk every epoch,
  the augmentation as a ``Sequential`` nested in the model, rmsprop, float32;
* course: ``lib.data.load_datasets`` (decoded once, cached, prefetched),
  ``lib.models.build_mini_xception``, rmsprop, and the mixed-precision policy that
  ``lib.backend.fast_precision_policy`` picks for this hardware and backend;
* course in float32: the same without mixed precision, to show which part does what.

The first epoch of each is warm-up (graph tracing) and is not counted. The last
line printed ends with the ratio of median images per second, course over seed.

    python benchmarks/train_throughput.py [--images-per-class 160] [--epochs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import layers  # noqa: E402

from lib import backend, config, data, models  # noqa: E402
from lib.toy_pets import make_toy_pets  # noqa: E402

IMAGE_SIZE, BATCH_SIZE = 180, 32


def seed_model() -> keras.Model:
    """Listing 9.3.5 of the book, verbatim but for the variable names."""
    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)])
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(filters=32, kernel_size=5, use_bias=False)(x)
    for size in [32, 64, 128, 256, 512]:
        residual = x
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same", use_bias=False)(residual)
        x = layers.add([x, residual])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def prepare(images_per_class: int, root: Path) -> dict[str, tuple[keras.Model, object]]:
    """The pipelines, by name, as (model, dataset) pairs over the same training images.

    "course in float32" is the course pipeline without mixed precision: it shows how
    much of the gain comes from the data pipeline alone.
    """
    train_dir = make_toy_pets(config.toy_train_dir(root), images_per_class)
    base = config.subsets_dir(train_dir)
    for subset in ("train", "validation", "test"):
        data.make_subset(subset, 0, images_per_class, train_dir, base)

    seed_ds = keras.utils.image_dataset_from_directory(
        base / "train", image_size=(IMAGE_SIZE, IMAGE_SIZE), batch_size=BATCH_SIZE)
    seed = (seed_model(), seed_ds)

    course_ds, _, _ = data.load_datasets(base, IMAGE_SIZE, BATCH_SIZE)
    policy = backend.fast_precision_policy()
    course = course_model(policy)
    print(f"course precision policy: {policy}; {course.count_params():,} vs {seed[0].count_params():,} parameters")
    return {"seed": seed, "course": (course, course_ds), "course in float32": (course_model("float32"), course_ds)}


def course_model(policy: str) -> keras.Model:
    return models.compile_model(models.build_mini_xception((IMAGE_SIZE, IMAGE_SIZE, 3), dtype_policy=policy),
                                "rmsprop")


def epoch_throughput(model: keras.Model, dataset, images: int) -> float:
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0)
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images-per-class", type=int, default=160)
    parser.add_argument("--epochs", type=int, default=5, help="measured epochs per pipeline, after one warm-up")
    args = parser.parse_args()
    config.set_seed(0)
    images = 2 * args.images_per_class
    with tempfile.TemporaryDirectory() as root:
        pipelines = prepare(args.images_per_class, Path(root))
        for model, dataset in pipelines.values():
            epoch_throughput(model, dataset, images)  # warm-up: tracing and the course's cache fill
        rates: dict[str, list[float]] = {name: [] for name in pipelines}
        for epoch in range(args.epochs):
            for name, (model, dataset) in pipelines.items():
                rates[name].append(epoch_throughput(model, dataset, images))
                print(f"epoch {epoch + 1} {name:>17}: {rates[name][-1]:6.1f} images/s")
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{backend.device_description()} on {backend.version()}, {images} images of "
          f"{IMAGE_SIZE}x{IMAGE_SIZE}, batch {BATCH_SIZE}, "
          f"median images/s: " + ", ".join(f"{name} {rate:.1f}" for name, rate in median.items()))
    print(f"course in float32/seed training throughput: {median['course in float32'] / median['seed']:.2f}")
    print(f"course/seed training throughput: {median['course'] / median['seed']:.2f}")


if __name__ == "__main__":
    main()
