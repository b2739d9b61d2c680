import json
from dataclasses import replace

import keras
import pytest

from lib import config, train


@pytest.mark.parametrize("gpu, flags, policy", [
    (True, "avx2", "mixed_float16"),
    (False, "avx512f avx512_bf16", "mixed_bfloat16"),
    (False, "amx_bf16 amx_tile", "mixed_bfloat16"),
    (False, "avx2 fma", "float32"),
])
def test_precision_policy_follows_the_hardware(gpu, flags, policy):
    assert train.precision_policy_for(gpu, flags) == policy


def test_train_keeps_the_best_checkpoint(toy_subsets, tmp_path):
    from lib import data

    tiny = config.settings_for("tiny")
    datasets = data.load_datasets(toy_subsets, 48, 8)
    settings = replace(tiny, image_size=48)
    run = train.train(train.build_for(settings), datasets[0], datasets[1], epochs=2,
                      checkpoint_path=tmp_path / "best.keras", verbose=0)
    assert set(run.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"} and len(run.history["loss"]) == 2
    assert run.train_seconds > 0
    reloaded = keras.models.load_model(tmp_path / "best.keras")
    assert reloaded.count_params() == 721_857


def test_tiny_mode_learns(data_root, monkeypatch, capsys):
    """The promise of tiny mode: the course's mini Xception reaches 80% validation accuracy.

    Its training time is printed (the JSON line), not asserted: timings belong in benchmarks.
    """
    monkeypatch.setenv("COURSE_MODE", "tiny")
    config.current_settings.cache_clear()
    summary = train.main()
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == summary and summary["mode"] == "tiny"
    assert summary["val_accuracy"] >= 0.8 and summary["test_accuracy"] >= 0.8


def test_best_epoch_is_the_lowest_validation_loss():
    assert train.best_epoch({"val_loss": [0.9, 0.4, 0.5]}) == 2


def test_a_single_device_uses_the_default_strategy():
    import tensorflow as tf

    assert train.distribution_strategy() is tf.distribute.get_strategy()


def test_load_trained_model_trains_when_missing_then_loads(data_root, capsys):
    tiny = config.settings_for("tiny", root=data_root)
    settings = replace(tiny, image_size=32, epochs=1, split=config.Split((0, 8), (8, 10), (10, 12)))
    assert not config.model_path(settings).exists()
    model = train.load_trained_model(settings)
    assert "training one now" in capsys.readouterr().out and model.count_params() == 721_857
    assert config.model_path(settings).is_file()
    train.load_trained_model(settings)
    assert "training one now" not in capsys.readouterr().out


def test_load_trained_model_knows_the_naive_convnet_and_names_the_choices(data_root):
    tiny = config.settings_for("tiny", root=data_root)  # 80x80: the naive convnet's smallest size
    settings = replace(tiny, epochs=1, split=config.Split((0, 8), (8, 10), (10, 12)))
    naive = train.load_trained_model(settings, "naive_convnet")
    assert naive.name == "naive_convnet" and config.model_path(settings, "naive_convnet").is_file()
    with pytest.raises(ValueError, match="mini_xception, naive_convnet"):
        train.load_trained_model(settings, "resnet")


def test_mini_xception_for_takes_the_modes_size_and_momentum_and_build_for_compiles_it():
    tiny = config.settings_for("tiny")
    model = train.mini_xception_for(tiny, block_sizes=(8,))
    assert tuple(model.input.shape[1:]) == tiny.input_shape and not model.compiled
    assert model.get_layer("block1_bn1").momentum == tiny.batch_norm_momentum
    compiled = train.build_for(tiny, block_sizes=(8,))
    assert compiled.count_params() == model.count_params() and compiled.compiled
