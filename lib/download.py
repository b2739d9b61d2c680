"""Real dogs-vs-cats photographs for full mode, whatever the network does (chapter 0, and chapter 3 in full mode).

When Kaggle's ``train/`` folder is not on disk, :func:`fetch_real_photos` takes the first route that works:

1. the student's own photos, when :func:`lib.config.own_photos_dir` exists (``cat/`` and ``dog/`` in it);
2. Microsoft's PetImages zip (about 800 MB, ~25,000 photos);
3. the Oxford-IIIT Pet images (about 790 MB, CC BY-SA 4.0; about 2,400 cats and 5,000 dogs), from either mirror.

Each archive is pinned by its SHA-256 and fetched with ``keras.utils.get_file``, which rejects a
cut-off or wrong download and replaces a partial file an interrupted run left behind. Whatever
the route, the result is Kaggle's layout: a ``train/`` folder of ``cat.0.jpg ... dog.N.jpg``,
numbered without gaps, holding only photos the input pipeline's decoder can read, built with
:func:`lib.files.build_directory` (so re-running reuses it, and a student's own folder is never
deleted). ``python -m lib.download`` does all this ahead of time, on a machine with internet.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import re
import socket
import tarfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import keras

from lib import config
from lib.config import CLASS_NAMES
from lib.images import decode
from lib.report import progress
from lib.files import NotOurFolderError, build_directory

# Per network read, not for the whole download: a connection that stalls fails instead of hanging for ever.
DOWNLOAD_TIMEOUT_S = 60.0
DOWNLOADS_FOLDER = "downloads"


class RealDataUnavailableError(RuntimeError):
    """Full mode was asked for, but no real photos are on disk and none could be downloaded."""


class DownloadError(RuntimeError):
    """One archive could not be downloaded whole and intact (no network, a cut connection, wrong bytes)."""


class Photo(NamedTuple):
    """One photo of an archive or folder, read only when it is laid out."""

    category: str  # "cat" or "dog"
    name: str  # its name in the archive or folder: photos are numbered in the natural order of these names
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Source:
    """A downloadable archive of cat and dog photos, and how to list the photos in it."""

    name: str  # what ``python -m lib.download --source`` calls it
    title: str
    url: str
    sha256: str
    filename: str  # in the data folder's downloads/
    train_dir: Callable[[Path], Path]  # where its photos are laid out, given the data folder
    photos: Callable[[Path], AbstractContextManager[list[Photo]]]  # the photos of the downloaded archive, while open


@contextlib.contextmanager
def petimages_photos(archive: Path) -> Iterator[list[Photo]]:
    """The photos of Microsoft's zip: ``PetImages/Cat/N.jpg`` and ``PetImages/Dog/N.jpg``."""
    with zipfile.ZipFile(archive) as zf:
        yield [Photo(match[1].lower(), name, functools.partial(zf.read, name))
               for name in zf.namelist() if (match := re.fullmatch(r"PetImages/(Cat|Dog)/\d+\.jpg", name))]


@contextlib.contextmanager
def oxford_pets_photos(archive: Path) -> Iterator[list[Photo]]:
    """The photos of the Oxford-IIIT Pet ``images.tar.gz``: ``images/Breed_N.jpg``, where cat breeds
    are capitalized (``Abyssinian_1.jpg``) and dog breeds are not (``beagle_3.jpg``)."""
    with tarfile.open(archive, "r:gz") as tar:
        # Listed in the archive's order, so reading them goes through the gzip stream once, forwards.
        yield [Photo("cat" if Path(member.name).name[0].isupper() else "dog", member.name,
                     functools.partial(_read_member, tar, member))
               for member in tar.getmembers() if member.isfile() and re.fullmatch(r"images/[^/]+\.jpg", member.name)]


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    with tar.extractfile(member) as file:
        return file.read()


PETIMAGES = Source(
    name="petimages", title="Microsoft PetImages",
    url="https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip",
    # 824,887,076 bytes; as published in Hugging Face datasets' cats_vs_dogs/dataset_infos.json (and gomlx's
    # dogsvscats example, which checks it with SHA-256).
    sha256="b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9",
    filename="kagglecatsanddogs_5340.zip", train_dir=config.petimages_train_dir, photos=petimages_photos,
)
OXFORD_PETS = Source(
    name="oxford", title="Oxford-IIIT Pet",
    url="https://thor.robots.ox.ac.uk/datasets/pets/images.tar.gz",
    # 791,918,971 bytes; from TensorFlow Datasets' url_checksums/oxford_iiit_pet.txt.
    sha256="67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d",
    filename="oxford_iiit_pet_images.tar.gz", train_dir=config.oxford_pets_train_dir, photos=oxford_pets_photos,
)
# The order fetch_real_photos tries them in; the second Oxford entry is the same file on the older mirror.
DOWNLOAD_SOURCES = (PETIMAGES, OXFORD_PETS,
                    replace(OXFORD_PETS, url="https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz"))


def fetch_real_photos(root: Path, sources: Sequence[Source] | None = None) -> Path:
    """The ``train/`` folder of the first route that works: the student's own photos when
    :func:`lib.config.own_photos_dir` exists, else the first of ``sources`` (default
    :data:`DOWNLOAD_SOURCES`) that downloads. Raises :class:`RealDataUnavailableError` when none does."""
    root = Path(root)
    if config.own_photos_dir(root).is_dir():
        return prepare_own_photos(root)
    return download_first(DOWNLOAD_SOURCES if sources is None else sources, root)


def download_first(sources: Sequence[Source], root: Path) -> Path:
    """The ``train/`` folder of the first of ``sources`` that downloads, laid out; each failure is
    printed in one line. Raises :class:`RealDataUnavailableError` when all of them fail."""
    failures = []
    for position, source in enumerate(sources):
        try:
            return prepare_source(source, root)
        except DownloadError as error:
            failures.append(f"{_describe(source)}: {str(error.__cause__).rstrip('.')}")
            following = sources[position + 1:]
            plan = f"trying {_describe(following[0])} next." if following else "no source left to try."
            print(f"\n{failures[-1]}; {plan}")  # on a line of its own, after Keras' unfinished progress bar
    raise RealDataUnavailableError(
        "Could not download real dogs-vs-cats photos:\n" + "".join(f"  - {failure}\n" for failure in failures)
        + "To run the course in full mode, do one of these:\n"
        f"  - put Kaggle's dogs-vs-cats train/ folder (cat.0.jpg ... dog.12499.jpg) at "
        f"{config.display_path(config.kaggle_train_dir(root))};\n"
        f"  - put photos of your own in cat/ and dog/ under {config.display_path(config.own_photos_dir(root))};\n"
        "  - on a machine with internet, run `python -m lib.download`, then copy its data folder to "
        f"{config.display_path(root)}.\n"
        "Or run on the generated toy pets instead: set COURSE_MODE=tiny."
    )


def _describe(source: Source) -> str:
    """A source's name with the host it comes from, which tells the two Oxford mirrors apart."""
    return f"{source.title} ({source.url.split('/')[2]})"


def prepare_source(source: Source, root: Path) -> Path:
    """``source``'s photos laid out in Kaggle naming at ``source.train_dir(root)``, downloaded first
    unless that folder is already complete. Raises :class:`DownloadError` when the download fails."""
    root = Path(root)
    target = source.train_dir(root)

    def build(stage: Path) -> list[str]:
        # Downloaded only here, once the folder is known to need building: a complete one needs no archive.
        with source.photos(download(source, root)) as photos:
            return lay_out_kaggle(stage, photos, source.title)

    built = build_directory(target, {"archive": source.filename, "sha256": source.sha256}, build)
    _report(target, built, root)
    return target


def download(source: Source, root: Path) -> Path:
    """``source``'s archive in ``root/downloads/``, downloaded unless a copy with the right SHA-256 is
    there already. Raises :class:`DownloadError`, leaving no file behind, when it cannot be had whole."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)  # else get_file silently falls back to /tmp/.keras
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return Path(keras.utils.get_file(source.filename, origin=source.url, file_hash=source.sha256,
                                         hash_algorithm="sha256", cache_dir=root, cache_subdir=DOWNLOADS_FOLDER))
    except Exception as error:  # get_file raises a bare Exception for network errors, ValueError for wrong bytes
        # Keras keeps a file whose hash does not match (it would download it again anyway): ~800 MB for nothing.
        (root / DOWNLOADS_FOLDER / source.filename).unlink(missing_ok=True)
        raise DownloadError(
            f"{source.title} could not be downloaded whole from {source.url} ({error}). "
            "Check the internet connection and run the same command again: the download starts afresh."
        ) from error
    finally:
        socket.setdefaulttimeout(previous_timeout)


def prepare_own_photos(root: Path) -> Path:
    """The student's photos in ``own_photos_dir(root)/cat/`` and ``.../dog/`` (any names, any format
    the pipeline reads) copied to :func:`lib.config.own_photos_train_dir` in Kaggle naming."""
    root = Path(root)
    folder = config.own_photos_dir(root)
    files = {category: sorted(p for p in (folder / category).glob("*")
                              # Hidden files are the system's (.DS_Store), not photos.
                              if p.is_file() and not p.name.startswith("."))
             for category in CLASS_NAMES}
    for category, found in files.items():
        if not found:
            raise FileNotFoundError(
                f"{config.display_path(folder)} exists, so the course uses your own photos, but "
                f"{category}/ in it holds none. Put photos of cats in cat/ and of dogs in dog/ "
                f"(.jpg, .jpeg, .png, .bmp or .gif), or rename {folder.name}/ to download photos instead."
            )
    photos = [Photo(category, path.name, path.read_bytes) for category, paths in files.items() for path in paths]
    # Every photo's name, size and time, so adding, removing or replacing one lays the folder out again.
    spec = {category: [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in paths]
            for category, paths in files.items()}
    target = config.own_photos_train_dir(root)
    built = build_directory(target, {"own_photos": spec},
                            lambda stage: lay_out_kaggle(stage, photos, "Your photos"))
    _report(target, built, root)
    return target


def lay_out_kaggle(stage: Path, photos: list[Photo], title: str) -> list[str]:
    """Write the ``photos`` the pipeline's decoder can read into ``stage`` as ``cat.0.jpg``,
    ``cat.1.jpg``, ... and ``dog.0.jpg``, ..., each class numbered without gaps in the natural
    order of the photos' names; print, per class, how many were kept and dropped. Returns the file names.

    Photos are read in the order given (the fastest for their archive) and numbered afterwards."""
    kept: dict[str, list[tuple[tuple, Path]]] = {category: [] for category in CLASS_NAMES}
    dropped: dict[str, list[str]] = {category: [] for category in CLASS_NAMES}
    for index, photo in enumerate(progress(photos, f"Decoding {title}")):
        content = photo.read()
        try:
            decode(content)
        except ValueError:
            dropped[photo.category].append(Path(photo.name).name)
            continue
        pending = stage / f"pending.{index}"
        pending.write_bytes(content)
        kept[photo.category].append((natural_key(photo.name), pending))
    written = []
    for category in CLASS_NAMES:
        for number, (_, pending) in enumerate(sorted(kept[category])):
            # Bytes kept as they are: a PNG named .jpg is read by its content, as the pipeline reads it.
            pending.rename(stage / f"{category}.{number}.jpg")
            written.append(f"{category}.{number}.jpg")
        names = f" ({', '.join(dropped[category])[:200]})" if dropped[category] else ""
        print(f"{title}, {category}s: kept {len(kept[category])} of {len(kept[category]) + len(dropped[category])}, "
              f"dropped {len(dropped[category])} that the decoder cannot read{names}.")
    return written


def natural_key(name: str) -> tuple:
    """A sort key that puts ``IMG_2.jpg`` before ``IMG_10.jpg`` (numbers compared as numbers)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _report(target: Path, built: bool, root: Path) -> None:
    """Say where the photos are, and whether there are fewer than the book's split needs."""
    counts = {category: len(list(target.glob(f"{category}.*.jpg"))) for category in CLASS_NAMES}
    print(f"{'Built' if built else 'Reused'} {config.display_path(target)}: "
          f"{counts['cat']} cats, {counts['dog']} dogs.")
    needed = config.BOOK_SPLIT.images_per_class
    short = [category for category in CLASS_NAMES if counts[category] < needed]
    if short:
        print(f"That is fewer {' and '.join(c + 's' for c in short)} than the {needed} per class the book's split "
              f"needs (cat.0 ... cat.{needed - 1}): full mode's make_subset will stop and say which are missing. "
              f"Kaggle's train/ at {config.display_path(config.kaggle_train_dir(root))} has them all.")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lib.download``: fetch and lay out real photos now, for a machine that will be offline later."""
    names = dict.fromkeys(source.name for source in DOWNLOAD_SOURCES)  # the Oxford mirrors share a name
    parser = argparse.ArgumentParser(
        prog="python -m lib.download",
        description="Download and lay out real dogs-vs-cats photos now, for a machine that will be offline later.")
    parser.add_argument("--data-dir", type=Path, default=config.data_dir(),
                        help="the course's data folder (default: %(default)s, which COURSE_DATA_DIR sets)")
    parser.add_argument("--source", choices=[*names, "own"],
                        help="only this route (default: the first that works: own photos if their folder "
                             "exists, then petimages, then oxford)")
    args = parser.parse_args(argv)
    root = args.data_dir.expanduser().resolve()
    try:
        if args.source is None:
            train_dir = fetch_real_photos(root)
        elif args.source == "own":
            train_dir = prepare_own_photos(root)
        else:
            train_dir = download_first([s for s in DOWNLOAD_SOURCES if s.name == args.source], root)
    except (RealDataUnavailableError, FileNotFoundError, NotOurFolderError) as error:
        parser.exit(1, f"{error}\n")
    data_dir = "" if root == config.default_data_dir().resolve() else f"COURSE_DATA_DIR={root} "
    print(f"The real photos are in {train_dir}. Run the course in full mode with:\n"
          f"  COURSE_MODE=full {data_dir}jupyter lab")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
