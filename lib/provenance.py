"""Where a measurement came from: the commit, the machine and the software, stored with every file a
run writes (the records of ``python -m lib.train --record``, the benchmarks' results), so that the
page "Reproducing the results" names them beside each figure."""

from __future__ import annotations

import datetime
import os
import subprocess

import keras

from lib import backend, config, hardware


def commit() -> str:
    """The commit the code that runs came from, "-dirty" when the checkout had uncommitted changes.

    A copy of the work tree (a GPU machine's, say) may carry a stale ``.git`` or none: whoever made the
    copy says which commit it holds in ``COURSE_COMMIT``, which takes precedence.
    """
    named = os.environ.get("COURSE_COMMIT", "").strip()
    if named:
        return named
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"], cwd=config.REPO_ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict[str, str]:
    """The device (with the CPU's model), the backend and Keras, today's date and the commit."""
    return {
        "device": hardware.device_description(),
        "backend": backend.version(),
        "keras": keras.__version__,
        "date": datetime.date.today().isoformat(),
        "commit": commit(),
    }
