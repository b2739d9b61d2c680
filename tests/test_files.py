import json

import pytest

from lib.files import MANIFEST, NotOurFolderError, build_directories, build_directory


def writer(*names):
    def build(stage):
        for name in names:
            (stage / name).write_text(name)
        return list(names)
    return build


def test_builds_then_reuses(tmp_path):
    target = tmp_path / "out"
    assert build_directory(target, {"v": 1}, writer("a", "b")) is True
    assert build_directory(target, {"v": 1}, writer("never")) is False
    assert sorted(p.name for p in target.iterdir()) == sorted(["a", "b", MANIFEST])
    assert json.loads((target / MANIFEST).read_text())["files"] == ["a", "b"]


def test_a_changed_request_replaces_a_folder_it_made(tmp_path):
    target = tmp_path / "out"
    build_directory(target, {"v": 1}, writer("a"))
    build_directory(target, {"v": 2}, writer("b"))
    assert sorted(p.name for p in target.iterdir()) == sorted(["b", MANIFEST])
    assert not list(tmp_path.glob(".out.*")), "no staging or retired folder is left behind"


def test_a_missing_file_means_rebuild(tmp_path):
    target = tmp_path / "out"
    build_directory(target, {"v": 1}, writer("a", "b"))
    (target / "a").unlink()
    assert build_directory(target, {"v": 1}, writer("a", "b")) is True and (target / "a").exists()


def test_foreign_files_are_never_deleted(tmp_path):
    target = tmp_path / "out"
    build_directory(target, {"v": 1}, writer("a"))
    (target / "mine.txt").write_text("student's notes")
    with pytest.raises(NotOurFolderError, match="mine.txt"):
        build_directory(target, {"v": 2}, writer("b"))
    assert (target / "mine.txt").read_text() == "student's notes" and (target / "a").exists()


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(NotOurFolderError, match="not a folder"):
        build_directory(tmp_path / "out", {}, writer("a"))


def test_an_interrupted_build_leaves_the_old_folder_whole_and_the_next_run_recovers(tmp_path):
    target = tmp_path / "out"
    build_directory(target, {"v": 1}, writer("a"))

    def crash(stage):
        (stage / "half").write_text("")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_directory(target, {"v": 2}, crash)
    assert sorted(p.name for p in target.iterdir()) == sorted(["a", MANIFEST])
    assert build_directory(target, {"v": 2}, writer("b")) is True
    assert sorted(p.name for p in target.iterdir()) == sorted(["b", MANIFEST])
    assert not (tmp_path / ".out.partial").exists()


def test_several_folders_are_built_together(tmp_path):
    targets = [tmp_path / "images", tmp_path / "masks"]
    built = build_directories(targets, {"n": 1}, lambda stages: [writer("x")(stages[0]), writer("y")(stages[1])])
    assert built and (targets[0] / "x").exists() and (targets[1] / "y").exists()
    (targets[1] / "y").unlink()
    assert build_directories(targets, {"n": 1}, lambda stages: [writer("x")(stages[0]), writer("y")(stages[1])])
