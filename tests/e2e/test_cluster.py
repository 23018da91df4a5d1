"""`make cluster` (scripts/cluster.sh): one booking conversation across two Rasa replicas on
PostgreSQL and Redis, one replica killed in the middle of the form (issue 9)."""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import jwt
import pytest
import redis
import requests
import sqlalchemy as sa

from clinic_office.booking_store import BookingStore
from tests.e2e.conftest import MODEL, ROOT, free_port
from tests.unit.test_booking_store import POSTGRES_URL, postgres_unreachable

pytestmark = pytest.mark.e2e
TIMEOUT = 30.0
LOCK_DB, LIMITS_DB = 13, 12


@dataclass
class Cluster:
    """A running `scripts/cluster.sh`: its gateway, replicas and databases."""

    gateway: str
    replicas: list[str]
    folder: Path
    database_url: str
    jwt_secret: str
    models: Path

    def pid(self, name: str) -> int:
        return int((self.folder / "pids" / f"{name}.pid").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reason = postgres_unreachable()
    if reason:
        pytest.fail(f"{reason}: the cluster needs PostgreSQL")
    redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    folder = tmp_path_factory.mktemp("cluster")
    # the model server's folder must be readable by nginx's workers: not under /tmp/pytest-*
    models = ROOT / "build" / "cluster" / f"test-models-{uuid4().hex[:8]}"
    database = f"e2e_cluster_{uuid4().hex[:10]}"
    url = sa.engine.make_url(POSTGRES_URL).set(database=database).render_as_string(False)
    gateway_port, model_port, web_port, actions_port, *replica_ports = (
        free_port() for _ in range(6)
    )
    env = {
        **os.environ,
        "CLUSTER_DIR": str(folder),
        "CLINIC_DATA_DIR": str(folder / "var"),  # the studio worker's queue: this test's own
        "MODELS_DIR": str(models),
        "GATEWAY_PORT": str(gateway_port),
        "MODEL_SERVER_PORT": str(model_port),
        "WEB_PORT": str(web_port),
        "ACTIONS_PORT": str(actions_port),
        "REPLICA_PORTS": " ".join(map(str, replica_ports)),
        "CONVERSATIONS_DATABASE_URL": url,
        "BOOKING_DATABASE_URL": url,
        "LOCK_REDIS_DB": str(LOCK_DB),
        "RATE_LIMIT_REDIS_URL": f"redis://127.0.0.1:6379/{LIMITS_DB}",
        "WIDGET_SECRET": secrets.token_urlsafe(36),
        "NOTIFY_CHANNELS": "",
        # the replicas' API (never proxied by the gateway) tells which model each one serves
        "RASA_ENABLE_API": "1",
        "RASA_JWT_SECRET": secrets.token_urlsafe(36),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    for name in ("REST_TOKEN", "CLINIC_SETTINGS"):
        env.pop(name, None)
    log = (folder / "cluster.log").open("wb")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "cluster.sh")], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    running = Cluster(
        gateway=f"http://127.0.0.1:{gateway_port}",
        replicas=[f"http://127.0.0.1:{port}" for port in replica_ports],
        folder=folder,
        database_url=url,
        jwt_secret=env["RASA_JWT_SECRET"],
        models=models,
    )
    try:
        deadline = time.monotonic() + 300
        while not (folder / "ready").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "cluster.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"the cluster did not start:\n{tail}")
            time.sleep(1)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(models, ignore_errors=True)
        for db in (LOCK_DB, LIMITS_DB):
            redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
        admin = sa.create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def new_token(cluster: Cluster) -> str:
    """A new widget conversation, through the gateway."""
    session = requests.post(
        f"{cluster.gateway}/webhooks/widget/session",
        headers={"Origin": cluster.gateway},
        timeout=TIMEOUT,
    )
    assert session.status_code == 200, session.text[:200]
    return str(session.json()["token"])


def say(cluster: Cluster, base: str, token: str, text: str) -> list[dict[str, Any]]:
    reply = requests.post(
        f"{base}/webhooks/widget/message",
        json={"token": token, "text": text},
        headers={"Origin": cluster.gateway},
        timeout=TIMEOUT,
    )
    assert reply.status_code == 200, (base, text, reply.status_code, reply.text[:200])
    messages: list[dict[str, Any]] = reply.json()["messages"]
    assert messages, (base, text)
    return messages


def port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def stored(cluster: Cluster) -> list[dict[str, Any]]:
    store = BookingStore(cluster.database_url, ())
    try:
        return store.list_requests()
    finally:
        store.dispose()


def user_turns(cluster: Cluster, conversation_id: str) -> list[str]:
    engine = sa.create_engine(cluster.database_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT data FROM events WHERE sender_id = :id AND type_name = 'user' "
                    "ORDER BY id"
                ),
                {"id": conversation_id},
            )
            import json

            return [json.loads(row[0])["text"] for row in rows]
    finally:
        engine.dispose()


BEFORE_THE_CRASH = ["I'd like to book an appointment please", "Jane Doe", "415 555 2671"]
AFTER_THE_CRASH = [
    "tuesday afternoon",
    '/affirm{"booking_reason": "sciatica"}',
    '/affirm{"patient_status": "new"}',
    "/affirm",
]


def with_model_id(archive: bytes, model_id: str) -> bytes:
    """The model archive ``archive`` with ``model_id`` in its metadata."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as source,
        tarfile.open(fileobj=out, mode="w:gz") as target,
    ):
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name.lstrip("./") == "metadata.json" and data is not None:
                metadata = json.loads(data.read())
                metadata["model_id"] = model_id
                body = json.dumps(metadata).encode()
                member.size = len(body)
                target.addfile(member, io.BytesIO(body))
            else:
                target.addfile(member, data)
    return out.getvalue()


def model_ids(cluster: Cluster) -> list[str]:
    """The id of the model each replica serves."""
    token = jwt.encode(
        {"user": {"username": "tests", "role": "admin"}}, cluster.jwt_secret, algorithm="HS256"
    )
    files = []
    for replica in cluster.replicas:
        status = requests.get(
            f"{replica}/status", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )
        assert status.status_code == 200, status.text[:200]
        files.append(str(status.json()["model_id"]))
    return files


def test_a_published_model_reaches_every_replica_with_no_restart(cluster: Cluster) -> None:
    token = new_token(cluster)
    say(cluster, cluster.gateway, token, "I'd like to book an appointment please")
    pids = {name: cluster.pid(name) for name in ("rasa1", "rasa2")}
    new_id = uuid4().hex
    assert new_id not in model_ids(cluster)

    # a new model (the same one under a new id), published as `make publish` does: one rename
    staged = cluster.models / ".current.tar.gz"
    staged.write_bytes(with_model_id(MODEL.read_bytes(), new_id))
    staged.chmod(0o644)
    staged.replace(cluster.models / "current.tar.gz")

    deadline = time.monotonic() + 90
    while model_ids(cluster) != [new_id, new_id]:
        assert time.monotonic() < deadline, "a replica did not load the published model"
        time.sleep(1)
    assert {name: cluster.pid(name) for name in pids} == pids  # no replica restarted
    # the form started before the switch goes on after it
    asked = say(cluster, cluster.gateway, token, "Jane Doe")
    assert any("phone" in str(m.get("text")).lower() for m in asked)


def test_the_studio_worker_hands_models_to_the_folder_the_replicas_poll(
    cluster: Cluster,
) -> None:
    """`make cluster` runs the staff studio's publishing worker, handing models over to the
    model server's folder (its publishing is tested in tests/e2e/test_studio_flow.py)."""
    worker = cluster.pid("worker")
    os.kill(worker, 0)  # running
    environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    assert f"MODELS_DIR={cluster.models}".encode() in environ
    command = Path(f"/proc/{worker}/cmdline").read_bytes().split(b"\0")
    assert b"clinic_server.studio_worker" in command


def test_a_booking_across_replicas_survives_one_replica_dying(cluster: Cluster) -> None:
    token = new_token(cluster)
    conversation_id = token.split(".")[0]

    # the turns alternate between the two replicas
    for turn, text in enumerate(BEFORE_THE_CRASH):
        say(cluster, cluster.replicas[turn % 2], token, text)

    os.kill(cluster.pid("rasa1"), signal.SIGKILL)  # the first replica dies mid-form
    # (a message in flight at the moment of the crash would get a 502, which the widget shows
    # as "could not send, try again"; the test goes on once the replica is gone)
    deadline = time.monotonic() + 10
    while port_open(cluster.replicas[0]):
        assert time.monotonic() < deadline, "the killed replica still listens"
        time.sleep(0.05)

    # the visitor goes on through the gateway, which now reaches the other replica only
    replies = [say(cluster, cluster.gateway, token, text) for text in AFTER_THE_CRASH]
    assert any("Jane Doe" in str(m.get("text")) for m in replies[-1])  # the summary
    final = say(cluster, cluster.gateway, token, "/affirm")

    rows = [row for row in stored(cluster) if row["conversation_id"] == conversation_id]
    assert len(rows) == 1  # stored once
    row = rows[0]
    assert (row["full_name"], row["phone"], row["preferred_times"]) == (
        "Jane Doe",
        "+14155552671",
        "tuesday afternoon",
    )
    assert (row["reason"], row["patient_status"], row["consent"]) == ("sciatica", "new", True)
    assert any(row["reference"] in str(m.get("text")) for m in final)
    # no turn lost: every message is in the conversation, in order
    assert user_turns(cluster, conversation_id) == [*BEFORE_THE_CRASH, *AFTER_THE_CRASH, "/affirm"]
    # the replicas counted the rate limits in Redis, under hashed keys
    keys = redis.Redis(host="127.0.0.1", port=6379, db=LIMITS_DB).keys("clinic:rl:*")
    assert keys and not any(conversation_id.encode() in key for key in keys)


def test_the_gateway_is_the_only_public_surface(cluster: Cluster) -> None:
    assert requests.get(f"{cluster.gateway}/", timeout=TIMEOUT).status_code == 200
    assert requests.get(f"{cluster.gateway}/widget.js", timeout=TIMEOUT).status_code == 200
    for path in ("/status", "/models/current.tar.gz", "/conversations/x/tracker", "/health"):
        assert requests.get(f"{cluster.gateway}{path}", timeout=TIMEOUT).status_code == 404
