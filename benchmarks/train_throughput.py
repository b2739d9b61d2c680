"""Training throughput: the course's pipeline against the book's code as written.

Both train the same mini Xception architecture on the same toy-pets images at the
book's 180x180 (or ``--image-size``) and batch size 32, on this machine, one epoch each
in turn:

* seed: ``image_dataset_from_directory`` batches read straight from disk every epoch,
  the augmentation as a ``Sequential`` nested in the model, rmsprop, float32;
* course in float32: ``lib.data.load_datasets`` (decoded once, cached, prefetched),
  ``lib.models.build_mini_xception``, rmsprop, float32;
* course in mixed_bfloat16: the same in bfloat16, on a CPU with bfloat16 instructions
  (AVX512-BF16 or AMX): the measurement behind ``lib.hardware.BFLOAT16_FASTER_ON_CPU``;
* course in the policy ``lib.hardware.fast_precision_policy`` picks for this hardware and
  backend, where it is neither of the above (``mixed_float16`` on a GPU);
* course with Keras' grouped convolution: on JAX's CPU, the course in float32 with Keras' own
  depthwise convolution, which ``lib.jax_cpu.use_fast_cpu_depthwise_convolution`` replaces.

The first epoch of each is warm-up (graph tracing) and is not counted. The last
lines printed end with ratios of median images per second: the course's pipeline in float32
over the seed, bfloat16 over float32 where both ran, the depthwise convolution by shifts
over Keras' own where both ran, and the course's policy over the seed. The result is also
written to ``results/benchmarks/train_throughput_{backend}_{size}.json``, where the book's
page "Reproducing the results" reads it.

    python benchmarks/train_throughput.py [--images-per-class 160] [--epochs 5] [--image-size 180]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import layers  # noqa: E402

from lib import backend, config, data, hardware, jax_cpu, models, reproducing  # noqa: E402
from lib.toy_pets import make_toy_pets  # noqa: E402

BOOK_IMAGE_SIZE, BATCH_SIZE = 180, 32
GROUPED = "course with Keras' grouped convolution"


def seed_model(image_size: int) -> keras.Model:
    """Listing 9.3.5 of the book, verbatim but for the variable names."""
    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)])
    inputs = keras.Input(shape=(image_size, image_size, 3))
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


def prepare(images_per_class: int, root: Path, image_size: int) -> dict[str, tuple[keras.Model, object]]:
    """The pipelines, by name, as (model, dataset) pairs over the same training images.

    "course in float32" is the course pipeline without mixed precision: it shows how
    much of the gain comes from the data pipeline alone.
    """
    train_dir = make_toy_pets(config.toy_train_dir(root), images_per_class)
    base = config.subsets_dir(train_dir)
    for subset in ("train", "validation", "test"):
        data.make_subset(subset, 0, images_per_class, train_dir, base)

    seed_ds = keras.utils.image_dataset_from_directory(
        base / "train", image_size=(image_size, image_size), batch_size=BATCH_SIZE)
    seed = (seed_model(image_size), seed_ds)

    course_ds, _, _ = data.load_datasets(base, image_size, BATCH_SIZE)
    fast_policy = hardware.fast_precision_policy()
    policies = ["float32"]
    if hardware.bfloat16_unit(hardware.read_cpuinfo()) and not hardware.gpu_names():
        policies.append("mixed_bfloat16")
    if fast_policy not in policies:
        policies.append(fast_policy)
    pipelines = {"seed": seed}
    for policy in policies:
        pipelines[f"course in {policy}"] = (course_model(policy, image_size), course_ds)
    if backend.name() == "jax" and not hardware.gpu_names():
        pipelines[GROUPED] = (course_model("float32", image_size), course_ds)
    print(f"course precision policy: {fast_policy}; "
          f"{pipelines['course in float32'][0].count_params():,} vs {seed[0].count_params():,} parameters")
    return pipelines


def course_model(policy: str, image_size: int) -> keras.Model:
    return models.compile_model(models.build_mini_xception((image_size, image_size, 3), dtype_policy=policy),
                                "rmsprop")


def epoch_throughput(name: str, model: keras.Model, dataset, images: int) -> float:
    convolution = jax_cpu.keras_depthwise_convolution() if name == GROUPED else contextlib.nullcontext()
    start = time.perf_counter()
    with convolution:
        model.fit(dataset, epochs=1, verbose=0)
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images-per-class", type=int, default=160)
    parser.add_argument("--epochs", type=int, default=5, help="measured epochs per pipeline, after one warm-up")
    parser.add_argument("--image-size", type=int, default=BOOK_IMAGE_SIZE,
                        help="side of the square images (tiny mode trains at 80)")
    args = parser.parse_args()
    started = time.perf_counter()
    config.set_seed(0)
    images = 2 * args.images_per_class
    with tempfile.TemporaryDirectory() as root:
        pipelines = prepare(args.images_per_class, Path(root), args.image_size)
        for name, (model, dataset) in pipelines.items():
            epoch_throughput(name, model, dataset, images)  # warm-up: tracing and the course's cache fill
        rates: dict[str, list[float]] = {name: [] for name in pipelines}
        for epoch in range(args.epochs):
            for name, (model, dataset) in pipelines.items():
                rates[name].append(epoch_throughput(name, model, dataset, images))
                print(f"epoch {epoch + 1} {name:>39}: {rates[name][-1]:6.1f} images/s")
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{hardware.device_description()} on {backend.version()}, {images} images of "
          f"{args.image_size}x{args.image_size}, batch {BATCH_SIZE}, "
          f"median images/s: " + ", ".join(f"{name} {rate:.1f}" for name, rate in median.items()))
    ratios = {"course in float32/seed": median["course in float32"] / median["seed"]}
    if "course in mixed_bfloat16" in median:
        ratios["course in mixed_bfloat16/course in float32"] = (median["course in mixed_bfloat16"]
                                                               / median["course in float32"])
    if GROUPED in median:
        ratios[f"course in float32/{GROUPED}"] = median["course in float32"] / median[GROUPED]
    ratios["course/seed"] = median[f"course in {hardware.fast_precision_policy()}"] / median["seed"]
    rows = [{"pipeline": name, "images": images, "size": f"{args.image_size}x{args.image_size}",
             "batch": BATCH_SIZE, "median images/s": round(rate, 1)} for name, rate in median.items()]
    path = reproducing.write_result(
        f"train_throughput_{backend.name()}_{args.image_size}",
        " ".join(["python benchmarks/train_throughput.py", *sys.argv[1:]]), time.perf_counter() - started,
        rows, {f"{ratio} training throughput": round(value, 2) for ratio, value in ratios.items()})
    print(f"written to {config.display_path(path)}")
    for ratio, value in ratios.items():  # the course over the seed last: the line a reader looks for
        print(f"{ratio} training throughput: {value:.2f}")


if __name__ == "__main__":
    main()
