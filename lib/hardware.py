"""What the course runs on and in: the device, the CPU's bfloat16 instructions, the precision that
trains fastest there, and every GPU for training.

* :func:`device_description` (and :func:`gpu_names`, :func:`cpu_model`): named in every banner,
  record and timing the course prints;
* :func:`precision_policy_for` and :func:`fast_precision_policy`: the dtype policy the course trains
  in, from measurements (``benchmarks/train_throughput.py``) per backend and bfloat16 unit;
* :func:`distribution_scope`: every GPU of the machine for training (full mode).
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from pathlib import Path

import keras

from lib.backend import name


def gpu_names() -> list[str]:
    """The names of the GPUs the backend sees (empty on a CPU-only machine)."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                for g in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d.device_kind) for d in jax.devices() if d.platform == "gpu"]
    import torch

    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (or what Python knows), for every timing the course prints."""
    for line in read_cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def device_description() -> str:
    """"GPU (name)" when the backend sees a GPU, else "CPU (model, n cores)"."""
    gpus = gpu_names()
    if gpus:
        return f"GPU ({', '.join(gpus)})"
    return f"CPU ({cpu_model()}, {os.cpu_count()} cores)"


def bfloat16_unit(cpu_flags: str) -> str | None:
    """Which bfloat16 instructions a CPU with these ``/proc/cpuinfo`` flags has: ``"amx"`` (AMX
    tiles, Intel Xeon since Sapphire Rapids), ``"avx512_bf16"`` (AVX512-BF16 without AMX, AMD EPYC
    since Genoa), or None."""
    if "amx_bf16" in cpu_flags:
        return "amx"
    return "avx512_bf16" if "avx512_bf16" in cpu_flags else None


def read_cpuinfo() -> str:
    """This machine's ``/proc/cpuinfo`` (empty where there is none), whose flags the above reads."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


# (backend, bfloat16 unit) where mixed_bfloat16 trained the mini Xception faster than float32 on
# a 2-core CPU (benchmarks/train_throughput.py, batch 32): TensorFlow 2.20 with AVX512-BF16 on an
# AMD EPYC 1.14x (180x180); PyTorch 2.13 with AMX on an Intel Xeon 1.56x (180x180). Slower with
# AMX on that Xeon: TensorFlow 0.96x (180x180) and 0.93x (80x80), JAX 0.10 0.94x (80x80; 0.56x
# with the depthwise convolution by shifts below). Pairs not listed (measured slower, or not
# measured) train in float32.
BFLOAT16_FASTER_ON_CPU = {("tensorflow", "avx512_bf16"), ("torch", "amx")}


def precision_policy_for(backend: str, has_gpu: bool, cpu_flags: str) -> str:
    """The dtype policy that trains fastest on this hardware and backend.

    GPUs: ``mixed_float16`` on every backend. CPUs with bfloat16 instructions: ``mixed_bfloat16``
    where :data:`BFLOAT16_FASTER_ON_CPU` says it was measured faster with that backend and those
    instructions. Everything else: ``float32``.
    """
    if has_gpu:
        return "mixed_float16"
    faster = (backend, bfloat16_unit(cpu_flags)) in BFLOAT16_FASTER_ON_CPU
    return "mixed_bfloat16" if faster else "float32"


def fast_precision_policy() -> str:
    """:func:`precision_policy_for` this machine and backend."""
    return precision_policy_for(name(), bool(gpu_names()), read_cpuinfo())


@contextlib.contextmanager
def distribution_scope() -> Iterator[None]:
    """Build and train inside this to use every GPU of the machine: TensorFlow's
    ``MirroredStrategy``, or Keras' ``DataParallel`` distribution on JAX. With one device (or
    on PyTorch, whose multi-GPU training Keras leaves to ``torch.distributed``) it does nothing."""
    backend, gpus = name(), gpu_names()
    if len(gpus) > 1 and backend == "tensorflow":
        import tensorflow as tf

        with tf.distribute.MirroredStrategy().scope():
            yield
    elif len(gpus) > 1 and backend == "jax":
        previous = keras.distribution.distribution()
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        try:
            yield
        finally:
            keras.distribution.set_distribution(previous)
    else:
        yield
