"""One file per FAQ topic (data/topics/<key>.yml), and everything derived from them.

A topic file holds all there is to know about one FAQ topic: its answer, the example
questions that teach the assistant to recognise it, the button title offered when the
assistant asks which topic was meant, its source (``seed``: the clinic's article;
``general``: common knowledge, for clinic review; ``clinic``: facts from the clinic's
settings), the clinic settings its answer's placeholders name, and who last reviewed it.
Staff edit these files (the studio writes them); they read well in a pull request.

Derived from them by ``python -m clinic_office.topic_files build`` (``make topics``):

- ``data/faq.yml``: the retrieval intent's training examples (``faq/<key>``);
- the ``utter_faq/<key>`` responses in ``domain.yml``, between two marker lines;
- new topics appended to the contract, ``docs/faq-topics.yml`` (existing entries are kept).

``python -m clinic_office.topic_files check`` (part of ``make validate``) reports, in plain
words, every problem in the files and every derived file that is out of date; warns of an
example that reads like another topic's; and checks the labels (never the messages) of the
evaluation sets in ``tests/nlu/``: each ``faq/<key>`` must be a topic, each topic asked
about. The running assistant reads answers from the topic files themselves
(``clinic_office.topics``), so an answer's wording changes without training. Pure module:
no Rasa import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import string
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "SOURCES",
    "Problem",
    "TopicFile",
    "build_project",
    "check_project",
    "evaluation_problems",
    "load_topic_dir",
    "parse_topic",
    "render_domain_block",
    "render_nlu",
    "render_topic",
    "replace_domain_block",
    "similar_examples",
    "similar_problems",
]

SOURCES = ("seed", "general", "clinic")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
MAX_TITLE = 32
MIN_EXAMPLES = 5
MAX_ANSWER = 1500
MAX_EXAMPLE = 300
DOMAIN_BEGIN = (
    "  # >>> FAQ answers: written by `make topics` from data/topics/<key>.yml. Edit those."
)
DOMAIN_END = "  # <<< end of the FAQ answers written by `make topics`."
NLU_HEADER = (
    "# Written by `make topics` from data/topics/<key>.yml: edit those files (or use the\n"
    "# staff studio), not this one.\n"
)
TOPIC_HEADER = (
    "# One FAQ topic. Staff edit it in the studio (/staff) or here; `make topics` writes the\n"
    "# training data and the domain's answer from it. source: seed = the clinic's article,\n"
    "# general = common knowledge (needs clinic review), clinic = the clinic's settings.\n"
)
# What a clinic answer's placeholders may name: clinic_office.clinic_settings.ClinicSettings
CLINIC_FACTS = (
    "clinic_name",
    "opening_hours",
    "address",
    "directions",
    "phone",
    "email",
    "prices",
    "insurance",
    "booking_url",
)
_FIELDS = ("key", "title", "source", "answer", "facts", "examples", "reviewed_by", "reviewed_on")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, in plain words; ``warning`` problems do not stop a build."""

    where: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        return f"{self.where}: {kind}: {self.message}"


@dataclass(frozen=True)
class TopicFile:
    """One FAQ topic, as its file says."""

    key: str
    title: str
    source: str
    answer: str
    examples: tuple[str, ...]
    # clinic topics: the settings the answer's placeholders name, with the words that say
    # which fact is missing when one is not set ("opening hours")
    facts: Mapping[str, str] = field(default_factory=dict)
    reviewed_by: str = ""
    reviewed_on: str = ""

    def placeholders(self) -> list[str]:
        """The ``{name}`` placeholders of the answer, in order."""
        return [name for _, name, _, _ in string.Formatter().parse(self.answer) if name]


def _text(data: Mapping[str, Any], name: str, problems: list[Problem], where: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.append(Problem(where, f"`{name}` must be text"))
        return ""
    return str(value).strip()


def parse_topic(text: str, where: str = "topic") -> tuple[TopicFile | None, list[Problem]]:
    """The topic a file's text describes, and the problems found in it (plain words)."""
    problems: list[Problem] = []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" near line {mark.line + 1}" if mark is not None else ""
        return None, [Problem(where, f"this is not readable YAML{line}: check the indentation")]
    if not isinstance(data, dict):
        return None, [Problem(where, "the file must be a list of `name: value` lines")]
    unknown = sorted(str(k) for k in data if k not in _FIELDS)
    if unknown:
        problems.append(Problem(where, f"unknown fields {', '.join(unknown)}"))
    key = _text(data, "key", problems, where)
    title = _text(data, "title", problems, where)
    source = _text(data, "source", problems, where)
    answer = " ".join(_text(data, "answer", problems, where).split())
    raw_examples = data.get("examples") or []
    if not isinstance(raw_examples, list):
        problems.append(Problem(where, "`examples` must be a list of questions"))
        raw_examples = []
    examples: list[str] = []
    for index, example in enumerate(raw_examples, 1):
        if not isinstance(example, str | int | float) or isinstance(example, bool):
            problems.append(Problem(where, f"example {index} must be text"))
            continue
        examples.append(" ".join(str(example).split()))
    raw_facts = data.get("facts") or {}
    facts: dict[str, str] = {}
    if not isinstance(raw_facts, dict):
        problems.append(Problem(where, "`facts` must be `setting: words` lines"))
    else:
        facts = {str(k): " ".join(str(v or "").split()) for k, v in raw_facts.items()}
    topic = TopicFile(
        key=key,
        title=" ".join(title.split()),
        source=source,
        answer=answer,
        examples=tuple(examples),
        facts=facts,
        reviewed_by=_text(data, "reviewed_by", problems, where),
        reviewed_on=_text(data, "reviewed_on", problems, where),
    )
    problems.extend(topic_problems(topic, where))
    return topic, problems


def topic_problems(topic: TopicFile, where: str) -> list[Problem]:
    """What is wrong with one topic on its own (plain words)."""
    problems: list[Problem] = []
    if not KEY_PATTERN.match(topic.key):
        problems.append(
            Problem(where, "`key` must be 2 to 50 lower-case letters, digits or _, letter first")
        )
    if not topic.title:
        problems.append(Problem(where, "`title` (the button text) is missing"))
    elif len(topic.title) > MAX_TITLE:
        problems.append(Problem(where, f"`title` is longer than {MAX_TITLE} characters"))
    if topic.source not in SOURCES:
        problems.append(Problem(where, f"`source` must be one of {', '.join(SOURCES)}"))
    if not topic.answer:
        problems.append(Problem(where, "`answer` is empty"))
    elif len(topic.answer) > MAX_ANSWER:
        problems.append(Problem(where, f"`answer` is longer than {MAX_ANSWER} characters"))
    try:
        names = topic.placeholders()
    except ValueError:
        names = []
        problems.append(
            Problem(where, "the answer has a { or } that is not a {setting} placeholder")
        )
    if topic.source == "clinic":
        if not topic.facts:
            problems.append(Problem(where, "a clinic topic must name its settings under `facts`"))
        for fact, words in topic.facts.items():
            if fact not in CLINIC_FACTS:
                problems.append(
                    Problem(where, f"`{fact}` is not a clinic setting ({', '.join(CLINIC_FACTS)})")
                )
            if not words:
                problems.append(
                    Problem(where, f"say in words what `{fact}` is, for when it's unset")
                )
        for name in names:
            if name not in topic.facts:
                problems.append(
                    Problem(where, f"the answer uses {{{name}}}, which `facts` does not declare")
                )
    else:
        if topic.facts:
            problems.append(Problem(where, "only clinic topics have `facts`"))
        if names:
            problems.append(
                Problem(where, "only clinic topics may have {placeholders} in their answer")
            )
    if len(topic.examples) < MIN_EXAMPLES:
        problems.append(
            Problem(
                where, f"give at least {MIN_EXAMPLES} example questions ({len(topic.examples)})"
            )
        )
    seen: set[str] = set()
    for example in topic.examples:
        if not example:
            problems.append(Problem(where, "an example question is empty"))
        elif len(example) > MAX_EXAMPLE:
            problems.append(Problem(where, f"an example is longer than {MAX_EXAMPLE} characters"))
        folded = fold(example)
        if folded in seen and folded:
            problems.append(Problem(where, f"the example {example!r} is there twice", True))
        seen.add(folded)
    if topic.reviewed_on:
        try:
            dt.date.fromisoformat(topic.reviewed_on)
        except ValueError:
            problems.append(Problem(where, "`reviewed_on` must be a date like 2026-12-02"))
    return problems


def fold(text: str) -> str:
    """A question reduced to its words, to compare examples."""
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


def load_topic_dir(directory: Path) -> tuple[dict[str, TopicFile], list[Problem]]:
    """Every topic file of ``directory`` by key, and the problems of the set (plain words)."""
    topics: dict[str, TopicFile] = {}
    problems: list[Problem] = []
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        problems.append(Problem(str(directory), "there are no topic files"))
    for path in paths:
        where = f"{directory.name}/{path.name}"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(where, f"cannot be read ({type(error).__name__})"))
            continue
        topic, found = parse_topic(text, where)
        problems.extend(found)
        if topic is None:
            continue
        if topic.key != path.stem:
            problems.append(Problem(where, f"`key` is {topic.key!r}; the file is {path.stem}.yml"))
        if topic.key in topics:
            problems.append(Problem(where, f"another file already has the key {topic.key!r}"))
            continue
        topics[topic.key] = topic
    problems.extend(cross_problems(topics))
    return topics, problems


def cross_problems(topics: Mapping[str, TopicFile]) -> list[Problem]:
    """Problems between topics: an example question in two topics, a title used twice."""
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for key, topic in sorted(topics.items()):
        for example in topic.examples:
            folded = fold(example)
            other = owner.get(folded)
            if other is not None and other != key:
                problems.append(
                    Problem(
                        f"topics/{key}.yml",
                        f"the example {example!r} is also an example of {other!r}: "
                        "keep it in one topic",
                    )
                )
            owner.setdefault(folded, key)
    titles: dict[str, str] = {}
    for key, topic in sorted(topics.items()):
        other = titles.get(topic.title.lower())
        if other is not None:
            problems.append(
                Problem(f"topics/{key}.yml", f"the title {topic.title!r} is also {other!r}'s")
            )
        titles.setdefault(topic.title.lower(), key)
    return problems


def _words(text: str) -> set[str]:
    return set(fold(text).split())


@dataclass(frozen=True)
class _Examples:
    """Every example of some topics with its words, in order, and where each word is."""

    entries: tuple[tuple[str, str, frozenset[str]], ...]  # (key, example, its words)
    where: Mapping[str, tuple[int, ...]]  # a word: the entries that have it, in order

    @classmethod
    def of(cls, topics: Mapping[str, TopicFile]) -> _Examples:
        entries = tuple(
            (key, example, frozenset(_words(example)))
            for key, topic in topics.items()
            for example in topic.examples
        )
        where: dict[str, list[int]] = {}
        for index, (_, _, words) in enumerate(entries):
            for word in words:
                where.setdefault(word, []).append(index)
        return cls(entries, {word: tuple(found) for word, found in where.items()})

    def candidates(self, words: set[str], threshold: float) -> Iterable[int]:
        """The entries that may share ``threshold`` of ``words``' words, in order: those
        with one of its rarest words (a pair sharing enough words shares one of them)."""
        if threshold <= 0:
            return range(len(self.entries))
        need = max(1, math.ceil(threshold * len(words) - 1e-9))  # words in common, at least
        rarest = sorted(words, key=lambda word: (len(self.where.get(word, ())), word))
        return sorted(
            {i for word in rarest[: len(words) - need + 1] for i in self.where.get(word, ())}
        )


def _similar(topic: TopicFile, others: _Examples, threshold: float) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    if not threshold <= 1:  # no two examples share more than all their words
        return found
    for example in topic.examples:
        words = _words(example)
        if not words:
            continue
        for index in others.candidates(words, threshold):
            key, theirs, their_words = others.entries[index]
            if key == topic.key:
                continue
            shared = len(words & their_words) / len(words | their_words)
            if shared >= threshold:
                found.append((example, key, theirs))
                break
    return found


def similar_examples(
    topic: TopicFile, others: Mapping[str, TopicFile], threshold: float = 0.8
) -> list[tuple[str, str, str]]:
    """(example, other topic's key, its example) for examples of ``topic`` that read like
    another topic's: the same words, or at least ``threshold`` of them shared (the words the
    two share over all their words). One pair per example: the first found, in the order of
    ``others`` and of their examples; ``topic``'s own key in ``others`` is skipped."""
    return _similar(topic, _Examples.of(others), threshold)


def similar_problems(topics: Mapping[str, TopicFile], threshold: float = 0.8) -> list[Problem]:
    """A warning for each example that reads like another topic's (each pair said once)."""
    problems: list[Problem] = []
    examples = _Examples.of(topics)
    said: set[frozenset[tuple[str, str]]] = set()
    for key, topic in sorted(topics.items()):
        for example, other, theirs in _similar(topic, examples, threshold):
            pair = frozenset({(key, fold(example)), (other, fold(theirs))})
            if pair in said:
                continue
            said.add(pair)
            problems.append(
                Problem(
                    f"topics/{key}.yml",
                    f"the example {example!r} reads much like {theirs!r}, an example of "
                    f"{other!r}: the assistant may mix up the two topics; reword one, "
                    "or keep the question in one topic",
                    warning=True,
                )
            )
    return problems


def _labels(path: Path) -> tuple[set[str], str]:
    """The intent labels of a Rasa NLU file (its messages are not read), or why it can't be."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return set(), f"cannot be read ({type(error).__name__})"
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" near line {mark.line + 1}" if mark is not None else ""
        return set(), f"this is not readable YAML{line}: check the indentation"
    blocks = data.get("nlu") if isinstance(data, dict) else None
    if not isinstance(blocks, list):
        return set(), ""
    labels = {
        str(block["intent"]).strip()
        for block in blocks
        if isinstance(block, dict) and block.get("intent")
    }
    return labels, ""


def evaluation_problems(topics: Mapping[str, TopicFile], tests_dir: Path) -> list[Problem]:
    """The evaluation sets (``tests_dir/*.yml``) against the topics, by their labels only:
    a ``faq/<key>`` label with no topic file is an error; a topic no file asks about, a
    warning. Nothing when there is no ``tests_dir`` (a copy without tests)."""
    if not tests_dir.is_dir():
        return []
    problems: list[Problem] = []
    asked: set[str] = set()
    for path in sorted(tests_dir.glob("*.yml")):
        where = f"tests/{tests_dir.name}/{path.name}"
        labels, unreadable = _labels(path)
        if unreadable:
            problems.append(Problem(where, unreadable))
        for label in sorted(labels):
            intent, slash, key = label.partition("/")
            if intent != "faq" or not slash:
                continue
            asked.add(key)
            if key not in topics:
                problems.append(
                    Problem(
                        where,
                        f"uses the topic {key!r}, which has no topic file (data/topics/{key}.yml)",
                    )
                )
    for key in sorted(set(topics) - asked):
        problems.append(
            Problem(
                f"topics/{key}.yml",
                "no test or development question asks about this topic yet; add some to "
                "tests/nlu/ so a publish can check it",
                warning=True,
            )
        )
    return problems


# ----------------------------------------------------------------------------------------
# Rendering


class _Block(str):
    """A string written as a YAML block (``>-``), for readable answers."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_block(dumper: yaml.SafeDumper, data: _Block) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=">")


_Dumper.add_representer(_Block, _represent_block)


def _yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=92, indent=2)


def render_topic(topic: TopicFile) -> str:
    """The text of a topic file: stable, so that a pull request shows only what changed."""
    data: dict[str, Any] = {
        "key": topic.key,
        "title": topic.title,
        "source": topic.source,
        "answer": _Block(topic.answer),
    }
    if topic.facts:
        data["facts"] = dict(topic.facts)
    data["examples"] = list(topic.examples)
    data["reviewed_by"] = topic.reviewed_by
    data["reviewed_on"] = topic.reviewed_on
    return TOPIC_HEADER + _yaml(data)


def render_nlu(topics: Mapping[str, TopicFile]) -> str:
    """``data/faq.yml``: each topic's examples under ``faq/<key>``, in the mapping's order."""
    lines = [NLU_HEADER.rstrip("\n"), 'version: "3.1"', "", "nlu:"]
    for key in topics:
        lines.append(f"- intent: faq/{key}")
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in topics[key].examples)
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def render_domain_block(topics: Mapping[str, TopicFile]) -> str:
    """The ``utter_faq/<key>`` responses, between the marker lines."""
    lines = [DOMAIN_BEGIN]
    for key in topics:
        lines.append(f"  utter_faq/{key}:")
        lines.append(f"  - text: {_quoted(topics[key].answer)}")
    lines.append(DOMAIN_END)
    return "\n".join(lines) + "\n"


def replace_domain_block(domain_text: str, block: str) -> str:
    """``domain.yml`` with its FAQ-answer block replaced (ValueError without the markers)."""
    start = domain_text.find(DOMAIN_BEGIN)
    end = domain_text.find(DOMAIN_END)
    if start < 0 or end < start:
        raise ValueError("domain.yml has no FAQ-answer block (its marker lines are missing)")
    end = domain_text.index("\n", end) + 1 if "\n" in domain_text[end:] else len(domain_text)
    return domain_text[:start] + block + domain_text[end:]


# ----------------------------------------------------------------------------------------
# The project: check and build


@dataclass(frozen=True)
class Project:
    """Where a project's topic files and derived files are."""

    root: Path

    @property
    def topics_dir(self) -> Path:
        return self.root / "data" / "topics"

    @property
    def nlu_file(self) -> Path:
        return self.root / "data" / "faq.yml"

    @property
    def domain_file(self) -> Path:
        return self.root / "domain.yml"

    @property
    def contract_file(self) -> Path:
        return self.root / "docs" / "faq-topics.yml"

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests" / "nlu"


def _contract(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    faq = (data or {}).get("faq") if isinstance(data, dict) else None
    return faq if isinstance(faq, dict) else {}


def contract_problems(
    topics: Mapping[str, TopicFile], contract: Mapping[str, Any]
) -> list[Problem]:
    """Every topic of the contract has its file with the same source; new ones are noted."""
    problems: list[Problem] = []
    for key, entry in sorted(contract.items()):
        topic = topics.get(key)
        source = entry.get("source") if isinstance(entry, dict) else None
        if topic is None:
            problems.append(
                Problem(f"topics/{key}.yml", "the contract (docs/faq-topics.yml) has this topic")
            )
        elif source and topic.source != source:
            problems.append(
                Problem(
                    f"topics/{key}.yml",
                    f"`source` is {topic.source!r}; the contract says {source!r}",
                )
            )
    return problems


def in_contract_order(
    topics: Mapping[str, TopicFile], contract: Mapping[str, Any]
) -> dict[str, TopicFile]:
    """The topics in the contract's order, then the others by key: a stable order."""
    ordered = {key: topics[key] for key in contract if key in topics}
    ordered.update({key: topics[key] for key in sorted(topics) if key not in ordered})
    return ordered


def _derived(project: Project, topics: Mapping[str, TopicFile]) -> dict[Path, str]:
    topics = in_contract_order(topics, _contract(project.contract_file))
    domain = project.domain_file.read_text(encoding="utf-8")
    return {
        project.nlu_file: render_nlu(topics),
        project.domain_file: replace_domain_block(domain, render_domain_block(topics)),
    }


def check_project(root: Path) -> list[Problem]:
    """Every problem of the topic files, the contract, the evaluation sets' labels, and
    out-of-date derived files; examples that read like another topic's are warnings."""
    project = Project(root)
    topics, problems = load_topic_dir(project.topics_dir)
    if any(not p.warning for p in problems):
        return problems
    problems.extend(similar_problems(topics))
    problems.extend(contract_problems(topics, _contract(project.contract_file)))
    problems.extend(evaluation_problems(topics, project.tests_dir))
    try:
        derived = _derived(project, topics)
    except (OSError, ValueError) as error:
        return [*problems, Problem("domain.yml", str(error))]
    for path, text in derived.items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            problems.append(
                Problem(str(path.relative_to(root)), "is out of date: run `make topics`")
            )
    new = sorted(set(topics) - set(_contract(project.contract_file)))
    if new:
        problems.append(
            Problem("docs/faq-topics.yml", f"does not list {', '.join(new)}: run `make topics`")
        )
    return problems


def _contract_entry(topic: TopicFile) -> str:
    covers = _quoted(topic.title)
    return f"  {topic.key}: {{source: {topic.source}, covers: {covers}}}\n"


def build_project(root: Path) -> list[Problem]:
    """Write the derived files from the topic files (nothing when a file has an error)."""
    project = Project(root)
    topics, problems = load_topic_dir(project.topics_dir)
    contract = _contract(project.contract_file)
    problems.extend(contract_problems(topics, contract))
    if any(not p.warning for p in problems):
        return problems
    for path, text in _derived(project, topics).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            _write(path, text)
    new = sorted(set(topics) - set(contract))
    if new:
        text = project.contract_file.read_text(encoding="utf-8")
        entries = "".join(_contract_entry(topics[k]) for k in new)
        _write(project.contract_file, add_to_faq_section(text, entries))
    return problems


def add_to_faq_section(contract_text: str, entries: str) -> str:
    """The contract's text with ``entries`` at the end of its ``faq:`` section."""
    lines = contract_text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "faq:"), None)
    if start is None:
        raise ValueError("docs/faq-topics.yml has no `faq:` section")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "\n", "#", "")),
        len(lines),
    )
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    if end and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join([*lines[:end], entries, *lines[end:]])


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a reader never sees half a file)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write_topic(directory: Path, topic: TopicFile) -> Path:
    """Write one topic file atomically; ValueError (plain words) if the topic has errors."""
    errors = [p for p in topic_problems(topic, f"topics/{topic.key}.yml") if not p.warning]
    if errors:
        raise ValueError("; ".join(p.message for p in errors))
    path = directory / f"{topic.key}.yml"
    directory.mkdir(parents=True, exist_ok=True)
    _write(path, render_topic(topic))
    return path


def topic_from_fields(values: Mapping[str, Any]) -> TopicFile:
    """A TopicFile from a mapping of its fields (missing ones empty)."""
    names = {f.name for f in fields(TopicFile)}
    data = {k: v for k, v in values.items() if k in names}
    data["examples"] = tuple(data.get("examples") or ())
    data.setdefault("facts", {})
    for name in ("key", "title", "source", "answer", "reviewed_by", "reviewed_on"):
        data.setdefault(name, "")
    return TopicFile(**data)


def _report(problems: Iterable[Problem]) -> int:
    errors = 0
    for problem in problems:
        print(problem)
        errors += not problem.warning
    return errors


def main(argv: list[str] | None = None) -> int:
    """``check`` or ``build`` the topic files of the project in the current directory."""
    parser = argparse.ArgumentParser(description="FAQ topic files: check, or build from them")
    parser.add_argument("command", choices=("check", "build"))
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    problems = check_project(args.root) if args.command == "check" else build_project(args.root)
    errors = _report(problems)
    if errors:
        done = "nothing was written" if args.command == "build" else "fix them, then `make topics`"
        print(f"{errors} problem(s) in the topic files: {done}.")
        return 1
    print(f"topic files: {args.command} ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
