"""Reading the preferred days and times a visitor types into the booking form.

Rules chosen for preferred days and times (``normalise_times``):

* Options keep their own day and part of day; they are joined by "; " in the visitor's order,
  each written "<Weekday> <YYYY-MM-DD>[ <part of day or time>]". Groups are written "weekdays",
  "weekend", or with dates when a week is named ("weekdays 2026-12-07 to 2026-12-11").
* A bare weekday is its next occurrence after today: today never counts ("today" says that).
  "this tuesday" is the coming Tuesday, today included; "next tuesday" is the Tuesday of next
  week (weeks run Monday to Sunday, so on a Sunday "next monday" is tomorrow). A "next" or
  "this" carries on to bare weekdays written after it ("next sat or sun": both next week).
* "this week" / "next week" / "the week after next" qualify every weekday (and "weekdays",
  "weekend") without a qualifier of its own: each takes the nearest such phrase after it, else
  the nearest before it. A day of "this week" that has passed is left out. A week phrase that
  qualifies nothing stands for the week itself ("next week" -> "week 2026-12-07 to 2026-12-13").
* A part of day or time goes with the day in the same stretch of words (between commas, "or",
  "and"): the day before it, else the day after it. So "monday or tuesday morning" gives Tuesday
  a morning, Monday none. A part of day reads for every day still without one when it is set
  apart from them by a comma only ("monday or tuesday, mornings"; "mornings, tuesday or
  thursday") or written in the plural straight after them ("monday or tuesday mornings").
  Joined by "or"/"and" it is another choice: of the day before it when that day has a time
  already ("tuesday morning or afternoon"), else an option of its own ("weekends or evenings").
* Days and times the visitor rules out are left out: a "not", "can't", "except"... rules out
  what follows it in its clause ("not monday"), else what precedes it ("monday's no good").
* Numeric dates: "14/12" and "12/14" read the only way they can; an ambiguous "03/12" takes the
  reading on the weekday written beside it, else ``region``'s order (month first for the US, its
  territories and the Philippines, day first elsewhere), and is left out without a region. A
  date without a year is its next occurrence; a past date is left out.
* A time without am/pm from 1 to 7 is afternoon ("after 5" -> "after 17:00").
* "asap", "as soon as possible", "earliest" are an option of their own; "whenever", "any time",
  "flexible" give "as soon as possible" only when nothing more precise is understood.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import TypeAlias

from actions.parsing._text import _words, clean_text

_ASAP = "as soon as possible"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
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
)
_ABBREVIATIONS = (
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("tues", "tuesday"),
    ("wed", "wednesday"),
    ("weds", "wednesday"),
    ("thu", "thursday"),
    ("thur", "thursday"),
    ("thurs", "thursday"),
    ("thr", "thursday"),
    ("thrs", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "september"),
    ("sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
    ("tmrw", "tomorrow"),
    ("tmr", "tomorrow"),
    ("tmw", "tomorrow"),
    ("tomoz", "tomorrow"),
    ("morn", "morning"),
    ("arvo", "afternoon"),
    ("wk", "week"),
    ("nxt", "next"),
    ("wknd", "weekend"),
    ("wkend", "weekend"),
    ("wkday", "weekday"),
    ("wkdays", "weekdays"),
)
_FUZZY_TARGETS = (
    *_WEEKDAYS,
    *(f"{day}s" for day in _WEEKDAYS),
    *(month for month in _MONTHS if len(month) > 6),
    "today",
    "tomorrow",
    "morning",
    "mornings",
    "afternoon",
    "afternoons",
    "evening",
    "evenings",
    "weekend",
    "weekends",
    "weekday",
    "weekdays",
    "lunchtime",
)
# Real words a typo fix would otherwise turn into a day or time word.
_FUZZY_GUARD = _words(
    """
    emending endings enlivening evensong evensongs everting evidencing evincing frays majoring
    moaning moanings mooning mooring moorings morphing motoring mounting mountings mourning
    mournings strays sturdy sundae sundaes sundials sundry weakened weakens weedy
    """
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_MERIDIEM = re.compile(r"(?<![a-z])([ap])\.\s?m(?![a-z])\.?")
_WD = "|".join(_WEEKDAYS)
_MON = "|".join(_MONTHS)
_REWRITES = (
    (re.compile(r"\b(?:week|work(?:ing)?|business)[ -]?days?\b|\bduring the week\b"), "weekdays"),
    (re.compile(r"\bweek[ -]?ends?\b"), "weekend"),
    (re.compile(r"\bthis (morning|afternoon|evening)\b"), r"today \1"),
    (re.compile(r"\btonight\b"), "today evening"),
    (re.compile(rf"\b(today|tomorrow|{_WD}|{_MON})s? am\b"), r"\1 morning"),
    (re.compile(rf"\b(today|tomorrow|{_WD}|{_MON})s? pm\b"), r"\1 afternoon"),
    (re.compile(r"\b(any ?day|any ?time|anything|all) but\b"), r"\1 except"),
    (re.compile(r"\b(?:no later than|not later than|not after)\b"), "before"),
    (re.compile(r"\b(?:no earlier than|not earlier than|not before)\b"), "after"),
)
_MONTH_FIRST_REGIONS = _words("US PH PR GU VI AS MP UM FM MH PW")
_TIME_WORDS = (
    ("after", "after"),
    ("from", "after"),
    ("since", "after"),
    ("before", "before"),
    ("by", "before"),
    ("until", "before"),
    ("till", "before"),
    ("til", "before"),
    ("at", ""),
    ("around", "around"),
    ("about", "around"),
    ("approx", "around"),
    ("approximately", "around"),
)
_PHRASE_PARTS = (
    ("after work", "evening"),
    ("after school", "afternoon"),
    ("after lunch", "afternoon"),
    ("before work", "early morning"),
    ("before lunch", "morning"),
    ("first thing", "early morning"),
    ("end of the day", "late afternoon"),
    ("end of day", "late afternoon"),
)


@dataclass(frozen=True)
class _Context:
    """What a reading depends on besides the words: today, and how to read "03/12"."""

    today: date
    day_first: bool | None


@dataclass(frozen=True)
class _Anchor:
    """Something that names days: a date, a weekday or weekday range, weekdays, weekend, week."""

    pos: int
    first: int = 0
    last: int = 0
    name: str = ""
    week: int | None = None
    upcoming: bool = False
    fixed: date | None = None


@dataclass(frozen=True)
class _Part:
    """A part of day or a time ("morning", "after 17:00")."""

    pos: int
    text: str
    plural: bool = False


@dataclass(frozen=True)
class _Mark:
    """A word that shapes the reading: asap, weak, week, neg, break (clause) or sep ("or")."""

    pos: int
    kind: str
    week: int = 0


_Item: TypeAlias = "_Anchor | _Part | _Mark"
_Handler: TypeAlias = "Callable[[re.Match[str], _Context], list[_Item] | None]"
_Times: TypeAlias = "dict[int, list[tuple[str, ...]]]"


def _lookup(pairs: Sequence[tuple[str, str]], key: str) -> str | None:
    """The value paired with ``key``, if any."""
    return next((value for name, value in pairs if name == key), None)


def _canonical_word(word: str) -> str:
    """A day, month or time word with its abbreviation or typo fixed ("tuesdy" -> "tuesday")."""
    full = _lookup(_ABBREVIATIONS, word)
    if full is not None:
        return full
    if len(word) < 5 or word in _FUZZY_TARGETS or word in _FUZZY_GUARD:
        return word
    close = difflib.get_close_matches(word, _FUZZY_TARGETS, n=1, cutoff=0.8)
    return close[0] if close and close[0][0] == word[0] else word


def _normalise_words(text: str) -> str:
    """Lower-case text with abbreviations, typos and set phrases put in one form."""
    lowered = clean_text(text).lower().replace("’", "'").replace("‘", "'").replace("–", "-")
    lowered = _MERIDIEM.sub(r"\1m", lowered)
    lowered = _WORD.sub(lambda match: _canonical_word(match.group()), lowered)
    for pattern, replacement in _REWRITES:
        lowered = pattern.sub(replacement, lowered)
    return lowered


def _calendar_day(year: int | None, month: int, day: int, today: date) -> date | None:
    """The date, or its next occurrence without a year; None when invalid or past."""
    years = [year + 2000 if year < 100 else year] if year else [today.year, today.year + 1]
    for candidate_year in years:
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _day_of_month(day: int, today: date) -> date | None:
    """The next "14th" from today, this month or a following one."""
    year, month = today.year, today.month
    for _ in range(3):
        found = _calendar_day(year, month, day, today)
        if found:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _numeric_date(
    numbers: tuple[int, int], year: int | None, weekday: str | None, context: _Context
) -> date | None:
    """ "14/12" or "12/14": the valid reading, else the one on ``weekday``, else the region's."""
    day_first = _calendar_day(year, numbers[1], numbers[0], context.today)
    month_first = _calendar_day(year, numbers[0], numbers[1], context.today)
    if not (day_first and month_first) or day_first == month_first:
        return day_first or month_first
    on_weekday = [d for d in (day_first, month_first) if _WEEKDAYS[d.weekday()] == weekday]
    if len(on_weekday) == 1:
        return on_weekday[0]
    if context.day_first is None:
        return None
    return day_first if context.day_first else month_first


def _fixed(match: re.Match[str], day: date | None) -> list[_Item] | None:
    """An anchor on one calendar day; else nothing, or the weekday written before it."""
    if day is None:
        return None if match.group("wd") else []
    return [_Anchor(match.start(), fixed=day)]


def _year(match: re.Match[str]) -> int | None:
    """The year group of a date match, if written."""
    written = match.group("y")
    return int(written) if written else None


def _on_iso(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "2026-12-14"."""
    day = _calendar_day(_year(match), int(match.group("m")), int(match.group("d")), context.today)
    return _fixed(match, day)


def _on_numeric(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "14/12", "12/14/2026", "14.12.2026"."""
    numbers = (int(match.group("a")), int(match.group("b")))
    day = _numeric_date(numbers, _year(match), match.group("wd"), context)
    return _fixed(match, day)


def _on_named_month(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "14 december", "dec 14th", "the 14th of december 2026"."""
    month = _MONTHS.index(match.group("m")) + 1
    day = _calendar_day(_year(match), month, int(match.group("d")), context.today)
    return _fixed(match, day)


def _on_ordinal(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "the 14th"."""
    return _fixed(match, _day_of_month(int(match.group("d")), context.today))


def _on_relative(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "today", "tomorrow", "the day after tomorrow"."""
    ahead = {"today": 0, "tomorrow": 1}.get(match.group("r"), 2)
    return [_Anchor(match.start(), fixed=context.today + timedelta(days=ahead))]


def _qualified(pos: int, first: int, last: int, qualifier: str | None) -> _Anchor:
    """Named days with "this"/"next" in front; Monday to Friday is "weekdays", and so on."""
    name = {(0, 4): "weekdays", (5, 6): "weekend"}.get((first, last), "")
    if qualifier == "next":
        return _Anchor(pos, first, last, name, week=1)
    if qualifier and name:
        return _Anchor(pos, first, last, name, week=0)
    return _Anchor(pos, first, last, name, upcoming=bool(qualifier))


def _on_weekdays(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "tuesday", "next tuesday", "this coming tuesday", "tuesday to thursday"."""
    first = _WEEKDAYS.index(match.group("a"))
    last = _WEEKDAYS.index(match.group("b")) if match.group("b") else first
    return [_qualified(match.start(), first, last, match.group("q"))]


def _on_group(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "weekdays", "this weekend", "next weekend"."""
    first, last = (0, 4) if match.group("g") == "weekdays" else (5, 6)
    week = {"this": 0, "next": 1}.get(match.group("q") or "")
    return [_Anchor(match.start(), first, last, match.group("g"), week=week)]


def _on_week(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "this week", "next week", "the week after next"."""
    offset = {"this": 0, "next": 1, "following": 1, "the following": 1}.get(match.group("q"), 2)
    return [_Mark(match.start(), "week", offset)]


def _clock(hour: int, minute: str | None, meridiem: str | None) -> str | None:
    """ "HH:MM" for an hour and minute; without am/pm, 1 to 7 o'clock is afternoon."""
    if meridiem in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif 1 <= hour <= 7:
        hour += 12
    minutes = int(minute or 0)
    return f"{hour:02d}:{minutes:02d}" if hour <= 23 and minutes <= 59 else None


def _on_time(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "5pm", "10:30", "after 5", "around noon"; a bare number is not a time."""
    prep, meridiem = match.group("p"), match.group("r")
    if not (prep or match.group("noon") or match.group("m") or meridiem):
        return None
    clock = (
        "12:00"
        if match.group("noon")
        else _clock(int(match.group("h")), match.group("m"), meridiem)
    )
    if clock is None:
        return None
    word = _lookup(_TIME_WORDS, prep or "at") or ""
    return [_Part(match.start(), f"{word} {clock}".strip())]


def _on_time_range(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "2-4pm", "between 10 and 12", "from 9am to 1"."""
    if match.group("c") == "and" and match.group("p") != "between":
        return None
    h1, h2 = int(match.group("h1")), int(match.group("h2"))
    in_order = h1 % 12 <= h2 % 12
    r1 = match.group("r1") or (match.group("r2") if in_order else None)
    r2 = match.group("r2") or (match.group("r1") if in_order else None)
    start, end = _clock(h1, match.group("m1"), r1), _clock(h2, match.group("m2"), r2)
    if start is None or end is None:
        return None
    return [_Part(match.start(), f"{start}-{end}")]


def _on_phrase_part(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "after work" (evening), "lunchtime", "first thing" (early morning)."""
    phrase = match.group("x")
    return [_Part(match.start(), _lookup(_PHRASE_PARTS, phrase) or "lunchtime")]


def _on_part(match: re.Match[str], context: _Context) -> list[_Item] | None:
    """ "morning", "late afternoons", "mid-morning", "nights" (evening)."""
    part = "evening" if match.group("part") == "night" else match.group("part")
    modifier = match.group("mod")
    text = f"mid-{part}" if modifier == "mid" else f"{modifier} {part}" if modifier else part
    return [_Part(match.start(), text, plural=bool(match.group("pl")))]


def _mark(kind: str) -> _Handler:
    """A handler that records a ``kind`` mark."""

    def handler(match: re.Match[str], context: _Context) -> list[_Item] | None:
        """The mark at the match."""
        return [_Mark(match.start(), kind)]

    return handler


_ON_DAY = rf"(?:(?:on |this |next )?(?P<wd>{_WD}),? (?:the )?)?"
_ORD = r"(?:st|nd|rd|th)"
_NOT_UNIT = (
    rf"(?![\d/]|{_ORD}\b| ?(?:of )?(?:{_MON})\b|"
    r" ?(?:weeks?|days?|months?|years?|hours?|hrs?|mins?|minutes?|times?|x)\b)"
)
_T1 = r"(?P<h1>\d{1,2})(?:[:.](?P<m1>\d{2}))? ?(?P<r1>am|pm)?"
_T2 = r"(?P<h2>\d{1,2})(?:[:.](?P<m2>\d{2}))? ?(?P<r2>am|pm)?"
_PREPS = "|".join(name for name, _ in _TIME_WORDS)
_RULES: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (
        re.compile(
            r"(?:asap|as soon as (?:possible|poss|you can)|soonest|(?:the )?earliest"
            r"(?: possible| available)?|(?:first|next) available|as early as possible|"
            r"the sooner the better)\b"
        ),
        _mark("asap"),
    ),
    (
        re.compile(
            r"(?:whenever|any ?time|any ?day|any ?when|flexible|no preference|(?:i )?don'?t mind|"
            r"doesn'?t matter|not fussed|24/7)\b"
        ),
        _mark("weak"),
    ),
    (re.compile(r"(?:the )?(?P<r>day after tomorrow|today|tomorrow)\b"), _on_relative),
    (
        re.compile(
            r"(?:(?:later|early|earlier|end of|the end of) )?(?:(?P<q>this|next|the following|"
            r"following) week|(?:the )?week after next)\b"
        ),
        _on_week,
    ),
    (re.compile(rf"{_ON_DAY}(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})\b"), _on_iso),
    (
        re.compile(
            rf"{_ON_DAY}(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?(?![\d/])"
        ),
        _on_numeric,
    ),
    (
        re.compile(
            rf"{_ON_DAY}(?P<a>\d{{1,2}})(?P<s>[.-])(?P<b>\d{{1,2}})(?P=s)(?P<y>\d{{4}}|\d{{2}})\b"
        ),
        _on_numeric,
    ),
    (re.compile(rf"{_ON_DAY}(?P<a>\d{{1,2}})\.(?P<b>\d{{1,2}})\.(?!\d)(?P<y>)"), _on_numeric),
    (
        re.compile(
            rf"{_ON_DAY}(?:the )?(?P<d>\d{{1,2}}){_ORD}? ?(?:of )?(?P<m>{_MON})\b"
            rf"(?:,? (?P<y>\d{{4}})\b)?"
        ),
        _on_named_month,
    ),
    (
        re.compile(
            rf"{_ON_DAY}(?P<m>{_MON}),? (?:the )?(?P<d>\d{{1,2}}){_ORD}?\b"
            rf"(?! ?(?:am|pm|o'?clock)\b|[:.]\d)(?:,? (?P<y>\d{{4}})\b)?"
        ),
        _on_named_month,
    ),
    (re.compile(rf"{_ON_DAY}(?:the )?(?P<d>\d{{1,2}}){_ORD}\b"), _on_ordinal),
    (
        re.compile(
            rf"(?:(?P<q>this coming|this|coming|next) )?(?P<a>{_WD})s? ?"
            rf"(?:-|to|through|thru|till|until) ?(?P<b>{_WD})s?\b"
        ),
        _on_weekdays,
    ),
    (
        re.compile(rf"(?:(?P<q>this coming|this|coming|next) )?(?P<a>{_WD})(?:s|'s)?\b(?P<b>)"),
        _on_weekdays,
    ),
    (re.compile(r"(?:(?P<q>this|next|the) )?(?P<g>weekdays|weekend)\b"), _on_group),
    (
        re.compile(
            rf"(?:(?P<p>between|from) )?{_T1} ?(?P<c>-|to|till|until|til|and) ?{_T2}{_NOT_UNIT}"
        ),
        _on_time_range,
    ),
    (
        re.compile(
            rf"(?:(?P<p>{_PREPS}) )?(?:(?P<noon>noon|midday)|(?P<h>\d{{1,2}})"
            rf"(?:[:.](?P<m>\d{{2}}))? ?(?P<r>am|pm|o'?clock)?){_NOT_UNIT}"
        ),
        _on_time,
    ),
    (
        re.compile(
            r"(?P<x>after work|after school|after lunch|before work|before lunch|first thing|"
            r"end of (?:the )?day|(?:at |over |around )?lunch ?(?:time|break)?)s?\b"
        ),
        _on_phrase_part,
    ),
    (
        re.compile(
            r"(?:(?P<mod>early|late|mid)[ -]?)?(?P<part>morning|afternoon|evening|night)"
            r"(?P<pl>s)?\b"
        ),
        _on_part,
    ),
    (
        re.compile(
            r"(?:not|no|never|can't|cant|cannot|can not|couldn't|won't|wont|isn't|aren't|"
            r"doesn't|don't|busy|unavailable|except|excluding|apart from|other than|besides)\b"
        ),
        _mark("neg"),
    ),
    (
        re.compile(r"(?:[,;.!?]|(?:but|though|however|although|so|instead|unless)\b)"),
        _mark("break"),
    ),
    (
        re.compile(r"(?:(?:or|and|either|also|otherwise|alternatively|then|plus)\b|[/&+])"),
        _mark("sep"),
    ),
)
_SKIP = re.compile(r"\w+(?:'\w+)?|\s+|.", re.DOTALL)


def _match_rule(text: str, pos: int, context: _Context) -> tuple[int, list[_Item]] | None:
    """The first rule that reads something at ``pos``: where it ends and what it found."""
    for pattern, handler in _RULES:
        match = pattern.match(text, pos)
        if match:
            found = handler(match, context)
            if found is not None:
                return match.end(), found
    return None


def _scan(text: str, context: _Context) -> list[_Item]:
    """Days, times and shaping words of normalised ``text``, in order."""
    items: list[_Item] = []
    pos = 0
    while pos < len(text):
        found = _match_rule(text, pos, context)
        if found:
            pos, new_items = found
            items.extend(new_items)
        else:
            skipped = _SKIP.match(text, pos)
            pos = skipped.end() if skipped else pos + 1
    return items


def _is(item: _Item, kind: str) -> bool:
    """Whether ``item`` is a mark of ``kind``."""
    return isinstance(item, _Mark) and item.kind == kind


def _nameable(item: _Item) -> bool:
    """Whether ``item`` is a day, a week or a time, which a "not" can rule out."""
    return not isinstance(item, _Mark) or item.kind == "week"


def _ruled_out(items: Sequence[_Item]) -> set[int]:
    """Indexes of the days and times a "not" rules out: after it in its clause, else before."""
    bounds = [-1, *(i for i, item in enumerate(items) if _is(item, "break")), len(items)]
    out: set[int] = set()
    for start, end in pairwise(bounds):
        for i in range(start + 1, end):
            if _is(items[i], "neg"):
                named = [j for j in range(start + 1, end) if _nameable(items[j])]
                after = [j for j in named if j > i]
                out.update(after or [j for j in named if j < i])
    return out


def _takes_week(item: _Item) -> bool:
    """Whether a "next week" elsewhere in the message qualifies this item."""
    return (
        isinstance(item, _Anchor) and item.fixed is None and item.week is None and not item.upcoming
    )


def _week_source(weeks: Sequence[tuple[int, _Mark]], index: int) -> tuple[int, _Mark] | None:
    """The week phrase for the item at ``index``: the nearest after it, else before it."""
    later = [week for week in weeks if week[0] > index]
    earlier = [week for week in weeks if week[0] < index]
    return later[0] if later else earlier[-1] if earlier else None


def _carry_qualifiers(items: Sequence[_Item]) -> list[_Item]:
    """ "next sat or sun": a "next" or "this" carries on to the bare weekdays written after it."""
    result: list[_Item] = []
    qualified: _Anchor | None = None
    for item in items:
        if isinstance(item, _Anchor) and not item.name and item.fixed is None:
            if qualified and _takes_week(item):
                item = replace(item, week=qualified.week, upcoming=qualified.upcoming)
            qualified = item if item.week is not None or item.upcoming else None
        result.append(item)
    return result


def _apply_weeks(items: Sequence[_Item]) -> list[_Item]:
    """Weekdays qualified by the nearest week phrase; an unused week phrase is the week itself."""
    weeks = [
        (i, item) for i, item in enumerate(items) if isinstance(item, _Mark) and item.kind == "week"
    ]
    if not weeks:
        return _carry_qualifiers(items)
    result: list[_Item] = list(items)
    used: set[int] = set()
    for i, item in enumerate(items):
        source = _week_source(weeks, i)
        if source and isinstance(item, _Anchor) and _takes_week(item):
            result[i] = replace(item, week=source[1].week)
            used.add(source[0])
    for i, mark in weeks:
        result[i] = mark if i in used else _Anchor(mark.pos, 0, 6, "week", week=mark.week)
    return [item for i, item in enumerate(result) if i not in used]


@dataclass(frozen=True)
class _Segment:
    """Days and times between separators; ``joined`` when an "or"/"and" comes before them."""

    items: tuple[_Anchor | _Part, ...]
    joined: bool


def _segments(items: Sequence[_Item]) -> list[_Segment]:
    """Runs of days and times between separators ("or", "and", commas)."""
    segments: list[_Segment] = []
    current: list[_Anchor | _Part] = []
    joined = False
    for item in [*items, _Mark(-1, "break")]:
        if not isinstance(item, _Mark):
            current.append(item)
        elif item.kind in ("sep", "break"):
            if current:
                segments.append(_Segment(tuple(current), joined))
                current, joined = [], False
            joined = joined or item.kind == "sep"
    return segments


def _texts(parts: Sequence[_Anchor | _Part]) -> tuple[str, ...]:
    """The distinct texts of the parts, in order."""
    return tuple(dict.fromkeys(p.text for p in parts if isinstance(p, _Part)))


def _owner(anchors: Sequence[int], index: int) -> int:
    """The anchor a part at ``index`` goes with: the nearest before it, else the first after."""
    before = [a for a in anchors if a < index]
    return before[-1] if before else anchors[0]


def _within(segment: Sequence[_Anchor | _Part]) -> list[tuple[_Anchor, tuple[str, ...], bool]]:
    """Each day of a segment with the times written beside it, and whether one is plural."""
    indexes = [i for i, item in enumerate(segment) if isinstance(item, _Anchor)]
    paired = []
    for i, anchor in enumerate(segment):
        if isinstance(anchor, _Anchor):
            parts = [
                p for j, p in enumerate(segment) if isinstance(p, _Part) and _owner(indexes, j) == i
            ]
            paired.append((anchor, _texts(parts), any(p.plural for p in parts)))
    return paired


def _spread_plural(
    anchors: Sequence[_Anchor],
    times: _Times,
    anchor: _Anchor,
    group: tuple[str, ...],
) -> None:
    """ "monday or tuesday mornings": the plural also reads for the bare days just before."""
    for other in reversed([a for a in anchors if a.pos < anchor.pos]):
        if times[other.pos]:
            return
        times[other.pos].append(group)


def _floating_targets(
    segments: Sequence[_Segment], index: int, anchors: Sequence[_Anchor], times: _Times
) -> list[_Anchor]:
    """Days a time standing apart reads for (see the module docstring); none: its own option."""
    pos = segments[index].items[0].pos
    before = [a for a in anchors if a.pos < pos]
    toward_days = segments[index] if before else segments[min(index + 1, len(segments) - 1)]
    bare = [a for a in anchors if not times[a.pos]]
    if bare and not toward_days.joined:
        return bare
    return before[-1:] if before and times[before[-1].pos] else []


def _attach_floating(
    segments: Sequence[_Segment], anchors: Sequence[_Anchor], times: _Times
) -> list[tuple[int, tuple[str, ...]]]:
    """Times standing apart given to their days; those for no day are returned as options."""
    floating: list[tuple[int, tuple[str, ...]]] = []
    targets: list[_Anchor] = []
    previous = -2
    for index, segment in enumerate(segments):
        if any(isinstance(item, _Anchor) for item in segment.items):
            continue
        if index != previous + 1:
            targets = _floating_targets(segments, index, anchors, times)
        previous = index
        for target in targets:
            times[target.pos].append(_texts(segment.items))
        if not targets:
            floating.append((segment.items[0].pos, _texts(segment.items)))
    return floating


def _pair(segments: Sequence[_Segment]) -> tuple[_Times, list[tuple[int, tuple[str, ...]]]]:
    """Times of each day (by position), and times that are options of their own."""
    anchors = [item for segment in segments for item in segment.items if isinstance(item, _Anchor)]
    times: _Times = {a.pos: [] for a in anchors}
    plurals = []
    for segment in segments:
        for anchor, group, plural in _within(segment.items):
            if group:
                times[anchor.pos].append(group)
                if plural:
                    plurals.append((anchor, group))
    for anchor, group in plurals:
        _spread_plural(anchors, times, anchor, group)
    return times, _attach_floating(segments, anchors, times)


def _day_label(day: date) -> str:
    """ "Tuesday 2026-12-08"."""
    return f"{_WEEKDAYS[day.weekday()].title()} {day.isoformat()}"


def _span(anchor: _Anchor, today: date) -> tuple[date, date]:
    """First and last day an anchor without a fixed date stands for (first may be after last)."""
    length = timedelta(days=(anchor.last - anchor.first) % 7)
    if anchor.week is None:
        gap = anchor.first - today.weekday()
        ahead = gap % 7 if anchor.upcoming else (gap - 1) % 7 + 1
        start = today + timedelta(days=ahead)
        return start, start + length
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=anchor.week)
    first = monday + timedelta(days=anchor.first)
    return max(first, today), first + length


def _label(anchor: _Anchor, today: date) -> str | None:
    """How an anchor is written; None when its days have passed."""
    if anchor.fixed is not None:
        return _day_label(anchor.fixed)
    if anchor.week is None and anchor.name:
        return anchor.name
    start, end = _span(anchor, today)
    if end < start:
        return None
    if start == end:
        return _day_label(start)
    if anchor.name:
        return f"{anchor.name} {start.isoformat()} to {end.isoformat()}"
    return f"{_day_label(start)} to {_day_label(end)}"


def _options(items: Sequence[_Item], today: date) -> list[str]:
    """The visitor's options, each a day with its times, in the order given, without repeats."""
    segments = _segments(items)
    times, floating = _pair(segments)
    entries = [(item.pos, _ASAP) for item in items if _is(item, "asap")]
    for segment in segments:
        for anchor in (item for item in segment.items if isinstance(item, _Anchor)):
            label = _label(anchor, today)
            if label:
                entries.extend(
                    (anchor.pos, " ".join((label, *group))) for group in times[anchor.pos] or [()]
                )
    entries.extend((pos, " ".join(group)) for pos, group in floating)
    entries.sort(key=lambda entry: entry[0])
    return list(dict.fromkeys(text for _, text in entries))


def _day_first(region: str | None) -> bool | None:
    """Whether "03/12" is 3 December in ``region``; None when no region is known."""
    if not region:
        return None
    return region.upper() not in _MONTH_FIRST_REGIONS


def normalise_times(text: str | None, now: datetime, region: str | None = None) -> str | None:
    """A normalised reading of preferred days and times, or None when nothing is understood.

    "tuesday afternoon or thursday morning next week" on Wednesday 2026-12-02 ->
    "Tuesday 2026-12-08 afternoon; Thursday 2026-12-10 morning"; "asap" -> "as soon as possible";
    "any weekday morning" -> "weekdays morning". The rules are in the module docstring.
    """
    items = _scan(_normalise_words(text or ""), _Context(now.date(), _day_first(region)))
    ruled_out = _ruled_out(items)
    kept = [item for i, item in enumerate(items) if i not in ruled_out and not _is(item, "neg")]
    options = _options(_apply_weeks(kept), now.date())
    if not options and not ruled_out and any(_is(item, "weak") for item in items):
        return _ASAP
    return "; ".join(options) or None
