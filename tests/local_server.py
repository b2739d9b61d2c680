"""A quiet HTTP server on 127.0.0.1 for the tests that download or browse (never another address)."""

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test output stays readable
        pass


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free port of 127.0.0.1; yields the base URL, ending in '/'."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


FAULTS = ("cut-with-length", "cut-without-length", "stall")
STALL_S = 5.0


class BytesHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` by name, whole at ``/NAME`` and with a fault at ``/FAULT/NAME``."""

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.server.requests.append(self.path)
        fault, _, name = self.path.lstrip("/").rpartition("/")
        content = self.server.files.get(name)
        if content is None or fault not in ("", *FAULTS):
            self.send_error(404)
            return
        self.send_response(200)
        if fault != "cut-without-length":  # without a length, the client cannot tell a cut from the end
            self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if fault == "stall":
            self.server.stopping.wait(STALL_S)  # headers, then silence: long enough for a client's timeout
            return
        self.wfile.write(content[: len(content) // 2] if fault else content)
        self.close_connection = True

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serving_bytes(files: dict[str, bytes]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``files`` (name -> content) on a free port of 127.0.0.1, each also with a fault:
    ``/cut-with-length/NAME`` announces the whole length but sends half and closes,
    ``/cut-without-length/NAME`` sends half and closes, ``/stall/NAME`` sends the headers, then
    nothing for :data:`STALL_S` seconds, and closes. Yields the base URL (ending in '/') and the
    list of the paths requested so far."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BytesHandler)
    server.files, server.requests, server.stopping = files, [], threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server.requests
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
