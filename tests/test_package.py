"""``pip install .`` (not editable, as a teacher's server or ``pip install git+...`` installs the course)
holds every module of ``lib`` and the committed model, importable from outside the checkout."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

from lib import config

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil
import lib
from lib import real_model
names = [m.name for m in pkgutil.walk_packages(lib.__path__, "lib.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"lib": lib.__file__, "modules": names, "model": real_model.sha256(real_model.MODEL_FILE)}))
"""


def test_a_plain_install_holds_every_module_and_the_trained_model(tmp_path):
    # A copy of what the package is built from: setuptools leaves a build/ folder beside the sources,
    # and a stale one would hand the install the modules that the packaging itself leaves out.
    source, target = tmp_path / "source", tmp_path / "site"
    shutil.copytree(config.REPO_ROOT / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(config.REPO_ROOT / name, source / name)
    # The venv's own setuptools where it has one, so the test needs no package index.
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *isolation, "--target",
                    str(target), str(source)], check=True, capture_output=True, text=True)
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERY_MODULE], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(target)}, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["lib"].startswith(str(target)), "imported the installed copy, not the checkout"
    in_checkout = sorted(f"lib.{p.relative_to(config.REPO_ROOT / 'lib').with_suffix('').as_posix().replace('/', '.')}"
                         for p in (config.REPO_ROOT / "lib").rglob("*.py") if p.name != "__init__.py")
    assert set(in_checkout) <= set(found["modules"]), set(in_checkout) - set(found["modules"])
    assert found["model"] == json.loads((config.REPO_ROOT / "lib" / "trained" / "mini_xception_real_photos.json")
                                        .read_text())["sha256"]
