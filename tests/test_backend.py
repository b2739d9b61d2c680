"""lib.backend, lib.hardware and lib.jax_cpu: gradients, precision and devices on the backend this process runs
(TensorFlow by default), and the same computations compared across every backend installed here."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from lib import architecture, backend, hardware, jax_cpu, models
from tests.backend_probe import probe


@pytest.mark.parametrize("name, gpu, flags, policy", [
    ("tensorflow", True, "avx2", "mixed_float16"),
    ("jax", True, "avx2", "mixed_float16"),
    ("torch", True, "", "mixed_float16"),
    ("tensorflow", False, "avx512f avx512_bf16", "mixed_bfloat16"),
    ("tensorflow", False, "avx512_bf16 amx_bf16 amx_tile", "float32"),  # measured slower with AMX
    ("torch", False, "avx512_bf16 amx_bf16 amx_tile", "mixed_bfloat16"),
    ("torch", False, "avx512_bf16", "float32"),  # not measured there: float32 until it is
    ("jax", False, "avx512_bf16 amx_bf16", "float32"),
    ("tensorflow", False, "avx2 fma", "float32"),
])
def test_precision_policy_follows_the_hardware_and_the_backend(name, gpu, flags, policy):
    assert hardware.precision_policy_for(name, gpu, flags) == policy


def test_input_gradients_of_a_known_function():
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    values, gradients = backend.input_gradients(lambda t: keras.ops.sum(t * t, axis=(1, 2)), x)
    np.testing.assert_allclose(values, (x * x).sum(axis=(1, 2)))
    np.testing.assert_allclose(gradients, 2 * x)


def test_a_compiled_gradient_function_gives_the_same_answer_every_call():
    ascent = backend.gradient_function(lambda t: keras.ops.sum(keras.ops.sin(t), axis=1), compile=True)
    x = keras.ops.convert_to_tensor(np.linspace(0, 1, 6, dtype="float32").reshape(2, 3))
    for _ in range(2):
        values, gradients = ascent(x)
        np.testing.assert_allclose(backend.to_numpy(gradients), np.cos(backend.to_numpy(x)), rtol=1e-6)


def test_weight_gradients_match_the_hand_derivative_and_change_nothing():
    inputs = keras.Input((2,))
    normalized = keras.layers.BatchNormalization(name="bn")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="ones", name="dense")(normalized))
    images = np.array([[1.0, 2.0], [3.0, 6.0]], dtype="float32")
    labels = np.array([0.0, 1.0])
    before = [np.array(v) for v in model.get_weights()]
    gradients = backend.weight_gradients(model, keras.losses.MeanSquaredError(), images, labels)
    # Batch norm in training mode: each column becomes (-1, 1) (up to its epsilon), so the
    # prediction is -2 and 2, and d(mean squared error)/d(kernel) = mean(2 * (p - y) * x).
    x = np.array([[-1.0, -1.0], [1.0, 1.0]]) * (1 / np.sqrt(1 + 1e-3 / np.array([1.0, 4.0])))
    error = x.sum(axis=1) - labels
    kernel = dict(zip([v.path for v in model.trainable_weights], gradients))["dense/kernel"]
    np.testing.assert_allclose(kernel[:, 0], (2 * error[:, None] * x).mean(axis=0), rtol=1e-3)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights())), "moving statistics kept"


def test_the_device_is_named_with_its_model():
    description = hardware.device_description()
    assert description.startswith(("CPU (", "GPU (")) and (hardware.gpu_names() or hardware.cpu_model() in description)


def test_one_device_needs_no_distribution():
    with hardware.distribution_scope():
        model = models.build_mini_xception((32, 32, 3), block_sizes=(8,))
    assert model.count_params() > 0 and keras.distribution.distribution() is None


ON_JAX = pytest.mark.skipif(backend.name() != "jax", reason="JAX's slow paths (`make test BACKEND=jax` runs these)")


def test_the_compilation_cache_has_a_folder_per_kind_of_processor(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folders = set()
    for flags in ("fpu sse2 avx2", "fpu sse2 avx2 avx512f"):
        monkeypatch.setattr(hardware, "read_cpuinfo", lambda: f"model name\t: Some CPU\nflags\t\t: {flags}\n")
        folders.add(jax_cpu.compilation_cache_dir())
    assert len(folders) == 2 and all(folder.is_relative_to(tmp_path) for folder in folders)


@ON_JAX
def test_jax_keeps_its_compiled_programs_unless_told_where():
    import jax

    configured = os.environ.get("JAX_COMPILATION_CACHE_DIR")
    expected = configured or str(jax_cpu.compilation_cache_dir())
    assert jax.config.jax_compilation_cache_dir == expected


@ON_JAX
def test_only_traced_code_takes_the_shifts():
    import jax
    from keras.src.backend.jax import nn

    rng = np.random.default_rng(0)
    inputs, kernel = rng.normal(size=(2, 9, 8, 4)).astype("float32"), rng.normal(size=(3, 3, 4, 1)).astype("float32")
    calls, by_shifts = [], jax_cpu._depthwise_conv_by_shifts

    def counted(*arguments):
        calls.append(arguments)
        return by_shifts(*arguments)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jax_cpu, "_depthwise_conv_by_shifts", counted)
        eager = nn.depthwise_conv(inputs, kernel, 1, "same")
        assert not calls, "op by op, Keras' own depthwise convolution"
        traced = jax.jit(lambda x, k: nn.depthwise_conv(x, k, 1, "same"))(inputs, kernel)
        assert len(calls) == 1, "traced, the shifts"
    np.testing.assert_allclose(eager, traced, rtol=1e-5, atol=1e-4)


@ON_JAX
@pytest.mark.parametrize("kernel_size, strides, padding, dilation, multiplier", [
    ((3, 3), 1, "same", 1, 1), ((3, 3), 2, "same", 1, 1), ((5, 3), 1, "valid", 1, 2),
    ((3, 3), (2, 1), "valid", 1, 1), ((3, 3), 1, "same", 2, 1), ((2, 2), 3, "same", 1, 3),
])
def test_depthwise_convolution_by_shifts_is_keras_own(kernel_size, strides, padding, dilation, multiplier):
    import jax

    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(2, 9, 8, 4)).astype("float32")
    kernel = rng.normal(size=(*kernel_size, 4, multiplier)).astype("float32")

    def convolve(convolution, x, k):
        return convolution(x, k, strides, padding, None, dilation)

    def output_and_gradients(convolution):
        output = convolve(convolution, inputs, kernel)
        weights = np.random.default_rng(1).normal(size=output.shape)
        gradients = jax.grad(lambda x, k: (convolve(convolution, x, k) * weights).sum(), (0, 1))(inputs, kernel)
        return output, gradients

    assert jax_cpu._keras_depthwise_conv is not None, "the shifts are not in use on JAX's CPU"
    (ours, our_gradients), (keras_own, keras_gradients) = map(
        output_and_gradients, (jax_cpu._depthwise_conv_by_shifts, jax_cpu._keras_depthwise_conv))
    assert ours.shape == keras_own.shape
    np.testing.assert_allclose(ours, keras_own, rtol=1e-5, atol=1e-4)
    for mine, theirs in zip(our_gradients, keras_gradients):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-4)


@ON_JAX
def test_the_mini_xception_trains_compiled_and_augments_differently_each_step():
    model = models.compile_model(models.build_mini_xception((32, 32, 3), block_sizes=(8,)))
    assert model.jit_compile, "Keras would run the model op by op"
    rotation = model.get_layer(models.AUGMENTATION_LAYERS[1])
    states = []
    for _ in range(2):
        model.fit(np.zeros((4, 32, 32, 3)), np.zeros(4), batch_size=4, verbose=0)
        states.append(backend.to_numpy(rotation.generator.state))
    assert not np.array_equal(*states), "the compiled step drew the same rotations twice"


# The same results on every backend installed here.

OTHER_BACKENDS = [name for name in backend.BACKENDS if name != backend.name()]


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backends")
    keras.utils.set_random_seed(0)
    models.build_mini_xception((32, 32, 3), block_sizes=(8, 16)).save(folder / "model.keras")
    architecture.build_deep_stack((16, 16, 3), depth=2, width=4, batch_norm=True).save(folder / "stack.keras")
    np.save(folder / "images.npy", np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32"))
    return folder


@pytest.mark.parametrize("other", OTHER_BACKENDS)
def test_every_backend_computes_what_this_one_does(saved_models, other, tmp_path):
    if importlib.util.find_spec(other) is None:
        pytest.skip(f"{other} is not installed here (`make test BACKEND={other}` installs it)")
    paths = [str(saved_models / name) for name in ("model.keras", "stack.keras", "images.npy")]
    here = probe(*paths)
    script = Path(__file__).with_name("backend_probe.py")
    environment = {**os.environ, "KERAS_BACKEND": other, "PYTHONPATH": str(script.parent.parent)}
    subprocess.run([sys.executable, str(script), *paths, str(tmp_path / "there.npz")], env=environment,
                   check=True, capture_output=True, timeout=600)
    there = dict(np.load(tmp_path / "there.npz"))
    assert str(there.pop("backend")) == other and str(here.pop("backend")) == backend.name()
    for name, value in here.items():
        np.testing.assert_allclose(there[name], value, rtol=2e-3, atol=2e-3, err_msg=f"{name} on {other}")


# Without TensorFlow: what a machine set up with requirements-jax.txt or requirements-torch.txt (a GPU
# machine, say) runs. tests/without_tensorflow/sitecustomize.py hides TensorFlow from the process.

WITHOUT_TENSORFLOW = Path(__file__).with_name("without_tensorflow")

# lib.train.main, the whole of `python -m lib.train`, on 16 training images per class instead of
# tiny mode's 500: one step, where an epoch of tiny mode takes a minute under JAX on a 2-core CPU.
# The split is the only change; train.train is watched, not changed, for the weights before and after.
TRAIN_WITHOUT_TENSORFLOW = """
import functools, json, sys
from dataclasses import replace
import numpy as np
from lib import backend, config, data, images, train

small = replace(config.current_settings(), split=config.Split((0, 16), (16, 24), (24, 32)))
config.current_settings = functools.cache(lambda: small)
seen = {}
fit = train.train

def watched(model, train_ds, *args, **kwargs):
    seen["data"] = type(train_ds).__name__
    before = [backend.to_numpy(w) for w in model.trainable_weights]
    run = fit(model, train_ds, *args, **kwargs)
    seen["moved"] = [float(np.abs(backend.to_numpy(w) - b).max()) for w, b in zip(model.trainable_weights, before)]
    seen["history"] = run.history
    return run

train.train = watched
summary = train.main(["--model", "mini_xception"])
try:
    import tensorflow  # noqa: F401
    seen["import_tensorflow"] = "imported"
except ModuleNotFoundError as error:
    seen["import_tensorflow"] = str(error)
print(json.dumps({"tensorflow_modules": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow"),
                  "has_tensorflow": backend.has_tensorflow(), "pipeline": images.default_pipeline(),
                  "backend": backend.name(), "summary": summary, **seen}))
"""


@pytest.mark.parametrize("other", ["jax", "torch"])
def test_python_m_lib_train_trains_the_mini_xception_without_tensorflow(other, tmp_path):
    if importlib.util.find_spec(other) is None:
        pytest.skip(f"{other} is not installed here (`make test BACKEND={other}` installs it)")
    path = os.pathsep.join([str(WITHOUT_TENSORFLOW), str(Path(__file__).parent.parent)])
    environment = {**os.environ, "KERAS_BACKEND": other, "PYTHONPATH": path,
                   "COURSE_MODE": "tiny", "COURSE_DATA_DIR": str(tmp_path), "COURSE_EPOCHS": "1"}
    result = subprocess.run([sys.executable, "-c", TRAIN_WITHOUT_TENSORFLOW], env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"training under {other} without TensorFlow failed:\n{result.stderr[-4000:]}"
    ran = json.loads(result.stdout.strip().splitlines()[-1])
    assert ran["import_tensorflow"] == "No module named 'tensorflow'" and not ran["has_tensorflow"], ran
    assert ran["tensorflow_modules"] == [], "TensorFlow was imported"
    assert (ran["backend"], ran["pipeline"], ran["data"]) == (other, "arrays", "ArrayBatches")
    banner = next((line for line in result.stdout.splitlines() if line.startswith("Mode: ")), "no banner")
    assert banner.startswith("Mode: tiny") and "epochs cut to 1" in banner, banner
    assert f"on {dict(jax='JAX', torch='PyTorch')[other]} " in banner, banner
    summary = ran["summary"]
    assert summary["model"] == "mini_xception" and summary["epochs"] == 1
    assert summary["parameters"] == models.BOOK_PARAMETERS
    assert all(np.isfinite(ran["history"][name]).all() for name in ("loss", "val_loss")), ran["history"]
    assert 0 <= summary["val_accuracy"] <= 1 and 0 <= summary["test_accuracy"] <= 1
    assert min(ran["moved"]) > 0, f"{ran['moved'].count(0.0)} of {len(ran['moved'])} trainable weights did not move"
