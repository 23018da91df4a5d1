"""Answers to the booking questions: yes or no, new or returning, a reason for the visit."""

from __future__ import annotations

import re

import phonenumbers

from actions.parsing._contact import _EMAIL_CANDIDATE, _unspell_emails
from actions.parsing._text import _CLINIC_WORDS, _phrases, _plain, _words, clean_text

# --- yes or no --------------------------------------------------------------------------------

_YES_PHRASES = _phrases(
    """
    yes|y|yeah|yea|ya|yep|yup|aye|sure|sure thing|ok|okay|k|alright|all right|of course|
    yes please|yes thanks|yes thank you|please|please do|that's fine|thats fine|that is fine|
    fine|go ahead|go for it|absolutely|definitely|certainly|correct|that's right|right|
    sounds good|perfect|great|yes that's fine|yes it is|ok thanks|okay thanks|why not
    """
)
_NO_PHRASES = _phrases(
    """
    no|n|nope|nah|no thanks|no thank you|rather not|i'd rather not|id rather not|
    i would rather not|not really|no way|negative|don't|do not|please don't|not now|never|
    not at all|no please|definitely not|certainly not
    """
)
_YES_WORDS = _words("yes yeah yea yep yup sure ok okay absolutely definitely certainly")
_NO_WORDS = _words("no nope nah never")
_NEGATION = re.compile(r"\b(?:not|no|never|don't|dont|won't|can't|cannot)\b|n't\b")
_UNSURE = re.compile(
    r"\b(?:don'?t know|do not know|dunno|idk|not sure|unsure|maybe|perhaps|possibly|no idea|"
    r"not certain|can'?t remember|don'?t remember)\b"
)


def _yes_no_phrase(text: str) -> bool | None:
    """True or False when plain ``text`` is exactly a yes or a no phrase, else None."""
    text = text.strip()
    if text in _YES_PHRASES:
        return True
    if text in _NO_PHRASES:
        return False
    return None


def parse_yes_no(text: str | None) -> bool | None:
    """True for a yes ("yes", "sure", "go ahead"), False for a no ("nope"), None when unclear."""
    cleaned = clean_text(text).lower().replace("’", "'")
    clause = _plain(re.split(r"[,.!;:?]", cleaned, maxsplit=1)[0])
    answer = _yes_no_phrase(clause)
    if answer is not None:
        return answer
    if not clause or _UNSURE.search(_plain(cleaned)):
        return None
    first = clause.split()[0]
    if first in _NO_WORDS:
        return False
    if first in _YES_WORDS and not _NEGATION.search(clause):
        return True
    return None


# --- new or returning -------------------------------------------------------------------------

_STATUS_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b(?:not|no longer) (?:a )?new\b|\bnot (?:my|the|for the) first\b|"
            r"\b(?:haven't|havent|have not|not) been (?:in|for|here for) (?:a while|a long time|"
            r"a bit|ages|years|months|some time)\b|\bnot since\b|\b(?:haven't|havent) been since\b"
        ),
        "returning",
    ),
    (
        re.compile(
            r"\bnever\b|\bnot (?:been|visited|come|yet|before|really)\b|\bhaven'?t\b|"
            r"\bhave not\b|\bfirst (?:time|visit|appointment|session|consultation)\b|"
            r"\bnew (?:patient|here|client|to)\b|\b(?:i'm|i am|im) (?:a )?(?:brand )?new\b|"
            r"\bbrand new\b|^(?:a )?new(?: one)?$|\bdon'?t think so\b"
        ),
        "new",
    ),
    (
        re.compile(
            r"\b(?:been|came|come|visited|seen|was here|were here)\b.*\b(?:before|previously)\b|"
            r"\breturning\b|\bexisting\b|\balready (?:a )?(?:patient|client|been)\b|"
            r"\blast (?:year|month|week|time|summer|winter|spring|autumn|fall)\b|"
            r"\b(?:years?|months?|weeks?|a while) ago\b|\bwhile back\b|"
            r"\b(?:a few|a couple of|several|many|a number of) times\b|\bonce\b|\btwice\b|"
            r"\bsecond (?:time|visit)\b|\b(?:back again|coming back|come back)\b|"
            r"\bbeen a while\b|\bused to (?:come|go|see)\b|\bregular\b|\bprevious(?:ly)?\b|"
            r"\b(?:i've|ive|i have) been (?:here|there|in|to|once|twice|a few|several|many)\b|"
            r"^(?:yes )?i (?:have|did)$|\bi think so\b"
        ),
        "returning",
    ),
)


def parse_patient_status(text: str | None) -> str | None:
    """ "new" or "returning" from an answer to "Have you been to the clinic before?"."""
    plain = _plain(text)
    for pattern, status in _STATUS_RULES:
        if pattern.search(plain):
            return status
    answer = parse_yes_no(text)
    if answer is None:
        return None
    return "returning" if answer else "new"


# --- reason for the visit ---------------------------------------------------------------------

_FILLER_WORDS = _words(
    """
    hi hello hey hiya good morning afternoon evening thanks thank you cheers bye goodbye yes
    yeah yep yup no nope nah ok okay sure fine please y n maybe idk dunno not don't dont know
    nothing none na n/a test testing my me i i'm im it's its is it email e-mail mail phone number
    mobile cell call text on at the a name hmm um uh lol what why whatever skip there
    """
)
_NAME_INTRO = re.compile(r"^(?:my name is|my name's|name is|name's|call me)\b", re.IGNORECASE)
_NAME_PAIR = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:[ '’-][^\W\d_][^\W\d_'’.-]*){0,2}\.?$")


def _without_contacts(text: str, region: str) -> str:
    """``text`` with e-mail addresses and phone numbers taken out."""
    rest = _EMAIL_CANDIDATE.sub(" ", _unspell_emails(text))
    for match in phonenumbers.PhoneNumberMatcher(rest, region or "US", leniency=0):
        rest = rest.replace(match.raw_string, " ")
    return rest


def _looks_like_full_name(text: str) -> bool:
    """Whether ``text`` is two or three capitalised words and nothing clinical ("Jane Doe")."""
    words = text.strip(" .").split()
    if not 2 <= len(words) <= 3 or not _NAME_PAIR.match(text.strip(" .")):
        return False
    if not all(word[:1].isupper() for word in words):
        return False
    return not any(word.lower() in _CLINIC_WORDS for word in words)


def looks_like_reason(text: str | None, region: str) -> bool:
    """Whether ``text`` reads as a reason for a visit, not a contact, name, greeting or reply."""
    rest = clean_text(_without_contacts(clean_text(text), region))
    if sum(ch.isalpha() for ch in rest) < 3 or _NAME_INTRO.match(rest):
        return False
    plain = _plain(rest)
    if _yes_no_phrase(plain) is not None or all(w in _FILLER_WORDS for w in plain.split()):
        return False
    return not _looks_like_full_name(rest)
