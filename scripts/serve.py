"""Serve the built site/ on 127.0.0.1 with the MIME types Pyodide needs.

    python scripts/serve.py --port 8000 [--prefix /mnist-sorter/] [--directory site]

`--prefix` mounts the site under a sub-path, as GitHub Pages does for project
sites, which proves every URL is relative. Tests import `start_server`.
"""

from __future__ import annotations

import argparse
import functools
import sys
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "site"

MIME_TYPES = {
    ".wasm": "application/wasm",  # anything else makes loadPyodide hang
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".npz": "application/octet-stream",
    ".whl": "application/octet-stream",
    ".zip": "application/zip",
    ".py": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files from one directory, optionally under a URL prefix; quiet."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    prefix = "/"

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path[len(self.prefix):])

    def send_head(self):
        path = self.path.split("?")[0]
        if self.prefix != "/" and path == self.prefix.rstrip("/"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", self.prefix)
            self.end_headers()
            return None
        if not path.startswith(self.prefix):
            self.send_error(HTTPStatus.NOT_FOUND, f"outside {self.prefix}")
            return None
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass


class QuietServer(ThreadingHTTPServer):
    """A browser leaving a page mid-download is normal: no traceback for it."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def make_server(port: int = 0, prefix: str = "/", directory: Path = SITE) -> ThreadingHTTPServer:
    """Return a bound (not yet serving) server; port 0 picks a free port."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    handler = functools.partial(type("Handler", (SiteHandler,), {"prefix": prefix}),
                                directory=str(directory))
    server = QuietServer(("127.0.0.1", port), handler)
    return server


def start_server(port: int = 0, prefix: str = "/", directory: Path = SITE) -> tuple[ThreadingHTTPServer, str]:
    """Serve in a daemon thread; return the server (call .shutdown()) and the site's URL."""
    server = make_server(port, prefix, directory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, bound_port = server.server_address[:2]
    path = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    return server, f"http://{host}:{bound_port}{path}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--prefix", default="/", help="sub-path to serve under, e.g. /mnist-sorter/")
    parser.add_argument("--directory", type=Path, default=SITE)
    args = parser.parse_args(argv)
    if not (args.directory / "index.html").exists():
        print(f"serve: error: {args.directory}/index.html is missing; run scripts/build_site.py first",
              file=sys.stderr)
        return 2
    try:
        server = make_server(args.port, args.prefix, args.directory)
    except OSError as error:
        print(f"serve: error: cannot listen on 127.0.0.1:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    prefix = "/" + args.prefix.strip("/") + "/" if args.prefix.strip("/") else "/"
    print(f"serving {args.directory} at http://127.0.0.1:{server.server_address[1]}{prefix}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
