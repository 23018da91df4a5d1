"""A loopback model server for `make run`: Rasa polls it and loads a new model with no restart.

Serves one file, ``$MODELS_DIR/current.tar.gz``, at ``GET /models/current.tar.gz`` with an
``ETag`` (the SHA-256 of the file) and answers ``304 Not Modified`` to a poll whose
``If-None-Match`` is the current one, which is how Rasa's model pulling
(``endpoints-run.yml`` ``models:``) decides whether to load a new model. Every other path is
404. It listens on 127.0.0.1 only unless ``--host`` says otherwise. The staff studio's
publishing (``clinic_server.studio_worker``) and ``make publish`` replace the file
atomically. `make cluster` serves the same folder with nginx.

    python -m clinic_server.model_server --port 5057 --dir build/cluster/models
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from clinic_nlu.minilm_build import sha256_file

__all__ = ["ModelFile", "create_app", "main"]

MODEL_PATH = "/models/current.tar.gz"


@dataclass
class ModelFile:
    """The served file and its ETag, recomputed only when the file changes."""

    path: Path
    _stamp: tuple[int, int, int] | None = None
    _etag: str = ""

    def etag(self) -> str | None:
        """The file's ETag (a quoted SHA-256), or None when there is no file."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._stamp, self._etag = stamp, f'"{sha256_file(self.path)}"'
        return self._etag


def create_app(models_dir: Path) -> web.Application:
    """The model server's app: one file, with ETags."""
    model = ModelFile(models_dir / "current.tar.gz")

    async def serve(request: web.Request) -> web.StreamResponse:
        etag = model.etag()
        if etag is None:
            return web.Response(status=404, text="no model published yet")
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        # the bytes as they are: no Content-Encoding (a client would unpack the tarball)
        body = model.path.read_bytes()
        return web.Response(
            body=body,
            content_type="application/octet-stream",
            headers={"ETag": etag, "Cache-Control": "no-cache"},
        )

    app = web.Application()
    app.router.add_get(MODEL_PATH, serve)
    return app


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="loopback model server for `make run`")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MODEL_SERVER_PORT", 5057)))
    parser.add_argument("--dir", type=Path, default=Path("build/cluster/models"))
    args = parser.parse_args(argv)
    web.run_app(create_app(args.dir.absolute()), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
