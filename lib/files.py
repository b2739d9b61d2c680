"""Folders the course builds: made aside and renamed into place, reused when already right.

Every folder the course creates carries a small manifest (:data:`MANIFEST`) that
records what was asked for and which files the course wrote. That is how a re-run
knows it can reuse the folder, and how the course knows it may replace a folder:
only when every file in it is one the course wrote. A folder holding anything
else is never deleted; the error says what to do instead.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MANIFEST = ".course-manifest.json"


class NotOurFolderError(FileExistsError):
    """A target folder holds files the course did not write, so it will not touch it."""


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a folder the course built, or None."""
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _is_complete(folder: Path, spec: dict[str, Any]) -> bool:
    manifest = read_manifest(folder)
    return (
        manifest is not None
        and manifest.get("spec") == json.loads(json.dumps(spec))  # as stored: tuples become lists
        and all((folder / name).is_file() for name in manifest.get("files", []))
    )


def _check_replaceable(folder: Path) -> None:
    """Raise unless ``folder`` is absent, empty, or holds only files the course wrote."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise NotOurFolderError(f"{folder} exists and is not a folder. Move it away, or choose another location.")
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    manifest = read_manifest(folder)
    ours = set(manifest.get("files", [])) | {MANIFEST} if manifest else set()
    foreign = sorted(present - ours)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise NotOurFolderError(
            f"{folder} already exists and holds files the course did not make ({shown}). "
            "Nothing was changed. Move that folder away, or pass another destination."
        )


def build_directories(
    targets: Sequence[Path],
    spec: dict[str, Any],
    build: Callable[[list[Path]], list[list[str]]],
) -> bool:
    """Make the folders ``targets`` with ``build``, unless they already match ``spec``.

    ``build`` receives one empty staging folder per target, fills them and returns
    the relative file names it wrote into each. Each staging folder is renamed into
    place only once all of them are complete, so an interrupted run leaves either
    the old folders or the new ones, never half of one. Returns True when it built,
    False when it reused what was there.
    """
    targets = [Path(t) for t in targets]
    if all(_is_complete(t, spec) for t in targets):
        return False
    for target in targets:
        _check_replaceable(target)
    staging = [t.parent / f".{t.name}.partial" for t in targets]
    for stage in staging:
        # A leftover staging folder comes from an interrupted run of ours (its name is ours).
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
    written = build(staging)
    for stage, target, files in zip(staging, targets, written):
        (stage / MANIFEST).write_text(json.dumps({"spec": spec, "files": sorted(files)}, indent=1))
        if target.exists():
            retired = target.parent / f".{target.name}.retired"
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(target, retired)
            os.replace(stage, target)
            shutil.rmtree(retired)
        else:
            os.replace(stage, target)
    return True


def build_directory(target: Path, spec: dict[str, Any], build: Callable[[Path], list[str]]) -> bool:
    """:func:`build_directories` for one folder."""
    return build_directories([target], spec, lambda stages: [build(stages[0])])
