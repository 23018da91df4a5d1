"""`make bench-studio`: how long a studio change takes to reach visitors.

On a `make run`-like stack over a copy of the project (``scripts/studio_stack.py``), three
changes are drafted and published, one after the other, each timed from the publisher's
"Publish" to the moment a visitor's question gets the new behaviour over the REST channel:

1. an answer's wording (no training): the old question gets the new answer;
2. a new example question for a topic (training, gate, stories, model hand-over): the new
   phrasing gets that topic's answer;
3. a new topic (likewise): a question of the new topic gets its answer.

Printed: seconds for each, and the publish's own steps; the issue's targets beside them
(10 s, 2 min, 5 min on 2 cores). Figures, not pass/fail. No visitor data is involved.

Rasa's training cache is a private one for the run, filled first by training the unchanged
project (the live model), as `make train` leaves an installation's: a change is never timed
against a cache that already holds it from an earlier run.

    python -m scripts.bench_studio
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

import requests
import yaml

from clinic_office.clinic_settings import ClinicSettings
from clinic_office.studio import NEW, Studio
from clinic_office.topic_files import TopicFile
from scripts.studio_stack import BIN, ROOT, Stack, studio_stack

TARGETS = {"answer edit": 10.0, "new example question": 120.0, "new topic": 300.0}
POLL = 0.5
LIMIT = 1200.0  # seconds before a change counts as never live
ACCOUNTS = {"publisher": ("bench", "bench publisher passphrase")}
ANSWER = "Most sessions take about 45 minutes, your assessment included."
# not understood before (the live model asks "did you mean...?"): checked before publishing
PHRASING = "how many hours should I block in my calendar"
NEW_TOPIC = TopicFile(
    key="gift_vouchers",
    title="Gift vouchers",
    source="general",
    answer="Please ask our team whether gift vouchers are available; they will be glad to help.",
    examples=(
        "do you sell gift vouchers",
        "can I buy a gift card",
        "gift certificates?",
        "is it possible to buy a voucher for someone else",
        "can I give a session as a present",
        "do you do gift vouchers for dry needling",
        "a voucher for a friend",
        "can I buy my husband a voucher for a treatment",
    ),
)
NEW_TOPIC_QUESTION = "could I get my husband a voucher for his birthday"


def say(stack: Stack, text: str) -> list[str]:
    """The assistant's replies to ``text`` in a new conversation (REST channel)."""
    reply = requests.post(
        f"{stack.rasa}/webhooks/rest/webhook",
        json={"sender": uuid.uuid4().hex, "message": text},
        headers={"Authorization": f"Bearer {stack.env['REST_TOKEN']}"},
        timeout=30,
    )
    reply.raise_for_status()
    return [str(m.get("text")) for m in reply.json()]


def publish_and_time(stack: Stack, studio: Studio, what: str, question: str, answer: str) -> str:
    """Publish the drafts; seconds until ``question`` gets ``answer``, and the job's end."""
    before = answer in say(stack, question)
    start = time.monotonic()
    job_id = studio.request_publish(ACCOUNTS["publisher"][0], what)
    live = None
    while time.monotonic() - start < LIMIT:
        job = studio.job(job_id)
        if job is not None and job.status == "failed":
            print(job.detail)
            return f"| {what} | not published: {job.detail.splitlines()[0]} | | | |"
        if answer in say(stack, question):
            live = time.monotonic() - start
            break
        time.sleep(POLL)
    while time.monotonic() - start < LIMIT:  # the next change waits for this publish
        job = studio.job(job_id)
        if job is None or job.status in ("published", "failed"):
            break
        time.sleep(POLL)
    job = studio.job(job_id)
    if before:
        return f"| {what} | (the question had that answer before publishing) | | | |"
    finished = (
        (job.finished - job.created).total_seconds() if job and job.finished else float("nan")
    )
    shown = f"{live:.1f} s" if live is not None else f"not live within {LIMIT:.0f} s"
    trained = "yes" if job and job.trained else "no"
    return f"| {what} | {shown} | {TARGETS[what]:.0f} s | {finished:.1f} s | {trained} |"


def edit(studio: Studio, key: str, **changes: object) -> None:
    """Save a draft of topic ``key`` with ``changes``."""
    topic, version = studio.current(key)
    assert topic is not None
    result = studio.save_draft(TopicFile(**{**topic.__dict__, **changes}), version)
    if not result.saved:
        raise RuntimeError(f"the draft was not saved: {result}")


def train_live_model(tmp: Path, cache: Path) -> Path:
    """The unchanged project trained into ``tmp`` with the private cache ``cache``."""
    print("0. training the live model (filling the run's own training cache)...", flush=True)
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(cache), "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [str(BIN / "rasa"), "train", "--out", str(tmp), "--fixed-model-name", "live", "--quiet"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return tmp / "live.tar.gz"


def main() -> int:
    """Run the three changes and print the table."""
    settings = ClinicSettings(clinic_name="Bench clinic", phone="555 0100")
    with tempfile.TemporaryDirectory(prefix="bench-studio-") as folder:
        tmp = Path(folder)
        cache = tmp / "rasa-cache"
        live = train_live_model(tmp / "live", cache)
        with studio_stack(
            tmp / "stack", yaml.safe_dump(asdict(settings)), ACCOUNTS, live, cache
        ) as stack:
            rows = run_changes(stack)
    print()
    print("| change | live after publishing | target | the publish itself | trained |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        "\n2 cores; the Rasa server polls the model server every 2 s and loads a new model in "
        "the background; Rasa's training cache: the run's own, holding the live model's "
        "training only."
    )
    return 0


def run_changes(stack: Stack) -> list[str]:
    """The three changes, published one after the other; a table row each."""
    rows = []
    env = stack.env
    studio = Studio(
        stack.home / "data" / "topics",
        Path(env["CLINIC_DATA_DIR"]),
        f"sqlite:///{Path(env['CLINIC_DATA_DIR']) / 'staff.db'}",
    )
    question = "how long does a dry needling session take?"
    print("1. an answer's wording...", flush=True)
    edit(studio, "session_length", answer=ANSWER)
    rows.append(publish_and_time(stack, studio, "answer edit", question, ANSWER))
    print("2. a new example question...", flush=True)
    topic, _ = studio.current("session_length")
    assert topic is not None
    edit(studio, "session_length", examples=(*topic.examples, PHRASING))
    rows.append(publish_and_time(stack, studio, "new example question", PHRASING, ANSWER))
    print("3. a new topic...", flush=True)
    if not studio.save_draft(NEW_TOPIC, NEW).saved:
        raise RuntimeError("the new topic was not saved")
    rows.append(publish_and_time(stack, studio, "new topic", NEW_TOPIC_QUESTION, NEW_TOPIC.answer))
    return rows


if __name__ == "__main__":
    sys.exit(main())
