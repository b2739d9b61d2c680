"""The PetImages download path, against a local HTTP server serving a zip the test builds."""

import http.server
import io
from dataclasses import replace
import socket
import threading
import zipfile

import pytest

from lib import config, data
from tests.test_data import BAD, GOOD


def petimages_zip() -> bytes:
    """A miniature kagglecatsanddogs zip: PetImages/{Cat,Dog}/N.jpg, with bad files as in the real one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for folder in ("Cat", "Dog"):
            for i in range(6):
                zf.writestr(f"PetImages/{folder}/{i}.jpg", GOOD["good.jpg"])
            zf.writestr(f"PetImages/{folder}/Thumbs.db", b"\x00")
        zf.writestr("PetImages/Cat/6.jpg", BAD["empty.jpg"])
        zf.writestr("PetImages/Cat/7.jpg", BAD["text.jpg"])
        zf.writestr("PetImages/Dog/10.jpg", BAD["truncated.jpg"])
        zf.writestr("PetImages/Dog/11.jpg", GOOD["png_named.jpg"])
        zf.writestr("readme[1].txt", b"licence")
    return buffer.getvalue()


ARCHIVE = petimages_zip()


class Handler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        Handler.requests.append(self.path)
        half = ARCHIVE[: len(ARCHIVE) // 2]
        self.send_response(200)
        if self.path == "/cut-with-length.zip":
            # Announces the whole archive, then the connection drops halfway.
            self.send_header("Content-Length", str(len(ARCHIVE)))
            self.end_headers()
            self.wfile.write(half)
        elif self.path == "/cut-without-length.zip":
            # No length announced: the client cannot tell the cut from the end.
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(half)
        else:
            self.send_header("Content-Length", str(len(ARCHIVE)))
            self.end_headers()
            self.wfile.write(ARCHIVE)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_lays_out_kaggle_naming_and_drops_bad_images(server, tmp_path, capsys):
    train = data.download_petimages(tmp_path, url=f"{server}/kagglecatsanddogs_5340.zip")
    assert train == config.petimages_train_dir(tmp_path)
    cats = sorted(p.name for p in train.glob("cat.*.jpg"))
    dogs = sorted(p.name for p in train.glob("dog.*.jpg"))
    assert cats == [f"cat.{i}.jpg" for i in range(6)]
    assert dogs == [f"dog.{i}.jpg" for i in range(7)], "six good dogs and one PNG the decoder reads"
    out = capsys.readouterr().out
    assert "PetImages/Cat: kept 6 images, dropped 2" in out and "PetImages/Dog: kept 7 images, dropped 1" in out
    assert config.resolve_mode("auto", tmp_path)[0] == "full"


def test_a_second_call_uses_the_cached_download(server, tmp_path):
    url = f"{server}/kagglecatsanddogs_5340.zip"
    data.download_petimages(tmp_path, url=url)
    before = len(Handler.requests)
    data.download_petimages(tmp_path, url=url)
    assert len(Handler.requests) == before


def test_a_cut_download_with_announced_length_is_not_kept(server, tmp_path):
    with pytest.raises(data.RealDataUnavailableError, match="Could not download"):
        data.download_petimages(tmp_path, url=f"{server}/cut-with-length.zip")
    assert not list((tmp_path / "downloads").glob("*.zip"))


def test_a_cut_download_without_length_is_detected_and_removed(server, tmp_path):
    with pytest.raises(data.IncompleteDownloadError, match="interrupted download.*run the same cell again"):
        data.download_petimages(tmp_path, url=f"{server}/cut-without-length.zip")
    assert not list((tmp_path / "downloads").glob("*.zip"))
    assert not config.petimages_train_dir(tmp_path).exists()


def test_a_partial_file_left_by_a_killed_kernel_is_not_taken_for_complete(server, tmp_path):
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / data.PETIMAGES_ZIP).write_bytes(ARCHIVE[:1000])
    with pytest.raises(data.IncompleteDownloadError):
        data.download_petimages(tmp_path, url=f"{server}/kagglecatsanddogs_5340.zip")
    train = data.download_petimages(tmp_path, url=f"{server}/kagglecatsanddogs_5340.zip")
    assert len(list(train.glob("*.jpg"))) == 13


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_full_mode_names_the_options(tmp_path):
    with pytest.raises(data.RealDataUnavailableError) as error:
        data.download_petimages(tmp_path, url=f"http://127.0.0.1:{unused_port()}/kagglecatsanddogs_5340.zip")
    message = str(error.value)
    assert str(config.kaggle_train_dir(tmp_path)) in message and "COURSE_MODE=tiny" in message


def test_full_mode_prefers_kaggles_folder_over_downloading(tmp_path):
    from tests.test_data import kaggle_folder

    kaggle_folder(config.kaggle_train_dir(tmp_path), 4)
    full = config.settings_for("full", root=tmp_path)
    settings = replace(full, split=config.Split((0, 2), (2, 3), (3, 4)))
    base = data.prepare_data(settings)
    assert base == config.kaggle_train_dir(tmp_path).parent / "cats_vs_dogs_small"
    assert not (tmp_path / "downloads").exists()
