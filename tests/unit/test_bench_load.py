"""The pure helpers behind `make bench-load` (scripts/bench_load.py): no servers."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from typing import Any

import pytest

from scripts import bench_load
from scripts.bench_load import (
    BARE,
    CLUSTER,
    SINGLE,
    Client,
    Level,
    Process,
    Run,
    cpu_note,
    descendants,
    drive,
    evaluate,
    faq_questions,
    level_table,
    memory_table,
    parse_stat,
    parse_status,
    parse_visitors,
    percentile,
    replica_memory,
    targets_table,
)

GB = 1_000_000_000


def test_percentile_interpolates_between_ranks() -> None:
    values = [40.0, 10.0, 30.0, 20.0]  # any order
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_percentile_agrees_with_numpy() -> None:
    numpy = pytest.importorskip("numpy")
    values = [float(v) for v in (3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9)]
    for q in (50, 95, 99):
        assert percentile(values, q) == pytest.approx(float(numpy.percentile(values, q)))


def test_visitor_counts_are_parsed_and_checked() -> None:
    assert parse_visitors("1,10,50") == [1, 10, 50]
    assert parse_visitors(" 5 ") == [5]
    for bad in ("", "0", "1,1", "-2", "a"):
        with pytest.raises(ValueError):
            parse_visitors(bad)


def test_a_level_counts_replies_per_second() -> None:
    level = Level(visitors=2, seconds=4.0, latencies_ms=[100.0, 200.0, 300.0, 400.0])
    level.errors.update({"429": 2, "empty": 1})
    assert level.replied == 4
    assert level.rate == 1.0
    assert level.error_count == 3
    assert level.p(50) == 250.0
    table = level_table(Run(name=SINGLE, replicas=1, levels=[level]))
    assert "| 2 | 1.00 | 250 | 385 | 397 | 4 | 0% | 0 | 3 (429 2, empty 1) |" in table


def test_proc_files_are_parsed() -> None:
    status = "Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t4\n"
    assert parse_status(status) == (1024, 2048)
    assert parse_status("Name:\tkthreadd\n") == (0, 0)
    stat = "4242 (nginx: worker (1)) S 4241 4241 1 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1"
    assert parse_stat(stat) == (4242, "nginx: worker (1)", 4241, 280)


def test_descendants_walk_the_tree_from_its_root() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 10, 13: 12, 20: 1}
    assert descendants(10, parents) == [10, 11, 12, 13]
    assert descendants(99, parents) == [99]


def cluster_run(replicas: int, rasa_mb: float, actions_mb: float) -> Run:
    kb = 1_000_000 / 1024
    processes = [Process("cluster.sh", 1, 3000, 3000)]
    processes += [
        Process(f"rasa{n}", 10 + n, int(rasa_mb * kb), int(rasa_mb * kb), cpu_seconds=2.0)
        for n in range(1, replicas + 1)
    ]
    processes.append(Process("actions", 30, int(actions_mb * kb), int(actions_mb * kb)))
    processes.append(Process("nginx > nginx", 31, 5000, 5000))
    return Run(name=CLUSTER if replicas == 2 else SINGLE, replicas=replicas, processes=processes)


def test_each_replica_carries_its_share_of_the_action_server() -> None:
    shares = replica_memory(cluster_run(2, rasa_mb=1000, actions_mb=100))
    assert [label for label, _ in shares] == ["rasa1", "rasa2"]
    assert all(value == pytest.approx(1050e6, rel=1e-3) for _, value in shares)
    assert replica_memory(Run(name=BARE, replicas=0)) == []
    table = memory_table(cluster_run(1, rasa_mb=1000, actions_mb=100))
    assert "| rasa1 | 11 | 1000 | 1000 | 2.0 |" in table
    assert "| **total** |" in table


def level(visitors: int, rate: float, latency_ms: float, seconds: float = 10.0) -> Level:
    replied = round(rate * seconds)
    return Level(visitors, seconds, latencies_ms=[latency_ms] * replied, errors=Counter())


def test_targets_are_ratios_against_the_run_beside_them() -> None:
    bare = Run(name=BARE, replicas=0, levels=[level(1, 8, 100), level(10, 10, 900)])
    single = cluster_run(1, rasa_mb=1000, actions_mb=100)
    single.levels = [level(1, 6, 110), level(10, 12, 800)]
    cluster = cluster_run(2, rasa_mb=1300, actions_mb=100)
    cluster.levels = [level(1, 6, 110), level(50, 15, 1400)]
    targets = evaluate(bare, single, cluster)
    met = {t.what: t.met for t in targets}
    measured = {t.what: t.measured for t in targets}
    assert met["one replica's throughput / the bare bot's (peak msg/s)"] is True  # 12 / 10
    assert measured["one replica's throughput / the bare bot's (peak msg/s)"].startswith("1.20x")
    assert met["p50 at 1 visitor: one replica / the bare bot"] is True  # 1.1
    assert met["the 2-replica cluster's throughput / one replica's"] is False  # 1.25
    assert met["p95 at 50 visitors on the cluster"] is True
    assert met[f"memory per replica + its share of the action server ({SINGLE})"] is True
    assert met[f"memory per replica + its share of the action server ({CLUSTER})"] is False
    table = targets_table(targets)
    assert "| NO |" in table and "| yes |" in table


def test_targets_without_their_runs_are_not_applicable() -> None:
    single = Run(name=SINGLE, replicas=1, levels=[level(10, 12, 800)])
    targets = evaluate(None, single, None)
    assert [t.met for t in targets[:4]] == [None, None, None, None]
    assert all(t.measured == "n/a" for t in targets[:4])
    assert "| n/a |" in targets_table(targets)


def test_the_questions_are_the_development_sets_faq_questions() -> None:
    texts = faq_questions()
    assert len(texts) >= 20
    assert all(isinstance(t, str) and t.strip() for t in texts)


class FakeClient(Client):
    """Replies after 10 ms: every third message empty, the seventh refused (429)."""

    def __init__(self) -> None:
        self.opened = 0
        self.sent: list[tuple[str, str]] = []

    async def open(self, http: Any) -> str | None:
        self.opened += 1
        return f"c{self.opened}"

    async def say(self, http: Any, conversation: str, text: str) -> str:
        self.sent.append((conversation, text))
        await asyncio.sleep(0.01)
        n = len(self.sent)
        return "429" if n == 7 else ("empty" if n % 3 == 0 else "ok")


async def test_visitors_wait_for_each_reply_and_start_new_conversations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench_load, "ERROR_PAUSE", 0.05)
    client = FakeClient()
    level = await drive(client, visitors=2, seconds=0.4, warmup=0.05, turns=3, texts=["a", "b"])
    assert level.visitors == 2 and level.seconds == 0.4
    # closed loop: about 2 visitors x 400 ms / 10 ms, less the pause after the 429
    assert 30 <= level.replied + level.errors["429"] <= 90
    assert level.errors["429"] <= 1 and level.errors["empty"] >= 10
    assert all(latency >= 9.0 for latency in level.latencies_ms)
    # three messages per conversation, never more
    per_conversation = Counter(conversation for conversation, _ in client.sent)
    assert max(per_conversation.values()) == 3
    assert level.conversations >= 10
    # two texts: every reply in the window is to a text sent before
    assert level.repeat_share == 1.0


async def test_repeated_texts_are_counted_across_levels() -> None:
    texts = [f"question {n}" for n in range(1000)]
    sent_before: set[str] = set()
    first = await drive(FakeClient(), 1, 0.2, 0.0, 8, texts, sent_before)
    assert first.replied > 0 and first.repeats == 0  # all new
    again = await drive(FakeClient(), 1, 0.2, 0.0, 8, texts, sent_before)
    # the second level starts where the first did: its first texts were sent before
    assert again.repeats > 0
    assert 0 < again.repeat_share <= 1


def test_the_cpu_note_sets_what_was_used_against_what_the_cores_had() -> None:
    run = cluster_run(2, rasa_mb=1000, actions_mb=100)
    run.load_seconds, run.generator_cpu_seconds = 10.0, 1.5
    note = cpu_note(run, cores=2)
    assert note.startswith("Under load for 10 s (20 CPU s on 2 cores)")
    assert "used 4 CPU s (20%)" in note and "load generator 2 CPU s" in note
