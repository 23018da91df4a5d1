"""`make bench-load`: closed-loop load on the assistant, beside a bare `rasa init` bot.

N visitors at once each hold conversations of FAQ questions (the development set's, never a
test set's), sending the next question only after the answer. Three configurations are
measured one after the other in one run:

- a bare `rasa init` bot (REST channel, in-memory trackers, no action server), trained once
  and cached under build/bench/bare/ per Rasa version;
- one replica of `make cluster` (scripts/cluster.sh), driven over the widget channel through
  the nginx gateway, with PostgreSQL, Redis, the action server, the notifier and the site;
- the two-replica cluster, likewise.

Each gets a fresh PostgreSQL database and Redis databases flushed afterwards, free ports,
and the widget's rate limits raised for the run. Printed per configuration: msg/s, p50, p95
and p99 latency, errors, every process's memory and the time to ready; then the issue's
targets, speed as ratios against the bare bot run beside it (these machines are noisy):
figures, not pass/fail. No message text is printed or logged.

    python -m scripts.bench_load [--visitors 1,10,50] [--seconds 20] [--skip-bare]
        [--skip-single] [--skip-cluster]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from scripts.nlu_eval import DEV_SET, REPO_ROOT, load_examples

BIN = REPO_ROOT / ".venv" / "bin"
BENCH_DIR = REPO_ROOT / "build" / "bench"
MODEL = REPO_ROOT / "models" / "current.tar.gz"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
LOCK_REDIS_DB, LIMITS_REDIS_DB = 11, 10
# cluster.sh writes these into the widget's credentials (messages_per_minute,
# client_messages_per_minute): a load test from one address needs far more than a visitor
RATE_LIMIT_ENV = {
    "WIDGET_MESSAGES_PER_MINUTE": "1000000",
    "WIDGET_CLIENT_MESSAGES_PER_MINUTE": "1000000",
}
REQUEST_TIMEOUT = 30.0  # seconds, per message
ERROR_PAUSE = 1.0  # seconds a visitor waits after an error (a 429 above all)
START_TIMEOUT = 300.0  # seconds for a configuration to answer its first message
STOP_TIMEOUT = 60.0

BARE = "bare rasa init bot"
SINGLE = "one replica"
CLUSTER = "2-replica cluster"
MB = 1_000_000  # memory is printed in MB of 10^6 bytes; the bounds are in GB of 10^9
MEMORY_BOUND = 1.3e9  # bytes per replica plus its share of the action server
P95_BOUND_MS = 1500.0


# ----------------------------------------------------------------------------------------
# Pure helpers (no side effects; unit-tested in tests/unit/test_bench_load.py)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100) by linear interpolation between closest ranks (as
    numpy's default); NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def parse_visitors(text: str) -> list[int]:
    """``"1,10,50"`` -> [1, 10, 50]: positive, distinct, in the order given."""
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or any(n < 1 for n in counts) or len(set(counts)) != len(counts):
        raise ValueError("visitors: distinct positive numbers separated by commas, e.g. 1,10,50")
    return counts


@dataclass
class Level:
    """What one number of concurrent visitors got during the measured window."""

    visitors: int
    seconds: float
    # every message the server replied to (HTTP 200), an empty reply included: it did the
    # work (the bare bot's stories end in silence at times)
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # "429", "empty", "timeout", ...
    conversations: int = 0
    # replies to a text this configuration had been sent before (a replica's parse cache
    # answers those without the NLU pipeline): the share shows how much a cache could help
    repeats: int = 0

    @property
    def repeat_share(self) -> float:
        """The share of replies whose text had been sent before in the run (0 to 1)."""
        return self.repeats / self.replied if self.replied else math.nan

    @property
    def replied(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        """Messages replied to per second."""
        return self.replied / self.seconds if self.seconds > 0 else math.nan

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


@dataclass(frozen=True)
class Process:
    """One process of a configuration: its memory (resident set, after the load and at its
    peak) and the CPU time it used while under load."""

    label: str
    pid: int
    rss_kb: int
    peak_kb: int
    cpu_seconds: float = 0.0


@dataclass
class Run:
    """One configuration's measurements."""

    name: str
    replicas: int  # 0: the bare bot
    levels: list[Level] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    ready_seconds: float | None = None
    load_seconds: float = 0.0  # wall time under load, warm-ups included
    generator_cpu_seconds: float = 0.0  # the load generator's own CPU time meanwhile
    notes: list[str] = field(default_factory=list)
    failure: str | None = None

    def level(self, visitors: int) -> Level | None:
        return next((lv for lv in self.levels if lv.visitors == visitors), None)

    def peak_rate(self) -> tuple[float, int] | None:
        """The highest msg/s over the visitor counts, and at how many visitors."""
        rated = [(lv.rate, lv.visitors) for lv in self.levels if lv.replied]
        return max(rated) if rated else None


def parse_status(text: str) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB from the text of /proc/<pid>/status (0 for a kernel thread or
    a zombie, which have none)."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    rss = fields.get("VmRSS", 0)
    return rss, max(rss, fields.get("VmHWM", 0))


def parse_stat(text: str) -> tuple[int, str, int, int]:
    """(pid, command name, parent pid, CPU time in clock ticks: user + system) from the
    text of /proc/<pid>/stat (the name may hold spaces and parentheses: it runs to the last
    ')')."""
    head, _, tail = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    fields = tail.split()  # from field 3 (state) on: ppid is field 4, utime 14, stime 15
    return int(pid), comm, int(fields[1]), int(fields[11]) + int(fields[12])


def descendants(root: int, parents: dict[int, int]) -> list[int]:
    """``root`` and every process below it, parents before children, given pid -> ppid."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        found.append(pid)
        queue.extend(sorted(children.get(pid, [])))
    return found


def replica_memory(run: Run) -> list[tuple[str, float]]:
    """Each replica's peak memory plus its share of the action server's, in bytes."""
    peaks = {p.label: p.peak_kb * 1024 for p in run.processes}
    replicas = [label for label in peaks if label.startswith("rasa") and label[4:].isdigit()]
    if not replicas:
        return []
    share = peaks.get("actions", 0) / len(replicas)
    return [(label, peaks[label] + share) for label in sorted(replicas)]


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f}"


def _errors(level: Level) -> str:
    if not level.errors:
        return "0"
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(level.errors.items()))
    return f"{level.error_count} ({detail})"


def level_table(run: Run) -> str:
    """msg/s, latency percentiles and errors, one row per number of visitors."""
    lines = [
        "| visitors | msg/s | p50 ms | p95 ms | p99 ms | replies | repeated texts "
        "| new conversations | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lv in run.levels:
        lines.append(
            f"| {lv.visitors} | {lv.rate:.2f} | {_ms(lv.p(50))} | {_ms(lv.p(95))} "
            f"| {_ms(lv.p(99))} | {lv.replied} | {lv.repeat_share:.0%} | {lv.conversations} "
            f"| {_errors(lv)} |"
        )
    return "\n".join(lines)


def memory_table(run: Run) -> str:
    """Every process's resident memory after the load and at its peak, its CPU time under
    load, and the sums."""
    lines = [
        "| process | pid | RSS MB | peak RSS MB | CPU s under load |",
        "|---|---|---|---|---|",
    ]
    for p in run.processes:
        lines.append(
            f"| {p.label} | {p.pid} | {p.rss_kb * 1024 / MB:.0f} | {p.peak_kb * 1024 / MB:.0f} "
            f"| {p.cpu_seconds:.1f} |"
        )
    lines.append(
        f"| **total** | | {sum(p.rss_kb for p in run.processes) * 1024 / MB:.0f} "
        f"| {sum(p.peak_kb for p in run.processes) * 1024 / MB:.0f} "
        f"| {sum(p.cpu_seconds for p in run.processes):.1f} |"
    )
    return "\n".join(lines)


def cpu_note(run: Run, cores: int) -> str:
    """How much of the machine's CPU the configuration and the load generator used."""
    available = run.load_seconds * cores
    used = sum(p.cpu_seconds for p in run.processes)
    share = f" ({used / available:.0%})" if available > 0 else ""
    return (
        f"Under load for {run.load_seconds:.0f} s ({available:.0f} CPU s on {cores} cores): "
        f"the configuration's processes used {used:.0f} CPU s{share}, the load generator "
        f"{run.generator_cpu_seconds:.0f} CPU s"
    )


@dataclass(frozen=True)
class Target:
    """One of the issue's targets: what was measured, against which bound, met or not
    (None when a configuration it needs was not measured)."""

    what: str
    measured: str
    bound: str
    met: bool | None


def _ratio(mine: float, theirs: float) -> float:
    return mine / theirs if theirs > 0 and not math.isnan(theirs) else math.nan


def _target(what: str, value: float, op: str, bound: float, shown: str, unit: str) -> Target:
    if math.isnan(value):
        return Target(what, "n/a", f"{op} {bound:g}{unit}", None)
    met = value >= bound if op == ">=" else value <= bound
    return Target(what, shown, f"{op} {bound:g}{unit}", met)


def evaluate(bare: Run | None, single: Run | None, cluster: Run | None) -> list[Target]:
    """The issue's targets on 2 cores, speed as ratios against the run beside it."""

    def peak(run: Run | None) -> tuple[float, int]:
        found = run.peak_rate() if run else None
        return found if found else (math.nan, 0)

    def p50_of_one(run: Run | None) -> float:
        level = run.level(1) if run else None
        return level.p(50) if level else math.nan

    targets = []
    (mine, at), (theirs, at_bare) = peak(single), peak(bare)
    ratio = _ratio(mine, theirs)
    targets.append(
        _target(
            "one replica's throughput / the bare bot's (peak msg/s)",
            ratio,
            ">=",
            1.0,
            f"{ratio:.2f}x ({mine:.2f} at {at} / {theirs:.2f} at {at_bare} visitors)",
            "x",
        )
    )
    mine_p50, theirs_p50 = p50_of_one(single), p50_of_one(bare)
    ratio = _ratio(mine_p50, theirs_p50)
    targets.append(
        _target(
            "p50 at 1 visitor: one replica / the bare bot",
            ratio,
            "<=",
            1.2,
            f"{ratio:.2f}x ({mine_p50:.0f} ms / {theirs_p50:.0f} ms)",
            "x",
        )
    )
    (two, at_two) = peak(cluster)
    ratio = _ratio(two, mine)
    targets.append(
        _target(
            "the 2-replica cluster's throughput / one replica's",
            ratio,
            ">=",
            1.5,
            f"{ratio:.2f}x ({two:.2f} at {at_two} / {mine:.2f} at {at} visitors)",
            "x",
        )
    )
    level = cluster.level(50) if cluster else None
    p95 = level.p(95) if level else math.nan
    targets.append(
        _target(
            "p95 at 50 visitors on the cluster",
            p95,
            "<=",
            P95_BOUND_MS,
            f"{p95:.0f} ms",
            " ms",
        )
    )
    for run in (single, cluster):
        if run is None:
            continue
        per_replica = replica_memory(run)
        worst = max((b for _, b in per_replica), default=math.nan)
        targets.append(
            _target(
                f"memory per replica + its share of the action server ({run.name})",
                worst / 1e9,
                "<=",
                MEMORY_BOUND / 1e9,
                f"{worst / 1e9:.2f} GB (worst of {len(per_replica)})",
                " GB",
            )
        )
    return targets


def targets_table(targets: list[Target]) -> str:
    """The targets, met or not."""
    lines = ["| target | measured | bound | met |", "|---|---|---|---|"]
    for t in targets:
        met = "n/a" if t.met is None else ("yes" if t.met else "NO")
        lines.append(f"| {t.what} | {t.measured} | {t.bound} | {met} |")
    return "\n".join(lines)


def faq_questions(path: Path = DEV_SET) -> list[str]:
    """The FAQ questions of a development set (never the test set)."""
    return [e.text for e in load_examples(path) if e.label.startswith("faq/")]


# ----------------------------------------------------------------------------------------
# The load generator


class Client:
    """How a configuration is talked to: open a conversation, send one message."""

    async def open(self, http: aiohttp.ClientSession) -> str | None:
        raise NotImplementedError

    async def say(self, http: aiohttp.ClientSession, conversation: str, text: str) -> str:
        """The outcome: ``ok``, ``empty`` (a reply with no message), or what went wrong (an
        HTTP status, ``timeout``, ``connection``)."""
        raise NotImplementedError


async def _post(
    http: aiohttp.ClientSession, url: str, body: dict[str, str], headers: dict[str, str]
) -> tuple[str, Any]:
    """("ok", the JSON) or (what went wrong, None)."""
    try:
        async with http.post(url, json=body, headers=headers) as reply:
            if reply.status != 200:
                await reply.read()
                return str(reply.status), None
            return "ok", await reply.json(content_type=None)
    except asyncio.TimeoutError:
        return "timeout", None
    except aiohttp.ClientError:
        return "connection", None
    except ValueError:
        return "bad JSON", None


class RestClient(Client):
    """Rasa's REST channel (the bare bot): any sender id is a conversation."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}/webhooks/rest/webhook"

    async def open(self, http: aiohttp.ClientSession) -> str | None:
        return uuid.uuid4().hex

    async def say(self, http: aiohttp.ClientSession, conversation: str, text: str) -> str:
        outcome, answer = await _post(http, self.url, {"sender": conversation, "message": text}, {})
        if outcome == "ok" and not (isinstance(answer, list) and answer):
            return "empty"
        return outcome


class WidgetClient(Client):
    """Our widget channel through the gateway: a signed session token per conversation."""

    def __init__(self, gateway: str) -> None:
        self.base = f"{gateway}/webhooks/widget"
        self.headers = {"Origin": gateway}

    async def open(self, http: aiohttp.ClientSession) -> str | None:
        outcome, answer = await _post(http, f"{self.base}/session", {}, self.headers)
        token = answer.get("token") if isinstance(answer, dict) else None
        return token if outcome == "ok" and isinstance(token, str) else None

    async def say(self, http: aiohttp.ClientSession, conversation: str, text: str) -> str:
        body = {"token": conversation, "text": text}
        outcome, answer = await _post(http, f"{self.base}/message", body, self.headers)
        if outcome == "ok" and not (isinstance(answer, dict) and answer.get("messages")):
            return "empty"
        return outcome


async def _visitor(
    client: Client,
    http: aiohttp.ClientSession,
    texts: list[str],
    first: int,
    window: tuple[float, float],
    turns: int,
    level: Level,
    sent_before: set[str],
) -> None:
    """One visitor, closed loop: a conversation of ``turns`` questions, then a new one,
    until the window ends. Messages replied to within the window count; after a failure
    (not an empty reply) the visitor pauses. ``sent_before`` holds the texts the
    configuration was sent earlier in the run (shared by every visitor and level)."""
    clock = asyncio.get_running_loop().time
    start, end = window
    index, conversation, said = first, None, 0
    while clock() < end:
        if conversation is None or said >= turns:
            conversation, said = await client.open(http), 0
            if conversation is None:
                if start <= clock() <= end:
                    level.errors["session"] += 1
                await asyncio.sleep(ERROR_PAUSE)
                continue
            if start <= clock() <= end:
                level.conversations += 1
        text = texts[index % len(texts)]
        index += 1
        repeated = text in sent_before
        sent_before.add(text)
        sent = clock()
        outcome = await client.say(http, conversation, text)
        done = clock()
        said += 1
        if start <= done <= end:
            if outcome in ("ok", "empty"):
                level.latencies_ms.append((done - sent) * 1000)
                level.repeats += repeated
            if outcome != "ok":
                level.errors[outcome] += 1
        if outcome not in ("ok", "empty"):
            await asyncio.sleep(ERROR_PAUSE)


async def drive(
    client: Client,
    visitors: int,
    seconds: float,
    warmup: float,
    turns: int,
    texts: list[str],
    sent_before: set[str] | None = None,
) -> Level:
    """``visitors`` at once for ``warmup`` + ``seconds``; the last ``seconds`` measured.
    ``sent_before``: the texts sent earlier in the run (updated)."""
    level = Level(visitors=visitors, seconds=seconds)
    sent_before = set() if sent_before is None else sent_before
    now = asyncio.get_running_loop().time()
    window = (now + warmup, now + warmup + seconds)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        step = max(1, len(texts) // visitors)
        await asyncio.gather(
            *(
                _visitor(client, http, texts, n * step, window, turns, level, sent_before)
                for n in range(visitors)
            )
        )
    return level


async def first_answer(
    client: Client,
    probes: list[str],
    alive: Callable[[], bool],
    started: float,
    text: str,
) -> float:
    """Seconds from ``started`` (time.monotonic) to the first answered message, once every
    probe URL answers 200; RuntimeError if the processes end or START_TIMEOUT passes."""
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        waiting = list(probes)
        while time.monotonic() - started < START_TIMEOUT:
            if not alive():
                raise RuntimeError("a process ended before the configuration was ready")
            for url in list(waiting):
                try:
                    async with http.get(url) as reply:
                        if reply.status == 200:
                            waiting.remove(url)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
            if not waiting:
                conversation = await client.open(http)
                if conversation and await client.say(http, conversation, text) == "ok":
                    return time.monotonic() - started
            await asyncio.sleep(0.25)
    raise RuntimeError(f"no answer within {START_TIMEOUT:.0f} s")


async def measure(client: Client, run: Run, args: argparse.Namespace, texts: list[str]) -> None:
    """Every visitor count in turn, into ``run``."""
    sent_before = {texts[0]}  # first_answer sent it
    for visitors in args.visitors:
        level = await drive(
            client, visitors, args.seconds, args.warmup, args.turns, texts, sent_before
        )
        run.levels.append(level)
        print(
            f"  {visitors} visitors: {level.rate:.2f} msg/s, p50 {_ms(level.p(50))} ms, "
            f"errors {level.error_count}",
            flush=True,
        )
        await asyncio.sleep(1.0)


# ----------------------------------------------------------------------------------------
# Processes and their memory


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def process_table() -> dict[int, tuple[str, int, int]]:
    """pid -> (command name, parent pid, CPU ticks), from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            text = _read(f"/proc/{entry}/stat")
            if text:
                pid, comm, ppid, ticks = parse_stat(text)
                table[pid] = (comm, ppid, ticks)
    return table


def cpu_ticks(root: int) -> dict[int, int]:
    """pid -> CPU ticks used so far, for ``root`` and every process below it."""
    table = process_table()
    tree = descendants(root, {pid: row[1] for pid, row in table.items()})
    return {pid: table[pid][2] for pid in tree if pid in table}


def memory_of(root: int, names: dict[int, str], ticks_before: dict[int, int]) -> list[Process]:
    """Every process from ``root`` down, labelled by ``names`` (pid -> label) where named,
    else by its parent's label and its command name; CPU time since ``ticks_before``."""
    table = process_table()
    tick = os.sysconf("SC_CLK_TCK")
    labels: dict[int, str] = {}
    found = []
    for pid in descendants(root, {p: row[1] for p, row in table.items()}):
        comm, ppid, ticks = table.get(pid, ("?", 0, 0))
        parent = labels.get(ppid)
        labels[pid] = names.get(pid) or (f"{parent} > {comm}" if parent else comm)
        status = _read(f"/proc/{pid}/status")
        if status is None:
            continue
        rss, peak = parse_status(status)
        cpu = (ticks - ticks_before.get(pid, 0)) / tick
        found.append(Process(labels[pid], pid, rss, peak, cpu))
    return found


def load_and_account(
    client: Client,
    run: Run,
    args: argparse.Namespace,
    texts: list[str],
    root: int,
    names: Callable[[], dict[int, str]],
) -> None:
    """Every visitor count in turn, then every process's memory and CPU time, into ``run``."""
    before, started, generator = cpu_ticks(root), time.monotonic(), time.process_time()
    asyncio.run(measure(client, run, args, texts))
    run.load_seconds = time.monotonic() - started
    run.generator_cpu_seconds = time.process_time() - generator
    run.processes = memory_of(root, names(), before)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return text[-3000:]


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    for name, value in {
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONHASHSEED": "0",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        # the studio's worker computes gate outcomes in the background: not while measuring
        "STUDIO_WORKER": "0",
    }.items():
        env.setdefault(name, value)
    for name in ("RASA_ENABLE_API", "REST_TOKEN", "CLINIC_SETTINGS"):
        env.pop(name, None)
    return env


# ----------------------------------------------------------------------------------------
# (a) the bare `rasa init` bot


def rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def bare_project() -> tuple[Path, float, bool]:
    """The bare bot's project with its trained model (trained now, or cached under
    build/bench/bare/ for this Rasa version): its folder, training seconds, cached or not."""
    folder = BENCH_DIR / "bare" / f"rasa-{rasa_version()}"
    seconds_file = folder / "train-seconds"
    if seconds_file.exists() and any(folder.glob("models/*.tar.gz")):
        return folder, float(seconds_file.read_text(encoding="utf-8")), True
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".init-", dir=folder.parent))
    try:
        started = time.monotonic()
        subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(scratch)],
            cwd=scratch,
            env=child_env({}),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        if not any(scratch.glob("models/*.tar.gz")):
            raise RuntimeError("`rasa init` trained no model")
        shutil.rmtree(scratch / ".rasa", ignore_errors=True)  # the training cache
        (scratch / "train-seconds").write_text(f"{seconds:.1f}\n", encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder, seconds, False


def run_bare(args: argparse.Namespace, texts: list[str], work: Path) -> Run:
    run = Run(name=BARE, replicas=0)
    print(f"\n== {BARE} ==", flush=True)
    project, seconds, cached = bare_project()
    run.notes.append(
        f"`rasa init` training: {seconds:.0f} s"
        + (f" (cached in {project.relative_to(REPO_ROOT)})" if cached else " (trained now)")
    )
    port = free_port()
    credentials = work / "bare-credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    log = work / "bare.log"
    started = time.monotonic()
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "--model",
                "models",
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
                "--credentials",
                str(credentials),
                "--endpoints",
                "endpoints.yml",
            ],
            cwd=project,
            env=child_env({}),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        client = RestClient(base)
        run.ready_seconds = asyncio.run(
            first_answer(client, [f"{base}/"], lambda: process.poll() is None, started, texts[0])
        )
        print(f"  ready in {run.ready_seconds:.1f} s", flush=True)
        load_and_account(client, run, args, texts, process.pid, lambda: {process.pid: "rasa run"})
    except RuntimeError as error:
        run.failure = f"{error}\n{_tail(log)}"
    finally:
        stop(process)
    return run


# ----------------------------------------------------------------------------------------
# (b), (c) scripts/cluster.sh with one or two replicas


def _admin_engine() -> Any:
    import sqlalchemy as sa

    return sa.create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")


def drop_database(name: str) -> None:
    import sqlalchemy as sa

    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def flush_redis() -> None:
    import redis

    for db in (LOCK_REDIS_DB, LIMITS_REDIS_DB):
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_timeout=5).flushdb()


def publish_model(models_dir: Path) -> None:
    """models/current.tar.gz for the configuration's model server (readable by nginx)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    models_dir.chmod(0o755)
    partial = models_dir / ".current.tar.gz"
    shutil.copyfile(MODEL, partial)
    partial.chmod(0o644)
    partial.replace(models_dir / "current.tar.gz")


def limits_raised(credentials: Path) -> bool:
    """Whether cluster.sh wrote raised rate limits into the widget's credentials."""
    import yaml

    if not credentials.exists():
        return False
    settings = yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}
    widget = settings.get("channels.widget.WidgetInput") or {}
    wanted = {
        "messages_per_minute": int(RATE_LIMIT_ENV["WIDGET_MESSAGES_PER_MINUTE"]),
        "client_messages_per_minute": int(RATE_LIMIT_ENV["WIDGET_CLIENT_MESSAGES_PER_MINUTE"]),
    }
    return all(int(widget.get(key) or 0) >= value for key, value in wanted.items())


def run_cluster(replicas: int, args: argparse.Namespace, texts: list[str], work: Path) -> Run:
    import sqlalchemy as sa

    name = SINGLE if replicas == 1 else CLUSTER
    run = Run(name=name, replicas=replicas)
    print(f"\n== {name} ==", flush=True)
    folder = work / f"cluster-{replicas}"
    folder.mkdir()
    models_dir = BENCH_DIR / "models"
    publish_model(models_dir)
    database = f"bench_load_{uuid.uuid4().hex[:10]}"
    url = sa.engine.make_url(POSTGRES_URL).set(database=database).render_as_string(False)
    gateway_port, model_port, web_port, actions_port = (free_port() for _ in range(4))
    replica_ports = [free_port() for _ in range(replicas)]
    env = child_env(
        {
            "CLUSTER_DIR": str(folder),
            "GATEWAY_PORT": str(gateway_port),
            "MODEL_SERVER_PORT": str(model_port),
            "WEB_PORT": str(web_port),
            "ACTIONS_PORT": str(actions_port),
            "REPLICA_PORTS": " ".join(map(str, replica_ports)),
            "MODELS_DIR": str(models_dir),
            "CONVERSATIONS_DATABASE_URL": url,
            "BOOKING_DATABASE_URL": url,
            "REDIS_HOST": REDIS_HOST,
            "REDIS_PORT": str(REDIS_PORT),
            "LOCK_REDIS_DB": str(LOCK_REDIS_DB),
            "RATE_LIMIT_REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{LIMITS_REDIS_DB}",
            "WIDGET_SECRET": secrets.token_urlsafe(36),
            "NOTIFY_CHANNELS": "",
            **RATE_LIMIT_ENV,
        }
    )
    env.pop("PUBLIC_URL", None)
    gateway = f"http://127.0.0.1:{gateway_port}"
    log = folder / "cluster.log"
    flush_redis()
    started = time.monotonic()
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "cluster.sh")],
            cwd=REPO_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        client = WidgetClient(gateway)
        probes = [f"http://127.0.0.1:{port}/webhooks/widget/" for port in replica_ports]
        probes.append(f"{gateway}/")
        run.ready_seconds = asyncio.run(
            first_answer(client, probes, lambda: process.poll() is None, started, texts[0])
        )
        print(f"  ready in {run.ready_seconds:.1f} s", flush=True)
        if not limits_raised(folder / "credentials.yml"):
            run.notes.append(
                "cluster.sh does not honour "
                + " and ".join(RATE_LIMIT_ENV)
                + ": the widget's default rate limits (20/min per conversation, 60/min per "
                "client address) held, and its 429s count as errors"
            )
            print(f"  note: {run.notes[-1]}", flush=True)

        def names() -> dict[int, str]:
            named = {process.pid: "cluster.sh"}
            for pid_file in (folder / "pids").glob("*.pid"):
                named[int(pid_file.read_text(encoding="utf-8"))] = pid_file.stem
            return named

        load_and_account(client, run, args, texts, process.pid, names)
    except RuntimeError as error:
        run.failure = f"{error}\n{_tail(log)}"
    finally:
        stop(process)
        try:
            flush_redis()
        finally:
            drop_database(database)
    return run


# ----------------------------------------------------------------------------------------


def report(run: Run) -> str:
    lines = [f"\n### {run.name}\n"]
    if run.ready_seconds is not None:
        lines.append(f"Time to ready (start to the first answer): {run.ready_seconds:.1f} s.")
    lines.extend(f"{note}." for note in run.notes)
    if run.failure:
        lines.append(f"FAILED: {run.failure}")
    if run.levels:
        lines.append("\n" + level_table(run))
    if run.processes:
        lines.append("\n" + memory_table(run))
        lines.append("\n" + cpu_note(run, os.cpu_count() or 1) + ".")
        per_replica = replica_memory(run)
        if per_replica:
            lines.append(
                "\nPer replica, peak plus its share of the action server: "
                + ", ".join(f"{label} {value / MB:.0f} MB" for label, value in per_replica)
                + "."
            )
    return "\n".join(lines)


def machine_note(load_before: tuple[float, float, float]) -> str:
    load_after = os.getloadavg()
    return (
        f"Machine: {os.cpu_count()} cores; load average {load_before[0]:.2f} at the start, "
        f"{load_after[0]:.2f} at the end (1 min); the load generator runs on the same cores. "
        "PostgreSQL and Redis are shared services, not counted in the memory."
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=parse_visitors, default=[1, 10, 50], help="e.g. 1,10,50")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured per count")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured, per count")
    parser.add_argument("--turns", type=int, default=8, help="questions per conversation")
    parser.add_argument("--skip-bare", action="store_true", help="no bare `rasa init` bot")
    parser.add_argument("--skip-single", action="store_true", help="no one-replica run")
    parser.add_argument("--skip-cluster", action="store_true", help="no 2-replica run")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.turns < 1:
        parser.error("--seconds must be positive, --warmup not negative, --turns at least 1")

    texts = faq_questions()
    random.Random(0).shuffle(texts)
    load_before = os.getloadavg()
    print(
        f"Closed loop: {', '.join(map(str, args.visitors))} visitors, {args.seconds:g} s each "
        f"after {args.warmup:g} s of warm-up, {args.turns} FAQ questions per conversation "
        f"({len(texts)} development-set questions).",
        flush=True,
    )
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        if not args.skip_bare:
            runs[BARE] = run_bare(args, texts, work)
        if not args.skip_single:
            runs[SINGLE] = run_cluster(1, args, texts, work)
        if not args.skip_cluster:
            runs[CLUSTER] = run_cluster(2, args, texts, work)
    for run in runs.values():
        print(report(run))
    targets = evaluate(runs.get(BARE), runs.get(SINGLE), runs.get(CLUSTER))
    print("\n### Targets (figures, not asserted)\n\n" + targets_table(targets))
    print("\n" + machine_note(load_before))
    return 1 if any(run.failure for run in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
