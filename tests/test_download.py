"""lib.download, offline: every route against a local HTTP server serving miniature archives the tests build."""

import hashlib
import io
import socket
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from lib import config, data, download
from lib.files import NotOurFolderError
from tests.local_server import serving_bytes


def photo(seed: int, fmt: str = "JPEG") -> bytes:
    """A small noisy image, different for every seed, so a laid-out file tells which photo it was."""
    pixels = np.random.default_rng(seed).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt)
    return buffer.getvalue()


TRUNCATED = photo(99)[:300]  # what an interrupted copy leaves: the decoder rejects it


def petimages_zip(extra_cat: bool = False) -> bytes:
    """A miniature kagglecatsanddogs zip: PetImages/{Cat,Dog}/N.jpg, with bad files as in the real one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for folder, offset in (("Cat", 0), ("Dog", 100)):
            for i in range(6):
                zf.writestr(f"PetImages/{folder}/{i}.jpg", photo(offset + i))
            zf.writestr(f"PetImages/{folder}/Thumbs.db", b"\x00")
        zf.writestr("PetImages/Cat/6.jpg", b"")
        zf.writestr("PetImages/Cat/7.jpg", b"this is not an image\n")
        zf.writestr("PetImages/Cat/10.jpg", photo(10))  # numbered after 5.jpg, not after 1.jpg
        zf.writestr("PetImages/Dog/10.jpg", TRUNCATED)
        zf.writestr("PetImages/Dog/11.jpg", photo(111, "PNG"))  # a PNG named .jpg: the decoder reads it
        if extra_cat:
            zf.writestr("PetImages/Cat/12.jpg", photo(12))
        zf.writestr("readme[1].txt", b"licence")
    return buffer.getvalue()


OXFORD_MEMBERS = {  # in a shuffled order, as a tar of a folder may hold them
    "images/beagle_2.jpg": photo(202, "PNG"),
    "images/Abyssinian_10.jpg": photo(210),
    "images/pug_1.jpg": photo(203),
    "images/Abyssinian_1.jpg": photo(201),
    "images/Bengal_2.jpg": TRUNCATED,
    "images/Abyssinian_100.mat": b"MATLAB 5.0 MAT-file",
    "images/Abyssinian_2.jpg": photo(205),
    "images/beagle_1.jpg": photo(204),
    "images/Bengal_1.jpg": photo(206),
}


def oxford_tar() -> bytes:
    """A miniature Oxford-IIIT Pet images.tar.gz: capitalized cat breeds, lowercase dog breeds, a .mat, a bad file."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        folder = tarfile.TarInfo("images")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for name, content in OXFORD_MEMBERS.items():
            member = tarfile.TarInfo(name)
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


PETIMAGES_ZIP, OXFORD_TAR = petimages_zip(), oxford_tar()
SERVED = {"kagglecatsanddogs_5340.zip": PETIMAGES_ZIP, "images.tar.gz": OXFORD_TAR,
          "wrong.zip": petimages_zip(extra_cat=True)}  # a good zip, but not the pinned one


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def petimages_at(url: str) -> download.Source:
    return replace(download.PETIMAGES, url=url, sha256=sha256(PETIMAGES_ZIP))


def oxford_at(url: str) -> download.Source:
    return replace(download.OXFORD_PETS, url=url, sha256=sha256(OXFORD_TAR))


@pytest.fixture(scope="module")
def server():
    """The base URL of the local server and the list of paths it was asked for."""
    with serving_bytes(SERVED) as (url, requests):
        yield url, requests


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def laid_out(train_dir, category):
    """The contents of ``category.0.jpg``, ``category.1.jpg``, ... in order, checking there is no gap."""
    count = len(list(train_dir.glob(f"{category}.*.jpg")))
    return [(train_dir / f"{category}.{i}.jpg").read_bytes() for i in range(count)]


def test_petimages_are_laid_out_in_kaggle_naming_without_unreadable_images(server, tmp_path, capsys):
    url, _ = server
    train = download.prepare_source(petimages_at(url + "kagglecatsanddogs_5340.zip"), tmp_path)
    assert train == config.petimages_train_dir(tmp_path)
    assert laid_out(train, "cat") == [photo(i) for i in (0, 1, 2, 3, 4, 5, 10)], "numbered in numeric order"
    assert laid_out(train, "dog") == [photo(100 + i) for i in range(6)] + [photo(111, "PNG")]
    out = capsys.readouterr().out
    assert "Microsoft PetImages, cats: kept 7 of 9, dropped 2 that the decoder cannot read (6.jpg, 7.jpg)" in out
    assert "Microsoft PetImages, dogs: kept 7 of 8, dropped 1 that the decoder cannot read (10.jpg)" in out
    assert config.resolve_mode("auto", tmp_path)[0] == "full"


def test_oxford_pets_cats_are_the_capitalized_breeds(server, tmp_path, capsys):
    url, _ = server
    train = download.prepare_source(oxford_at(url + "images.tar.gz"), tmp_path)
    assert train == config.oxford_pets_train_dir(tmp_path)
    assert laid_out(train, "cat") == [photo(201), photo(205), photo(210), photo(206)], \
        "Abyssinian_1, _2, _10, then Bengal_1: sorted by name, numbers as numbers"
    assert laid_out(train, "dog") == [photo(204), photo(202, "PNG"), photo(203)]
    assert sorted(p.name for p in train.iterdir() if not p.name.startswith(".")) == \
        [*(f"cat.{i}.jpg" for i in range(4)), *(f"dog.{i}.jpg" for i in range(3))], "no .mat, nothing else"
    out = capsys.readouterr().out
    assert "Oxford-IIIT Pet, cats: kept 4 of 5, dropped 1 that the decoder cannot read (Bengal_2.jpg)" in out
    assert "fewer cats and dogs than the 2500 per class the book's split needs" in out


@pytest.mark.parametrize("path, cause", [
    ("cut-with-length/kagglecatsanddogs_5340.zip", "retrieval incomplete"),
    ("cut-without-length/kagglecatsanddogs_5340.zip", "hash does not match"),
    ("wrong.zip", "hash does not match"),
    ("stall/kagglecatsanddogs_5340.zip", "timed out"),
])
def test_a_bad_download_is_rejected_and_nothing_is_laid_out(server, tmp_path, monkeypatch, path, cause):
    monkeypatch.setattr(download, "DOWNLOAD_TIMEOUT_S", 0.5)
    url, _ = server
    with pytest.raises(download.DownloadError, match=f"could not be downloaded whole.*{cause}.*run the same command"):
        download.prepare_source(petimages_at(url + path), tmp_path)
    assert not (tmp_path / "downloads" / "kagglecatsanddogs_5340.zip").exists(), "no bad or partial file kept"
    assert not config.petimages_train_dir(tmp_path).exists()


def test_a_failing_petimages_falls_back_to_oxford(server, tmp_path, capsys):
    url, _ = server
    sources = [petimages_at(url + "cut-with-length/kagglecatsanddogs_5340.zip"), oxford_at(url + "images.tar.gz")]
    assert download.fetch_real_photos(tmp_path, sources) == config.oxford_pets_train_dir(tmp_path)
    host = url.split("/")[2]
    assert f"Microsoft PetImages ({host}): " in capsys.readouterr().out.replace("\n", " ")
    assert not config.petimages_train_dir(tmp_path).exists()


def test_a_failing_source_says_what_it_tries_next(server, tmp_path, capsys):
    url, _ = server
    sources = [petimages_at(url + "wrong.zip"), oxford_at(url + "images.tar.gz")]
    download.fetch_real_photos(tmp_path, sources)
    out = capsys.readouterr().out
    assert f"hash does not match the provided value of {sha256(PETIMAGES_ZIP)}; trying Oxford-IIIT Pet" in out


def test_when_every_source_fails_the_error_names_every_option(server, tmp_path, capsys):
    url, _ = server
    sources = [petimages_at(f"http://127.0.0.1:{unused_port()}/kagglecatsanddogs_5340.zip"),
               oxford_at(url + "cut-without-length/images.tar.gz")]
    with pytest.raises(download.RealDataUnavailableError) as error:
        download.fetch_real_photos(tmp_path, sources)
    message = str(error.value)
    assert "Connection refused" in message and "hash does not match" in message, "what failed, per source"
    assert str(config.kaggle_train_dir(tmp_path)) in message
    assert f"cat/ and dog/ under {config.own_photos_dir(tmp_path)}" in message
    assert "COURSE_MODE=tiny" in message and "python -m lib.download" in message
    assert "no source left to try" in capsys.readouterr().out


def test_a_second_call_reuses_the_download_and_the_folder(server, tmp_path, capsys):
    url, requests = server
    source, root = petimages_at(url + "kagglecatsanddogs_5340.zip"), tmp_path / "data"  # not made yet
    first = download.prepare_source(source, root)
    asked = len(requests)
    assert download.prepare_source(source, root) == first
    assert "Reused" in capsys.readouterr().out
    (root / "downloads" / source.filename).unlink()
    assert download.prepare_source(source, root) == first, "a complete folder needs no archive"
    assert len(requests) == asked, "no new request"


def test_the_archive_goes_to_the_data_folders_downloads_even_before_that_folder_exists(server, tmp_path):
    url, _ = server
    root = tmp_path / "new"
    archive = download.download(petimages_at(url + "kagglecatsanddogs_5340.zip"), root)
    assert archive == root / "downloads" / "kagglecatsanddogs_5340.zip" and archive.read_bytes() == PETIMAGES_ZIP


def test_a_partial_file_left_by_a_killed_process_is_replaced(server, tmp_path):
    url, requests = server
    archive = tmp_path / "downloads" / "kagglecatsanddogs_5340.zip"
    archive.parent.mkdir()
    archive.write_bytes(PETIMAGES_ZIP[:1000])
    asked = len(requests)
    train = download.prepare_source(petimages_at(url + "kagglecatsanddogs_5340.zip"), tmp_path)
    assert len(requests) == asked + 1 and archive.read_bytes() == PETIMAGES_ZIP
    assert len(list(train.glob("*.jpg"))) == 14


OWN_CATS = {"IMG_10.JPG": photo(310), "IMG_2.jpg": photo(302), "Minou à la plage.jpeg": photo(303),
            "whiskers.png": photo(304, "PNG"), "broken.jpg": TRUNCATED, ".DS_Store": b"\x00\x01"}
OWN_DOGS = {"Rex 1.bmp": photo(401, "BMP"), "rex-2.gif": photo(402, "GIF")}


def own_photos(root):
    for category, files in (("cat", OWN_CATS), ("dog", OWN_DOGS)):
        folder = config.own_photos_dir(root) / category
        folder.mkdir(parents=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)


def test_own_photos_are_laid_out_in_their_names_order(server, tmp_path, capsys):
    url, requests = server
    own_photos(tmp_path)
    asked = len(requests)
    train = download.fetch_real_photos(tmp_path, [petimages_at(url + "kagglecatsanddogs_5340.zip")])
    assert train == config.own_photos_train_dir(tmp_path) and len(requests) == asked, "own photos come first"
    assert laid_out(train, "cat") == [OWN_CATS[n] for n in ("IMG_2.jpg", "IMG_10.JPG", "Minou à la plage.jpeg",
                                                              "whiskers.png")]
    assert laid_out(train, "dog") == list(OWN_DOGS.values())
    assert "Your photos, cats: kept 4 of 5, dropped 1 that the decoder cannot read (broken.jpg)" in \
        capsys.readouterr().out
    assert sorted(p.name for p in (config.own_photos_dir(tmp_path) / "cat").iterdir()) == sorted(OWN_CATS), \
        "the student's photos stay as they are"


def test_an_added_own_photo_lays_the_folder_out_again(tmp_path):
    own_photos(tmp_path)
    train = download.prepare_own_photos(tmp_path)
    (config.own_photos_dir(tmp_path) / "cat" / "IMG_3.jpg").write_bytes(photo(333))
    assert download.prepare_own_photos(tmp_path) == train
    assert laid_out(train, "cat")[:3] == [OWN_CATS["IMG_2.jpg"], photo(333), OWN_CATS["IMG_10.JPG"]]


def test_own_photos_without_dogs_say_what_to_do(tmp_path):
    (config.own_photos_dir(tmp_path) / "cat").mkdir(parents=True)
    (config.own_photos_dir(tmp_path) / "cat" / "tom.jpg").write_bytes(photo(1))
    with pytest.raises(FileNotFoundError, match="dog/ in it holds none. Put photos of cats in cat/ and of dogs"):
        download.fetch_real_photos(tmp_path, [])


def test_a_students_folder_at_the_target_is_never_deleted(server, tmp_path):
    url, requests = server
    students = config.petimages_train_dir(tmp_path) / "my_cat.jpg"
    students.parent.mkdir(parents=True)
    students.write_bytes(b"mine")
    asked = len(requests)
    with pytest.raises(NotOurFolderError, match="Nothing was changed. Move that folder away"):
        download.prepare_source(petimages_at(url + "kagglecatsanddogs_5340.zip"), tmp_path)
    assert students.read_bytes() == b"mine" and len(requests) == asked, "refused before downloading"


def test_main_prepares_the_photos_ahead_of_time(server, tmp_path, monkeypatch, capsys):
    url, _ = server
    monkeypatch.setattr(download, "DOWNLOAD_SOURCES", (petimages_at(url + "kagglecatsanddogs_5340.zip"),
                                                       oxford_at(url + "images.tar.gz")))
    assert download.main(["--data-dir", str(tmp_path), "--source", "oxford"]) == 0
    out = capsys.readouterr().out
    assert f"The real photos are in {config.oxford_pets_train_dir(tmp_path)}" in out
    assert f"COURSE_MODE=full COURSE_DATA_DIR={tmp_path} jupyter lab" in out
    assert config.real_train_dir(tmp_path) == config.oxford_pets_train_dir(tmp_path)
    assert not config.petimages_train_dir(tmp_path).exists(), "--source oxford takes only Oxford"


def test_main_says_what_to_do_when_nothing_downloads(server, tmp_path, monkeypatch, capsys):
    url, _ = server
    monkeypatch.setattr(download, "DOWNLOAD_SOURCES", (petimages_at(url + "wrong.zip"),))
    with pytest.raises(SystemExit) as exit_:
        download.main(["--data-dir", str(tmp_path)])
    assert exit_.value.code == 1
    assert "COURSE_MODE=tiny" in capsys.readouterr().err


def test_lib_data_download_is_the_same_command(tmp_path):
    (config.own_photos_dir(tmp_path) / "cat").mkdir(parents=True)
    (config.own_photos_dir(tmp_path) / "cat" / "tom.jpg").write_bytes(photo(1))
    run = subprocess.run([sys.executable, "-m", "lib.data", "download", "--data-dir", str(tmp_path), "--source", "own"],
                         capture_output=True, text=True, cwd=config.REPO_ROOT, timeout=300)
    assert run.returncode == 1 and "dog/ in it holds none" in run.stderr, run.stderr[-2000:]
    run = subprocess.run([sys.executable, "-m", "lib.data"], capture_output=True, text=True, cwd=config.REPO_ROOT,
                         timeout=300)
    assert run.returncode == 1 and "usage: python -m lib.data download" in run.stderr


def test_full_mode_prefers_kaggles_folder_over_downloading(tmp_path):
    kaggle = config.kaggle_train_dir(tmp_path)
    kaggle.mkdir(parents=True)
    for category in config.CLASS_NAMES:
        for i in range(4):
            (kaggle / f"{category}.{i}.jpg").write_bytes(photo(i))
    settings = replace(config.settings_for("full", root=tmp_path), split=config.Split((0, 2), (2, 3), (3, 4)))
    assert data.prepare_data(settings) == config.subsets_dir(kaggle)
    assert not (tmp_path / "downloads").exists()
