"""The loopback model server: one file, ETags, 304 for an unchanged model."""

from __future__ import annotations

import os
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from clinic_server.model_server import MODEL_PATH, create_app


async def test_etag_polling_and_a_new_model(tmp_path: Path) -> None:
    async with TestClient(TestServer(create_app(tmp_path))) as client:
        assert (await client.get(MODEL_PATH)).status == 404  # nothing published yet
        (tmp_path / "current.tar.gz").write_bytes(b"model one")
        first = await client.get(MODEL_PATH)
        assert first.status == 200 and await first.read() == b"model one"
        etag = first.headers["ETag"]
        again = await client.get(MODEL_PATH, headers={"If-None-Match": etag})
        assert again.status == 304
        # a new model, published by replacing the file
        partial = tmp_path / ".partial"
        partial.write_bytes(b"model two")
        os.replace(partial, tmp_path / "current.tar.gz")
        changed = await client.get(MODEL_PATH, headers={"If-None-Match": etag})
        assert changed.status == 200 and await changed.read() == b"model two"
        assert changed.headers["ETag"] != etag
        assert (await client.get("/models/other.tar.gz")).status == 404
        assert (await client.get("/")).status == 404
