"""ConText rules for what website visitors write, on top of medspaCy's published English rules.

Whether a red-flag mention applies is decided with ConText (Harkema, Dowling, Thornblade and
Chapman, "ConText: an algorithm for determining negation, experiencer, and temporal status
from clinical reports", J Biomed Inform 42(5):839-851, 2009), the successor of NegEx
(Chapman et al., J Biomed Inform 34(5):301-310, 2001), as implemented by medspaCy (Eyre et
al., AMIA Annu Symp Proc 2021:438-447). medspaCy's ``resources/en/context_rules.json`` holds
the published trigger lists (negation, possibility, hypothetical, historical, family, with
pseudo-triggers and terminations); they are loaded as they are.

Those lists were written for clinicians' notes ("denies", "negative for", "h/o"). Visitors
write "dont", "bladder's fine", "a fall years ago", "if it ever...". The rules below add such
lay triggers in ConText's own terms (category, direction, scope); each was added for a
phrasing of the development triage set (tests/nlu/triage_dev.yml), never the test set.

Loss of function is not negation: "I can't control my bladder", "no feeling in my groin" and
"I can't pee" state a red flag. Such phrases are PSEUDO triggers (ConText's device for "no
increase"): the longer match hides the negation inside it, so it negates nothing.
"""

from __future__ import annotations

from typing import Any

from clinic_nlu import vocabulary as v

Rule = dict[str, Any]

NEGATED = "NEGATED_EXISTENCE"
POSSIBLE = "POSSIBLE_EXISTENCE"
HYPOTHETICAL = "HYPOTHETICAL"
HISTORICAL = "HISTORICAL"
FAMILY = "FAMILY"
PSEUDO = "PSEUDO"
GENERAL_QUESTION = "GENERAL_QUESTION"

# Negation tokens after spaCy's tokenizer: "can't" -> "ca" "n't", "cant" -> "ca" "nt".
_NOT = ["not", "n't", "nt"]
# Words that may stand between a negation and the function it negates: "can't really feel",
# "not able to hold", "don't have full control".
_FILLER = {"LOWER": {"IN": list(v.FUNCTION_FILLERS)}, "OP": "*"}
_FUNCTION = {"LEMMA": {"IN": list(v.FUNCTION_WORDS)}}
# "can not hold", "do n't make it": the auxiliary too, so that medspaCy's "can not" and
# "was not" triggers, which start there, fall inside the longer pseudo-trigger
_MODAL = {
    "LOWER": {
        "IN": [
            "can",
            "ca",
            "could",
            "do",
            "does",
            "did",
            "will",
            "wo",
            "would",
            "is",
            "are",
            "was",
            "am",
            "have",
            "has",
            "had",
            "i",
        ]
    },
    "OP": "?",
}


def _rule(
    literal: str,
    category: str,
    direction: str,
    pattern: list[dict[str, Any]] | None = None,
    max_scope: int | None = None,
    allowed_types: list[str] | None = None,
    excluded_types: list[str] | None = None,
) -> Rule:
    rule: Rule = {"literal": literal, "category": category, "direction": direction}
    if pattern is not None:
        rule["pattern"] = pattern
    if max_scope is not None:
        rule["max_scope"] = max_scope
    if allowed_types is not None:
        rule["allowed_types"] = allowed_types
    if excluded_types is not None:
        rule["excluded_types"] = excluded_types
    return rule


PATIENT_RULES: list[Rule] = [
    # --- loss of function states the red flag (PSEUDO: hides the negation inside it)
    _rule(
        "can't control / no feeling / unable to hold",
        PSEUDO,
        "PSEUDO",
        [
            _MODAL,
            {"LOWER": {"IN": [*_NOT, "cannot", "unable", "no", "never", "hardly", "barely"]}},
            _FILLER,
            _FUNCTION,
            {"LOWER": {"IN": ["if", "whether", "when"]}, "OP": "?"},
        ],
    ),
    # "i don't think i can tell when my bladder is full": still a lost function
    _rule(
        "don't think i can",
        PSEUDO,
        "PSEUDO",
        [
            _MODAL,
            {"LOWER": {"IN": _NOT}},
            {"LOWER": {"IN": ["think", "believe", "reckon"]}},
            {"LOWER": {"IN": ["i", "he", "she"]}, "OP": "?"},
            {"LOWER": {"IN": ["can", "could", "am", "'m", "is", "'s"]}, "OP": "?"},
            _FILLER,
            _FUNCTION,
        ],
    ),
    _rule(
        "no longer able to",
        PSEUDO,
        "PSEUDO",
        [{"LOWER": "no"}, {"LOWER": "longer"}, _FILLER, _FUNCTION],
    ),
    # "no appetite, lost weight": the appetite is denied, not what follows
    _rule(
        "no appetite",
        PSEUDO,
        "PSEUDO",
        [
            {"LOWER": {"IN": ["no", "lost", "losing", "without", "off"]}},
            {"LOWER": {"IN": ["my", "any", "much", "real"]}, "OP": "?"},
            {"LOWER": {"IN": ["appetite", "food"]}},
        ],
    ),
    # "i should mention i've had bowel accidents": said, not supposed
    _rule(
        "should mention",
        PSEUDO,
        "PSEUDO",
        [
            {"LOWER": {"IN": ["should", "must", "ought"]}},
            {"LOWER": {"IN": ["to", "probably", "also", "just"]}, "OP": "*"},
            {"LOWER": {"IN": ["mention", "say", "add", "tell", "point"]}},
        ],
    ),
    # "not just one leg, both now": NegEx's pseudo-negations ("not only")
    _rule(
        "not just", PSEUDO, "PSEUDO", [{"LOWER": {"IN": _NOT}}, {"LOWER": {"IN": ["just", "only"]}}]
    ),
    # "not on a diet", "without dieting": weight lost for no reason (not an explanation)
    _rule(
        "not on a diet",
        PSEUDO,
        "PSEUDO",
        [
            {"LOWER": {"IN": [*_NOT, "no", "without", "never"]}},
            {"LOWER": {"IN": ["been", "even", "on", "a", "any", "trying"]}, "OP": "*"},
            {"LOWER": {"IN": ["diet", "dieting", "diets"]}},
        ],
    ),
    # "wondering if", "not sure if": an indirect question, not a condition
    _rule(
        "wondering if",
        PSEUDO,
        "PSEUDO",
        [
            {
                "LOWER": {
                    "IN": [
                        "wondering",
                        "wonder",
                        "asking",
                        "see",
                        "check",
                        "tell",
                        "ask",
                        "unsure",
                        "whether",
                    ]
                }
            },
            {"LOWER": {"IN": ["if", "whether"]}},
        ],
    ),
    _rule(
        "not sure if",
        PSEUDO,
        "PSEUDO",
        [
            {"LOWER": {"IN": [*_NOT, "no", "never"]}},
            {"LOWER": {"IN": ["know", "sure", "certain", "clear"]}},
            {"LOWER": {"IN": ["if", "whether"]}},
        ],
    ),
    # "in case it matters, i'm having chemo": a disclosure, not a condition
    _rule(
        "in case it matters",
        PSEUDO,
        "PSEUDO",
        [
            {"LOWER": "in"},
            {"LOWER": "case"},
            {"LOWER": {"IN": ["it", "that", "this"]}},
            {"LOWER": {"IN": ["matters", "helps", "'s", "is"]}},
            {"LOWER": {"IN": ["relevant", "important", "useful"]}, "OP": "?"},
        ],
    ),
    # "my fever cleared up and then came back": not over after all
    _rule(
        "cleared up and came back",
        PSEUDO,
        "PSEUDO",
        [
            {"LOWER": {"IN": ["cleared", "went", "gone", "settled", "calmed", "stopped"]}},
            {"LOWER": {"IN": ["up", "away", "down"]}, "OP": "?"},
            {"LOWER": {"IN": ["and", "but", ",", "then"]}, "OP": "*"},
            {"LOWER": {"IN": ["it", "it's", "its", "'s", "has", "is"]}, "OP": "*"},
            {"LOWER": {"IN": ["came", "come", "coming", "returned", "back"]}},
            {"LOWER": {"IN": ["back", "again"]}, "OP": "?"},
        ],
    ),
    # --- negation
    # "nothing numb down there", "nothing like numbness in my privates"
    _rule(
        "nothing",
        NEGATED,
        "FORWARD",
        [{"LOWER": {"IN": ["nothing", "nowt"]}}, {"LOWER": "like", "OP": "?"}],
        max_scope=6,
    ),
    # "walk on my heels no bother", "both legs fine", "both sides equal"
    _rule(
        "no bother",
        NEGATED,
        "BACKWARD",
        [
            {"LOWER": "no"},
            {"LOWER": {"IN": ["bother", "worries"]}},
        ],
        max_scope=8,
    ),
    _rule(
        "equal",
        NEGATED,
        "BACKWARD",
        [{"LOWER": {"IN": ["equal", "symmetrical", "same", "fine", "normal", "ok", "okay"]}}],
        max_scope=2,
    ),
    # "gp examined the saddle area and all normal", "everything came back clear"
    _rule(
        "all normal",
        NEGATED,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["all", "everything", "everything's", "both", "all's"]}},
            {
                "LOWER": {"IN": ["'s", "is", "was", "were", "came", "seemed", "looked", "back"]},
                "OP": "*",
            },
            {"LOWER": {"IN": ["normal", "fine", "clear", "ok", "okay", "good", "equal"]}},
        ],
        max_scope=12,
    ),
    # "dont have", "havent had": medspaCy's "not" rule without the apostrophe
    _rule(
        "nt",
        NEGATED,
        "FORWARD",
        [{"LOWER": "nt"}, {"LOWER": {"IN": ["have", "had", "feel", "get", "got"]}, "OP": "?"}],
        max_scope=8,
    ),
    _rule("never", NEGATED, "FORWARD", [{"LOWER": "never"}], max_scope=6),
    # "numbness down there? none of that", "nothing like that" (not a bare "nothing":
    # "it feels like sitting on nothing")
    _rule(
        "none of that",
        NEGATED,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["none", "nothing", "neither"]}},
            {"LOWER": {"IN": ["of", "like"]}},
            {"LOWER": {"IN": ["that", "those", "these", "them", "this", "it"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "nothing in",
        NEGATED,
        "FORWARD",
        [
            {"LOWER": {"IN": ["nothing", "none"]}},
            {"LOWER": {"IN": ["at", "really", "whatsoever"]}, "OP": "?"},
            {"LOWER": "all", "OP": "?"},
            {"LOWER": {"IN": ["in", "on", "with", "down", "going", "into", "from"]}},
        ],
        max_scope=6,
    ),
    _rule("nor", NEGATED, "FORWARD", [{"LOWER": {"IN": ["nor", "neither"]}}], max_scope=5),
    # "bladder and bowels are fine", "my bladder is totally normal"
    _rule(
        "is fine",
        NEGATED,
        "BACKWARD",
        [
            {
                "LOWER": {
                    "IN": [
                        "is",
                        "are",
                        "was",
                        "were",
                        "'s",
                        "s",
                        "seem",
                        "seems",
                        "feel",
                        "feels",
                        "been",
                        "working",
                        "stayed",
                        "remain",
                        "remains",
                    ]
                }
            },
            {
                "LOWER": {
                    "IN": [
                        "totally",
                        "completely",
                        "perfectly",
                        "all",
                        "absolutely",
                        "still",
                        "both",
                        "100",
                        "%",
                    ]
                },
                "OP": "*",
            },
            {
                "LOWER": {
                    "IN": [
                        "fine",
                        "normal",
                        "ok",
                        "okay",
                        "unaffected",
                        "unchanged",
                        "alright",
                        "clear",
                    ]
                }
            },
        ],
        max_scope=6,
    ),
    # "can still control my bladder", "still have full feeling"
    _rule("still", NEGATED, "FORWARD", [{"LOWER": "still"}, _FILLER, _FUNCTION], max_scope=5),
    # "nothing wrong with my bladder", "no changes in my bowels"
    _rule(
        "nothing wrong with",
        NEGATED,
        "FORWARD",
        [
            {"LOWER": {"IN": ["nothing", "no", "nowt", "zero"]}},
            {"LOWER": {"IN": ["wrong", "change", "changes", "different", "odd", "unusual"]}},
            {"LOWER": {"IN": ["with", "in", "to", "about"]}},
        ],
        max_scope=10,
    ),
    # a test came back clear: "the x-ray after my fall showed nothing"
    _rule(
        "showed nothing",
        NEGATED,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["showed", "shows", "found", "find", "came", "come"]}},
            {"LOWER": {"IN": ["back", "up"]}, "OP": "?"},
            {"LOWER": {"IN": ["nothing", "clear", "normal", "fine", "no", "negative"]}},
        ],
        max_scope=10,
    ),
    # a fever from an illness that was and went: "had flu with a high temperature"
    _rule(
        "had flu",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["had", "caught", "got"]}},
            {"LOWER": {"IN": ["the", "a", "an", "bad"]}, "OP": "*"},
            {
                "LOWER": {
                    "IN": [
                        "flu",
                        "cold",
                        "covid",
                        "virus",
                        "bug",
                        "infection",
                        "chest",
                        "tummy",
                        "stomach",
                    ]
                }
            },
        ],
        max_scope=8,
        allowed_types=[v.FEVER],
    ),
    # "..., it went away within the hour", "but that's well over": over and done with, about
    # the clause before (the match covers the clause break, which would otherwise end it)
    _rule(
        "it went away",
        HISTORICAL,
        "BACKWARD",
        [
            {"LOWER": {"IN": [",", "but", "and", ";", "-"]}, "OP": "?"},
            {"LOWER": {"IN": ["it", "that", "which", "this", "they", "those"]}},
            {
                "LOWER": {
                    "IN": [
                        "'s",
                        "s",
                        "is",
                        "was",
                        "has",
                        "had",
                        "have",
                        "'ve",
                        "all",
                        "completely",
                        "totally",
                        "well",
                        "long",
                        "since",
                        "soon",
                    ]
                },
                "OP": "*",
            },
            {
                "LOWER": {
                    "IN": [
                        "went",
                        "gone",
                        "over",
                        "healed",
                        "cleared",
                        "settled",
                        "passed",
                        "resolved",
                        "better",
                        "fine",
                        "stopped",
                        "disappeared",
                    ]
                }
            },
        ],
        max_scope=12,
    ),
    _rule(
        "no problem with",
        NEGATED,
        "FORWARD",
        [
            {"LOWER": {"IN": ["no", "zero", "without"]}},
            {
                "LOWER": {
                    "IN": [
                        "problem",
                        "problems",
                        "issue",
                        "issues",
                        "trouble",
                        "change",
                        "changes",
                        "sign",
                        "signs",
                    ]
                }
            },
        ],
        max_scope=8,
    ),
    # "GP checked for cauda equina", "the MRI was clear", "doctor said it's not"
    _rule(
        "checked",
        NEGATED,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["checked", "tested", "scanned", "excluded", "cleared", "clear"]}}],
        max_scope=8,
        excluded_types=[v.CANCER],
    ),
    _rule(
        "not cauda equina",
        NEGATED,
        "FORWARD",
        [
            {"LOWER": {"IN": ["said", "says", "told", "confirmed"]}},
            {"LOWER": {"IN": ["it", "it's", "its", "there", "i", "me"]}, "OP": "*"},
            {
                "LOWER": {"IN": ["'s", "is", "was", "wasn't", "isn't", "had", "have", "no"]},
                "OP": "*",
            },
            {"LOWER": {"IN": [*_NOT, "no"]}},
        ],
        max_scope=8,
    ),
    # --- hypothetical and general questions about red flags
    _rule(
        "what if",
        HYPOTHETICAL,
        "FORWARD",
        [
            {"LOWER": {"IN": ["what", "and"]}, "OP": "?"},
            {"LOWER": {"IN": ["if", "incase", "unless", "suppose", "supposing", "should"]}},
        ],
        max_scope=8,
    ),
    _rule("in case", HYPOTHETICAL, "FORWARD", [{"LOWER": "in"}, {"LOWER": "case"}], max_scope=8),
    _rule(
        "in case it happens",
        HYPOTHETICAL,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["in", "if", "when"]}},
            {"LOWER": "case", "OP": "?"},
            {"LOWER": {"IN": ["it", "that", "this", "they"]}},
            {"LOWER": "ever", "OP": "?"},
            {"LOWER": {"IN": ["happens", "happened", "happen", "starts", "occurs"]}},
        ],
        max_scope=10,
    ),
    # "say I had a fall...", "let's say": not "the scales say I'm down 3kg"
    _rule(
        "let's say",
        HYPOTHETICAL,
        "FORWARD",
        [
            {"LOWER": {"IN": ["let's", "lets", "let"]}},
            {"LOWER": {"IN": ["'s", "us"]}, "OP": "?"},
            {"LOWER": "say"},
        ],
        max_scope=8,
    ),
    _rule(
        "say, at the start",
        HYPOTHETICAL,
        "FORWARD",
        [{"LOWER": "say", "IS_SENT_START": True}],
        max_scope=8,
    ),
    _rule(
        "say i had",
        HYPOTHETICAL,
        "FORWARD",
        [
            {
                "LOWER": {
                    "IN": [
                        "suppose",
                        "supposing",
                        "imagine",
                        "hypothetically",
                        "theoretically",
                    ]
                }
            }
        ],
        max_scope=8,
    ),
    _rule(
        "in the future",
        HYPOTHETICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["in", "at"]}},
            {"LOWER": {"IN": ["the", "some"]}},
            {"LOWER": {"IN": ["future", "point"]}},
        ],
        max_scope=8,
    ),
    # "is losing bladder control something that can happen with sciatica?"
    _rule(
        "something that can happen",
        HYPOTHETICAL,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["can", "could", "does", "do", "would", "might"]}},
            {"LOWER": {"IN": ["happen", "occur", "come", "develop"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "look out for",
        HYPOTHETICAL,
        "FORWARD",
        [
            {"LOWER": {"IN": ["look", "watch", "lookout", "keep"]}},
            {"LOWER": {"IN": ["out", "an"]}},
            {"LOWER": {"IN": ["for", "eye"]}, "OP": "?"},
        ],
        max_scope=8,
    ),
    _rule(
        "would it be an emergency",
        HYPOTHETICAL,
        "FORWARD",
        [
            {"LOWER": {"IN": ["would", "could", "can", "will", "might", "may", "does", "do"]}},
            {
                "LOWER": {
                    "IN": [
                        "i",
                        "you",
                        "someone",
                        "people",
                        "it",
                        "needling",
                        "that",
                        "this",
                        "dry",
                        "treatment",
                        "a",
                        "the",
                        "one",
                        "anyone",
                    ]
                }
            },
            {
                "LOWER": {
                    "IN": [
                        "get",
                        "have",
                        "cause",
                        "give",
                        "develop",
                        "mean",
                        "lead",
                        "needling",
                        "needle",
                        "be",
                        "ever",
                    ]
                }
            },
        ],
        max_scope=8,
    ),
    _rule(
        "signs of",
        HYPOTHETICAL,
        "FORWARD",
        [
            {
                "LOWER": {
                    "IN": [
                        "signs",
                        "sign",
                        "symptoms",
                        "symptom",
                        "warning",
                        "risk",
                        "risks",
                        "chance",
                        "chances",
                    ]
                }
            },
            {"LOWER": {"IN": ["of", "for", "that"]}},
        ],
        max_scope=8,
    ),
    _rule(
        "when to worry",
        HYPOTHETICAL,
        "FORWARD",
        [
            {"LOWER": {"IN": ["when", "which", "what"]}},
            {"LOWER": {"IN": ["should", "symptoms", "signs", "would", "do", "does", "means"]}},
        ],
        max_scope=10,
    ),
    # "a fever after needling": a side effect asked about, not a symptom reported
    _rule(
        "after needling",
        HYPOTHETICAL,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["after", "afterwards", "post", "from"]}},
            {"LOWER": {"IN": ["a", "the", "my", "each", "every", "dry"]}, "OP": "?"},
            {
                "LOWER": {
                    "IN": [
                        "needling",
                        "treatment",
                        "session",
                        "sessions",
                        "needles",
                        "needle",
                        "appointment",
                    ]
                }
            },
        ],
        max_scope=6,
    ),
    # --- historical: over and done with (a history of cancer is a red flag itself: see
    # clinic_nlu.red_flags)
    # "some bladder trouble when my back first went, but that was two years ago"
    _rule(
        "but that was years ago",
        HISTORICAL,
        "BACKWARD",
        [
            {"LOWER": "but"},
            {"LOWER": {"IN": ["that", "it", "this", "all"]}},
            {"LOWER": {"IN": ["was", "were", "'s", "is"]}},
            {"LOWER": {"IN": ["over", "all", "about", "around", "nearly", "like"]}, "OP": "*"},
            {"LIKE_NUM": True, "OP": "?"},
            {"LOWER": {"IN": ["years", "year", "months", "month", "decades", "ages"]}},
            {"LOWER": "ago"},
        ],
        max_scope=15,
    ),
    # "the high temperature i had two weeks ago is gone", "tingling in both feet, gone now"
    _rule(
        "ago is gone",
        HISTORICAL,
        "BACKWARD",
        [
            {"LOWER": "ago"},
            {"LOWER": {"IN": ["is", "was", "has", "'s", "have", "are"]}},
            {"LOWER": {"IN": ["gone", "passed", "cleared", "resolved", "over", "settled"]}},
        ],
        max_scope=12,
    ),
    _rule(
        ", gone now",
        HISTORICAL,
        "BACKWARD",
        [
            {"LOWER": {"IN": [",", ";", "-"]}},
            {"LOWER": {"IN": ["gone", "resolved", "cleared", "passed", "better"]}},
            {"LOWER": "now"},
        ],
        max_scope=12,
    ),
    # "x-rays after my fall and nothing was broken"
    _rule(
        "nothing was broken",
        NEGATED,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["nothing", "no", "not"]}},
            {"LOWER": {"IN": ["was", "is", "got", "been"]}, "OP": "?"},
            {"LOWER": {"IN": ["broken", "fractured", "fracture", "fractures", "break", "breaks"]}},
        ],
        max_scope=12,
        allowed_types=[v.TRAUMA],
    ),
    # "a bladder scan at the hospital, emptying properly"
    _rule(
        "emptying properly",
        NEGATED,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["emptying", "empties", "empty"]}},
            {"LOWER": {"IN": ["properly", "fine", "normally", "fully", "completely", "ok"]}},
        ],
        max_scope=12,
        allowed_types=[v.BLADDER_BOWEL],
    ),
    # "i lost weight after my divorce, but i've put it back on"
    _rule(
        "put it back on",
        HISTORICAL,
        "BACKWARD",
        [
            # the "but" before it would end the scope (a ConText terminator): include it
            {"LOWER": "but", "OP": "?"},
            {
                "LOWER": {"IN": ["i", "i've", "ive", "'ve", "have", "she", "he", "'s", "has"]},
                "OP": "*",
            },
            {"LOWER": {"IN": ["put", "gained", "regained"]}},
            {"LOWER": {"IN": ["it", "the", "that", "all", "most"]}, "OP": "*"},
            {"LOWER": {"IN": ["weight", "of"]}, "OP": "*"},
            {"LOWER": {"IN": ["back", "it"]}},
        ],
        max_scope=12,
    ),
    _rule(
        "years ago",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LIKE_NUM": True, "OP": "?"},
            {
                "LOWER": {
                    "IN": [
                        "years",
                        "year",
                        "yrs",
                        "yr",
                        "decades",
                        "decade",
                        "ages",
                        "winters",
                        "summers",
                        "christmases",
                    ]
                }
            },
            {"LOWER": {"IN": ["ago", "back", "before"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "last year",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["last", "in"]}},
            {"LOWER": {"IN": ["year", "summer", "winter", "spring", "autumn"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "at uni",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["at", "in", "during"]}},
            {"LOWER": {"IN": ["uni", "university", "college", "school"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "as a kid",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["as", "when"]}},
            {"LOWER": {"IN": ["a", "i", "i'm", "i", "younger", "young", "teenager"]}},
            {"LOWER": {"IN": ["kid", "child", "teenager", "was", "student", "younger"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "in my twenties",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": "back", "OP": "?"},
            {"LOWER": "in"},
            {"LOWER": {"IN": ["my", "the", "his", "her"]}},
            {
                "LOWER": {
                    "IN": [
                        "twenties",
                        "teens",
                        "thirties",
                        "forties",
                        "fifties",
                        "20s",
                        "30s",
                        "40s",
                        "50s",
                        "youth",
                        "past",
                        "day",
                    ]
                }
            },
        ],
        max_scope=10,
    ),
    _rule(
        "in 2015",
        HISTORICAL,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["in", "back", "around"]}}, {"TEXT": {"REGEX": "^(19|20)[0-9][0-9]$"}}],
        max_scope=10,
    ),
    _rule(
        "at christmas",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["at", "over", "last"]}},
            {"LOWER": {"IN": ["christmas", "xmas", "easter", "thanksgiving"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "better now",
        HISTORICAL,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["fully", "all", "completely", "totally", "much"]}}, {"LOWER": "better"}],
        max_scope=10,
    ),
    _rule(
        "long ago",
        HISTORICAL,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["long", "while", "ages"]}}, {"LOWER": "ago"}],
        max_scope=10,
    ),
    _rule(
        "in the past",
        HISTORICAL,
        "BIDIRECTIONAL",
        [{"LOWER": "in"}, {"LOWER": "the"}, {"LOWER": "past"}],
        max_scope=10,
    ),
    _rule("used to", HISTORICAL, "FORWARD", [{"LOWER": "used"}, {"LOWER": "to"}], max_scope=6),
    _rule(
        "healed",
        HISTORICAL,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["healed", "recovered", "resolved", "cleared", "settled"]}}],
        max_scope=10,
    ),
    _rule(
        "went away",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["went", "gone", "go", "goes", "going", "died", "wore"]}},
            {"LOWER": {"IN": ["away", "off"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "cleared up",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["cleared", "clear", "settled", "calmed", "died"]}},
            {"LOWER": {"IN": ["up", "down"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "long gone",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["long", "all", "completely", "totally"]}},
            {"LOWER": {"IN": ["gone", "over", "healed", "fine"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "got better",
        HISTORICAL,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["got", "get", "getting", "gotten"]}}, {"LOWER": "better"}],
        max_scope=10,
    ),
    # --- a general question about red flags rather than one stated ("can cancer cause
    # sciatica?", "what are the warning signs, like bladder problems?"): asked about
    _rule(
        "cause",
        GENERAL_QUESTION,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["cause", "causes", "mean", "means", "affect", "affects"]}}],
        max_scope=5,
    ),
    _rule(
        "cause problems with",
        GENERAL_QUESTION,
        "FORWARD",
        [
            {"LOWER": {"IN": ["cause", "causes", "affect", "affects", "lead", "leads"]}},
            {"LOWER": {"IN": ["problems", "issues", "trouble", "to"]}, "OP": "?"},
            {"LOWER": {"IN": ["with", "in", "of"]}, "OP": "?"},
        ],
        max_scope=5,
    ),
    # "is numbness in the groin a sign of something serious?"
    _rule(
        "a sign of",
        GENERAL_QUESTION,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["a", "the", "any"]}},
            {"LOWER": {"IN": ["sign", "signs", "symptom", "symptoms", "indication"]}},
            {"LOWER": {"IN": ["of", "that"]}},
        ],
        max_scope=8,
    ),
    # "does sciatica affect your bladder?": you in general
    _rule("your", GENERAL_QUESTION, "FORWARD", [{"LOWER": {"IN": ["your", "one's"]}}], max_scope=2),
    _rule(
        "be a sign",
        GENERAL_QUESTION,
        "BACKWARD",
        [
            {"LOWER": "be"},
            {"LOWER": {"IN": ["a", "an"]}},
            {"LOWER": {"IN": ["bad", "good", "warning", "red", "serious", "worrying"]}, "OP": "?"},
            {
                "LOWER": {
                    "IN": ["reason", "sign", "warning", "symptom", "emergency", "worry", "flag"]
                }
            },
        ],
        max_scope=8,
    ),
    # "is numbness in the groin a warning sign?", "is that a red flag"
    _rule(
        "a warning sign",
        GENERAL_QUESTION,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["a", "an"]}},
            {"LOWER": {"IN": ["warning", "bad", "red", "serious", "danger"]}},
            {"LOWER": {"IN": ["sign", "signs", "flag", "flags", "symptom"]}},
        ],
        max_scope=8,
    ),
    # "is weight loss ever linked to sciatica", "are night sweats related to back pain"
    _rule(
        "linked to",
        GENERAL_QUESTION,
        "BACKWARD",
        [
            {"LOWER": "ever", "OP": "?"},
            {"LOWER": {"IN": ["linked", "related", "associated", "connected", "a", "part"]}},
            {"LOWER": {"IN": ["to", "with", "symptom", "of"]}},
        ],
        max_scope=6,
    ),
    # "could sciatica spread to both legs?"
    _rule(
        "could it spread to",
        GENERAL_QUESTION,
        "FORWARD",
        [
            {"LOWER": {"IN": ["could", "can", "does", "do", "will", "might", "would"]}},
            {"LOWER": {"IN": ["sciatica", "it", "the", "pain", "this", "that", "ever"]}, "OP": "*"},
            {"LOWER": {"IN": ["spread", "go", "move", "travel", "turn", "affect", "reach"]}},
            {"LOWER": {"IN": ["to", "into", "down", "in"]}, "OP": "?"},
        ],
        max_scope=5,
    ),
    _rule(
        "an emergency",
        GENERAL_QUESTION,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["a", "an"]}}, {"LOWER": {"IN": ["emergency", "emergencies"]}}],
        max_scope=8,
    ),
    _rule(
        "warning signs",
        GENERAL_QUESTION,
        "FORWARD",
        [
            {"LOWER": {"IN": ["warning", "danger", "red", "serious", "worrying"]}},
            {"LOWER": {"IN": ["signs", "sign", "flags", "flag", "symptoms"]}},
        ],
        max_scope=8,
    ),
    _rule(
        "in general",
        GENERAL_QUESTION,
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["in", "generally"]}}, {"LOWER": {"IN": ["general", "speaking"]}}],
        max_scope=8,
    ),
    # "out of interest, is weight loss with back pain serious?"
    _rule(
        "out of interest",
        GENERAL_QUESTION,
        "FORWARD",
        [
            {"LOWER": "out"},
            {"LOWER": "of"},
            {"LOWER": {"IN": ["interest", "curiosity"]}},
        ],
        max_scope=12,
    ),
    # "is weight loss with back pain ever serious?"
    _rule(
        "ever serious",
        GENERAL_QUESTION,
        "BACKWARD",
        [
            {"LOWER": "ever"},
            {"LOWER": {"IN": ["serious", "dangerous", "worrying", "concerning", "an", "a"]}},
            {"LOWER": {"IN": ["emergency", "concern", "worry"]}, "OP": "?"},
        ],
        max_scope=10,
    ),
    _rule(
        "just asking",
        GENERAL_QUESTION,
        "FORWARD",
        [
            {"LOWER": {"IN": ["just", "only"]}},
            {"LOWER": {"IN": ["asking", "wondering", "curious", "checking"]}},
        ],
        max_scope=10,
    ),
    # --- a clinician found nothing: "my GP examined me for saddle numbness and there's none"
    _rule(
        "examined for",
        NEGATED,
        "FORWARD",
        [
            {"LOWER": {"IN": ["examined", "screened", "assessed", "looked", "checked", "tested"]}},
            {"LOWER": {"IN": ["me", "him", "her", "it"]}, "OP": "?"},
            {"LOWER": "for"},
        ],
        max_scope=8,
    ),
    _rule(
        "there's none",
        NEGATED,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["there", "there's", "theres"]}},
            {"LOWER": {"IN": ["'s", "is", "was", "were", "are"]}, "OP": "?"},
            {"LOWER": {"IN": ["none", "nothing"]}},
        ],
        max_scope=10,
    ),
    _rule(
        "nothing sinister",
        NEGATED,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["nothing", "not", "no"]}},
            {
                "LOWER": {
                    "IN": [
                        "damage",
                        "fracture",
                        "injury",
                        "harm",
                        "break",
                        "sinister",
                        "serious",
                        "worrying",
                        "dangerous",
                        "to",
                        "anything",
                        "broken",
                        "fractured",
                        "damaged",
                        "torn",
                    ]
                }
            },
            {"LOWER": {"IN": ["worry", "serious", "sinister"]}, "OP": "?"},
        ],
        max_scope=12,
    ),
    # weight lost for a reason: "from the new medication", "on a diet", "since the gym"
    _rule(
        "from the medication",
        NEGATED,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["from", "due", "because", "on", "since", "with", "after"]}},
            {"LOWER": {"IN": ["to", "of"]}, "OP": "?"},
            {"LOWER": {"IN": ["the", "a", "my"]}, "OP": "?"},
            {"LOWER": {"IN": ["new", "strict"]}, "OP": "?"},
            {"IS_ALPHA": True, "OP": "?"},
            {
                "LOWER": {
                    "IN": [
                        "diet",
                        "dieting",
                        "medication",
                        "meds",
                        "tablets",
                        "gym",
                        "exercise",
                        "running",
                        "ozempic",
                        "wegovy",
                        "mounjaro",
                        "slimming",
                        "keto",
                        "fasting",
                        "calories",
                        "weightwatchers",
                    ]
                }
            },
        ],
        max_scope=10,
        allowed_types=[v.WEIGHT_LOSS],
    ),
    _rule(
        "back in january",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {"LOWER": "back"},
            {"LOWER": "in"},
            {
                "LOWER": {
                    "IN": [
                        "january",
                        "february",
                        "march",
                        "april",
                        "may",
                        "june",
                        "july",
                        "august",
                        "september",
                        "october",
                        "november",
                        "december",
                        "spring",
                        "summer",
                        "autumn",
                        "winter",
                        "the",
                        "my",
                    ]
                }
            },
        ],
        max_scope=10,
    ),
    # "would you treat someone who'd just had a car accident?": someone in general
    _rule(
        "someone who",
        GENERAL_QUESTION,
        "BIDIRECTIONAL",
        [
            {
                "LOWER": {
                    "IN": [
                        "someone",
                        "somebody",
                        "anyone",
                        "anybody",
                        "people",
                        "patients",
                        "person",
                    ]
                }
            },
            {"LOWER": {"IN": ["who", "with", "that", "who'd", "whos", "who's"]}},
        ],
        max_scope=8,
    ),
    # "are night sweats with back pain something to worry about?"
    _rule(
        "something to worry about",
        GENERAL_QUESTION,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["something", "anything"]}},
            {"LOWER": "to"},
            {"LOWER": "be", "OP": "?"},
            {"LOWER": {"IN": ["worry", "worried", "concerned", "concern"]}},
        ],
        max_scope=10,
    ),
    # "they say fever with back pain is serious", "i read that...": general knowledge
    _rule(
        "they say",
        GENERAL_QUESTION,
        "FORWARD",
        [
            {
                "LOWER": {
                    "IN": ["they", "people", "doctors", "websites", "everyone", "i", "i've", "ive"]
                }
            },
            {"LOWER": {"IN": ["'ve", "have"]}, "OP": "?"},
            {"LOWER": {"IN": ["say", "said", "says", "read", "heard"]}},
            {"LOWER": {"IN": ["that", "online"]}, "OP": "?"},
        ],
        max_scope=8,
    ),
    # "a bad fall would need an x-ray first": what would be needed, in general
    _rule(
        "would need",
        GENERAL_QUESTION,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["would", "will", "could", "might", "should"]}},
            {"LOWER": {"IN": ["need", "require", "want", "mean", "needs"]}},
        ],
        max_scope=5,
    ),
    # "would a fever stop me having needling?": a question about the treatment
    _rule(
        "stop me",
        GENERAL_QUESTION,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["stop", "stops", "prevent", "prevents", "rule", "rules", "keep"]}},
            {"LOWER": {"IN": ["me", "you", "someone", "people", "anyone", "one"]}},
        ],
        max_scope=5,
    ),
    # "fine since", "been ok ever since": over
    _rule(
        "fine since",
        HISTORICAL,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["been", "felt", "was", "all"]}, "OP": "?"},
            {"LOWER": {"IN": ["fine", "ok", "okay", "alright", "well", "good", "great"]}},
            {"LOWER": "ever", "OP": "?"},
            {"LOWER": {"IN": ["since", "after", "afterwards", "after that", "since then"]}},
        ],
        max_scope=12,
    ),
    # "the doctor says the fever was just a cold": a fever explained
    _rule(
        "was just a cold",
        NEGATED,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["was", "is", "'s", "were"]}},
            {"LOWER": {"IN": ["just", "only", "from", "due", "down"]}, "OP": "*"},
            {"LOWER": {"IN": ["to", "a", "the"]}, "OP": "*"},
            {"LOWER": {"IN": ["cold", "flu", "virus", "bug", "covid", "infection"]}},
        ],
        max_scope=6,
        allowed_types=[v.FEVER],
    ),
    _rule(
        "no problems from it",
        NEGATED,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["no", "without", "never"]}},
            {
                "LOWER": {
                    "IN": [
                        "problems",
                        "problem",
                        "issues",
                        "issue",
                        "trouble",
                        "effects",
                        "damage",
                        "injury",
                    ]
                }
            },
            {"LOWER": {"IN": ["from", "since", "after"]}},
            {"LOWER": {"IN": ["it", "that", "then"]}},
        ],
        max_scope=12,
    ),
    # --- family: medspaCy's list has "mother", "husband"; visitors write "mum", "hubby"
    _rule(
        "mum",
        FAMILY,
        "FORWARD",
        [
            {
                "LOWER": {
                    "IN": [
                        "mum",
                        "mom",
                        "mam",
                        "mums",
                        "moms",
                        "dad",
                        "dads",
                        "pa",
                        "nan",
                        "nana",
                        "gran",
                        "granny",
                        "grandma",
                        "grandad",
                        "grandpa",
                        "auntie",
                        "aunty",
                        "hubby",
                        "relative",
                        "relatives",
                        "twin",
                        "bro",
                        "sis",
                        "friend",
                        "friends",
                        "neighbour",
                        "neighbor",
                        "colleague",
                        "boyfriend",
                        "girlfriend",
                        "fiance",
                        "fiancee",
                    ]
                }
            },
            {"LOWER": {"IN": ["'s", "'"]}, "OP": "?"},
        ],
    ),
    _rule(
        "in my family",
        FAMILY,
        "BACKWARD",
        [
            {"LOWER": {"IN": ["in", "runs", "through"]}},
            {"LOWER": {"IN": ["my", "the", "our"]}},
            {"LOWER": {"IN": ["family", "families"]}},
        ],
        max_scope=8,
    ),
    # a cancer scare that was benign: "turned out to be a harmless cyst"
    _rule(
        "cancer scare",
        NEGATED,
        "BIDIRECTIONAL",
        [
            {"LOWER": {"IN": ["scare", "scares", "benign", "harmless", "cyst", "false"]}},
        ],
        max_scope=8,
        allowed_types=[v.CANCER],
    ),
    # --- cancer: "in remission", "five years clear" and "cancer free" tell of a history of
    # cancer, which is itself the red flag (with new back pain): historical, not negated
    _rule(
        "clear",
        HISTORICAL,
        "BIDIRECTIONAL",
        [
            {
                "LOWER": {
                    "IN": [
                        "clear",
                        "free",
                        "remission",
                        "survivor",
                        "beat",
                        "beaten",
                        "treated",
                        "had",
                        "finished",
                        "after",
                        "since",
                    ]
                }
            }
        ],
        max_scope=10,
        allowed_types=[v.CANCER],
    ),
    # --- terminations: a new clause ends a trigger's scope ("no fever, i've been wetting
    # myself"); a list after a trigger continues it ("no fever, weakness or numbness")
    _rule(
        ", i",
        "TERMINATE",
        "TERMINATE",
        [
            {"LOWER": {"IN": [",", ";", "-", "..."]}},
            {
                "LOWER": {
                    "IN": [
                        "i",
                        "i've",
                        "ive",
                        "i'm",
                        "im",
                        "my",
                        "it",
                        "it's",
                        "its",
                        "now",
                        "and",
                        "he",
                        "she",
                        "his",
                        "her",
                        "we",
                        "they",
                        "since",
                        "this",
                        "yesterday",
                        "today",
                        "tonight",
                        "last",
                        "then",
                        "also",
                        "plus",
                    ]
                }
            },
        ],
    ),
    # "my bowels aren't working and i can't feel when i need to go": a new clause
    _rule(
        "and i",
        "TERMINATE",
        "TERMINATE",
        [
            {"LOWER": {"IN": ["and", "&", "plus"]}},
            {
                "LOWER": {
                    "IN": [
                        "i",
                        "i've",
                        "ive",
                        "i'm",
                        "im",
                        "my",
                        "it",
                        "it's",
                        "its",
                        "he",
                        "she",
                        "his",
                        "her",
                        "we",
                        "they",
                        "now",
                        "also",
                    ]
                }
            },
        ],
    ),
    _rule(
        "and now",
        "TERMINATE",
        "TERMINATE",
        [
            {
                "LOWER": {
                    "IN": [
                        "now",
                        "recently",
                        "lately",
                        "suddenly",
                        "currently",
                        "today",
                        "yesterday",
                        "tonight",
                        "since",
                        "plus",
                        "also",
                    ]
                }
            }
        ],
    ),
    # ", just an ache": what follows is what the visitor has (not "someone who'd just had")
    _rule(
        "just",
        "TERMINATE",
        "TERMINATE",
        [{"LOWER": {"IN": [",", "but", ";", "-", "."]}}, {"LOWER": {"IN": ["just", "only"]}}],
    ),
    _rule("apart", "TERMINATE", "TERMINATE", [{"LOWER": "apart"}]),
]


# medspaCy rules left out: form-style answers ("Fever: no") that in a visitor's message end a
# list of what they do NOT have ("none of them: no numbness in my groin"), hiding the "no".
EXCLUDED_DEFAULTS = frozenset({": no", ": none"})


def patient_rules() -> list[Rule]:
    """The lay ConText rules, as dicts of ``medspacy.context.ConTextRule`` arguments."""
    return [dict(rule) for rule in PATIENT_RULES]
