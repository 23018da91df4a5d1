"""`rasa data validate --fail-on-warnings`, stricter than Rasa's own exit code.

Rasa 3.6 exits 0 on some warnings (RasaHQ/rasa#11843) and warns about two things that are
not mistakes here. This wrapper fails on every warning except:
- "duplicated intents ... faq": Rasa merges the retrieval intent listed in the domain with
  the one derived from data/faq.yml and warns about its own merge;
- "The utterance 'X' is not used in any story or rule" where a custom action in actions/
  sends X (Rasa's validator does not look into custom actions), X is `utter_faq`, the
  retrieval action that `action_answer_faq` replaces, or X is `utter_ask_<slot>` /
  `utter_invalid_<slot>` for a slot a form asks for (the form and its validation send them).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
WARNING = re.compile(r"UserWarning: (.*)")
UNUSED = re.compile(r"The utterance '([^']+)' is not used in any story or rule\.")
DUPLICATE_FAQ = "The following duplicated intents have been found across multiple domain files: faq"


def _composed_names(template: str) -> list[str]:
    """Every name a composed response name (an f-string in actions/) can take."""
    sys.path.insert(0, str(REPO_ROOT))
    from clinic_office.topics import load_topics

    topics = load_topics()
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
    forms = domain.get("forms") or {}
    expansions = {
        # BookingFormBase._missed: a question of either form
        "utter_invalid_{slot}": {s for f in forms.values() for s in f["required_slots"]},
        # faq_replies and clinic_fact_replies: every topic
        "utter_faq/{key}": set(topics),
        "utter_faq/{topic.key}": {k for k, t in topics.items() if t.source == "clinic"},
        # a fact on its own: only where a topic has several and some are not set (contact
        # details are answered by contact_route instead)
        "utter_clinic_{fact}": {
            fact
            for key, topic in topics.items()
            if len(topic.facts) > 1 and key != "contact_details"
            for fact in topic.facts
        },
    }
    if template not in expansions:
        raise ValueError(f"a new composed response name in actions/: {template}")
    head, _, rest = template.partition("{")
    tail = rest.partition("}")[2]
    return sorted(f"{head}{value}{tail}" for value in expansions[template])


def responses_sent_by_actions() -> set[str]:
    """Every response name the actions can send: literals, and f-strings expanded."""
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in sorted((REPO_ROOT / "actions").rglob("*.py"))
    )
    names = set(re.findall(r"(?<![f\w])[\"'](utter_[a-z0-9_/]+)[\"']", source))
    for template in set(re.findall(r"f[\"'](utter_[a-z0-9_/]*\{[^}]+\}[a-z0-9_/]*)[\"']", source)):
        names.update(_composed_names(template))
    return names


def form_responses() -> set[str]:
    """``utter_ask_<slot>`` and ``utter_invalid_<slot>`` for every slot a form asks for."""
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
    slots = {
        slot
        for form in (domain.get("forms") or {}).values()
        for slot in (form or {}).get("required_slots") or []
    }
    return {f"utter_{kind}_{slot}" for slot in slots for kind in ("ask", "invalid")}


def unexpected_warnings(output: str, sent: set[str]) -> list[str]:
    """The warnings in ``output`` that are not one of the known false alarms."""
    problems = []
    for match in WARNING.finditer(output):
        text = match.group(1).strip()
        if text == DUPLICATE_FAQ:
            continue
        unused = UNUSED.fullmatch(text)
        if unused and (unused.group(1) in sent or unused.group(1) == "utter_faq"):
            continue
        problems.append(text)
    return problems


def main() -> int:
    """Run the validator and report."""
    result = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "rasa"), "data", "validate", "--fail-on-warnings"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    problems = unexpected_warnings(output, responses_sent_by_actions() | form_responses())
    for problem in problems:
        print(f"validation warning: {problem}")
    if result.returncode != 0:
        print(output)
        print("rasa data validate failed")
        return 1
    if problems:
        return 1
    print("rasa data validate: clean (apart from the known false alarms in scripts/validate.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
