"""Every public route fuzzed with Hypothesis (issue 8, "Hardening"): bodies, headers and sizes.

The property: no answer is a 5xx, no request goes unanswered, and after each test's fuzzing the
server still serves a normal request.

The Rasa routes are fuzzed on a second Rasa server (same arguments as the shared one, its own
port, its own conversations database, and the widget's rate limits raised), so that the
examples reach the message path and NLU instead of stopping at 429, and so that the shared
server's rate limits are left untouched for the other tests. The action server and the demo
website are the shared ones; no example names an action that files a booking request.

Examples are derandomised (no example database): a run is reproducible. Inputs that the
fuzzing found are also fixed examples or tests of their own: a body nested 100,000 deep, a lone
surrogate, a non-ASCII token, a JWT whose "alg" is not HS256, a header byte that is not UTF-8,
an entity value that is a list.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import requests
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from channels.limits import TokenSigner
from channels.token_rest import DEFAULT_MAX_LENGTH as REST_MAX_LENGTH
from tests.e2e.conftest import ROOT, Servers, free_port, start, stop, wait_until_up

pytestmark = pytest.mark.e2e

ORIGIN = "http://localhost:8080"  # allowed in the test credentials
TIMEOUT = 30.0
NORMAL_QUESTION = "what is dry needling?"


def fuzz_settings(examples: int) -> Any:
    """Reproducible (derandomised, no database), no deadline: one example is a request."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        # no explain phase: it reruns a failing example hundreds of times over HTTP
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --- what is sent, with a short repr for Hypothesis's report and the failure message ---


def short(value: object, limit: int = 120) -> str:
    """``repr(value)`` cut to ``limit`` characters, with the full length when cut."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...<{len(text)} chars>"


class Valid:
    """Stands for a token the server has just issued (fetched when the example runs)."""

    def __init__(self, tamper: bool = False) -> None:
        self.tamper = tamper

    def __repr__(self) -> str:
        return "<tampered token>" if self.tamper else "<valid token>"


class Body:
    """A request body: raw bytes, or a JSON document that may hold ``Valid`` placeholders."""

    def __init__(self, raw: bytes | None = None, document: object = None) -> None:
        self.raw = raw
        self.document = document

    def render(self, token: str) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(_fill(self.document, token)).encode()

    def needs_token(self) -> bool:
        return self.raw is None and _has_placeholder(self.document)

    def __repr__(self) -> str:
        return short(self.raw if self.raw is not None else self.document)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's report shows the short repr too, never a megabyte."""
        printer.text(repr(self))


class Text(str):
    """Text whose repr is short, for Hypothesis's report of a failing example."""

    def __repr__(self) -> str:
        return short(str(self))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


class Target:
    """A server under fuzzing and the secrets its tests need; its repr shows no secret."""

    def __init__(self, url: str, servers: Servers) -> None:
        self.url = url
        self.env = servers.env
        self.rest_headers = servers.rest_headers()

    def __repr__(self) -> str:
        return f"<{self.url}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _fill(document: object, token: str) -> object:
    if isinstance(document, Valid):
        if not document.tamper:
            return token
        flipped = "A" if token[0] != "A" else "B"
        return flipped + token[1:]
    if isinstance(document, dict):
        return {key: _fill(value, token) for key, value in document.items()}
    if isinstance(document, list):
        return [_fill(value, token) for value in document]
    return document


def _has_placeholder(document: object) -> bool:
    if isinstance(document, Valid):
        return True
    if isinstance(document, dict):
        return any(_has_placeholder(v) for v in document.values())
    if isinstance(document, list):
        return any(_has_placeholder(v) for v in document)
    return False


def call(
    method: str,
    url: str,
    *,
    route: str,
    shown: object,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: str | None = None,
) -> requests.Response:
    """Send one request; fail on no answer or a 5xx, naming the route and a short input."""
    try:
        reply = requests.request(
            method, url, data=data, headers=headers, params=params, timeout=TIMEOUT
        )
    except requests.RequestException as error:
        pytest.fail(f"{method} {route}: no answer ({type(error).__name__}) for {short(shown)}")
    assert reply.status_code < 500, (
        f"{method} {route} -> {reply.status_code} for {short(shown)}, "
        f"headers {short(headers)}, params {short(params)}: {reply.text[:200]!r}"
    )
    return reply


# --- strategies ---

# every code point: controls, surrogates (a JSON "\ud800" escape), private use, emoji
any_char = st.one_of(
    st.characters(),
    st.characters(max_codepoint=0x1F),
    st.characters(categories=["Cs"]),
    st.sampled_from(["\u200b", "\u202e", "\ufeff", "\ufffd", "\x00", "😀", "é"]),
)
INTERESTING_TEXTS = [
    NORMAL_QUESTION,
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE events; --",
    "/restart",
    "/session_start",
    "/greet",
    "/no_such_intent",
    '/faq{"faq_topic":"dry_needling"}',
    '/faq{"faq_topic": ',
    "/faq{not json}",
    '/faq{"faq_topic": [1, 2]}',
    '/faq{"faq_topic": {"a": 1}}',
    '/faq{"faq_topic": null}',
    '/book_appointment{"booking_reason": 5, "patient_status": [true]}',
    '/inform{"booking_name": {"a": [1, 2]}}',
    "/affirm" + "{" * 50,
    "{{name}} {0} %s %(x)s ${REST_TOKEN}",
    "\x00\x01\x02\x7f",
    "\ud800",
    "\r\n\r\nHTTP/1.1 200 OK",
    "I have numbness in my groin and can't control my bladder",
    "Book me in, my name is Sam, 07700 900123, sam@example.com",
]
texts = st.one_of(
    st.text(any_char, max_size=300),
    st.sampled_from(INTERESTING_TEXTS),
    st.builds(lambda a, b: a + b, st.sampled_from(INTERESTING_TEXTS), st.text(any_char)),
    st.builds(
        lambda piece, count: piece * count,
        st.sampled_from(["x", "é", "😀", "a ", "<b>", "\x00", " "]),
        st.sampled_from([999, 1000, 1001, 1500, 100_000]),
    ),
).map(Text)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(any_char, max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=15,
)
huge = st.builds(
    lambda piece, count: piece * count,
    st.sampled_from(["x", "é", "[", "{", '"', "\\", "."]),
    st.sampled_from([10_000, 100_000, 1_000_000]),
)
# [[[[...]]]] and {"a":{"a":...}} too deep for a recursive parser
deep_json = st.builds(
    lambda kind, depth: (
        "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth
    ).encode(),
    st.sampled_from(["list", "dict"]),
    st.sampled_from([100, 2_000, 100_000]),
)
raw_bodies = st.one_of(
    st.binary(max_size=2_000),
    st.text(any_char, max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    huge.map(str.encode),
    deep_json,
    st.sampled_from([b"", b"{", b"null", b"[]", b"{}", b'{"token":', b"\xff\xfe{}", b"\x00"]),
).map(lambda raw: Body(raw=raw))
json_bodies = json_values.map(lambda document: Body(document=document))


def header_text(max_size: int = 80) -> st.SearchStrategy[str]:
    """A value ``requests`` can send: Latin-1 (so bytes that are not UTF-8), no CR or LF, not
    starting with a space."""
    alphabet = st.characters(min_codepoint=0x20, max_codepoint=0xFF)
    return st.text(alphabet, min_size=1, max_size=max_size).filter(
        lambda value: re.fullmatch(r"\S[^\r\n]*", value) is not None
    )


# stands for the right secret of the server under test, filled in when the example runs
RIGHT = "<the right secret>"
credentials = st.one_of(
    st.just(RIGHT),
    st.just(RIGHT),
    st.just(RIGHT),
    st.none(),
    st.just("guessed-" + "x" * 40),
    header_text(),
)


content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=zzz",
            "multipart/form-data",
            "application/json; charset=latin-1",
            "application/json; charset=nonsense",
            "*/*",
        ]
    ),
    header_text(),
)
forwarded_for = st.one_of(
    st.none(),
    st.sampled_from(["1.2.3.4", "127.0.0.1, 10.0.0.1", "::1", "unknown", ",,,", "x" * 2_000]),
    header_text(),
)


def query_string(query: dict[str, str]) -> str:
    """``k=v&...``, percent-encoded from UTF-8 (a lone surrogate as its invalid bytes)."""
    return "&".join(
        f"{quote(k.encode('utf-8', 'surrogatepass'), safe='')}="
        f"{quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in query.items()
    )


def readable(text: str) -> bool:
    """Whether ``text`` has no lone surrogate (JSON can carry one: "\\ud800")."""
    return not any("\ud800" <= c <= "\udfff" for c in text)


def headers_from(**values: str | None) -> dict[str, str]:
    return {
        name.replace("_", "-").title(): value for name, value in values.items() if value is not None
    }


# --- a second Rasa server for the Rasa routes ---


@pytest.fixture(scope="module")
def rasa(servers: Servers) -> Iterator[Target]:
    """A Rasa server like the shared one, whose widget allows many messages a minute."""
    folder = servers.logs / "fuzz"
    folder.mkdir(exist_ok=True)
    credentials_file = folder / "credentials.yml"
    credentials_file.write_text(
        "channels.token_rest.TokenRestInput:\n"
        "  token: ${REST_TOKEN}\n"
        "channels.widget.WidgetInput:\n"
        f'  allowed_origins: ["{ORIGIN}"]\n'
        "  max_message_length: 1000\n"
        "  messages_per_minute: 100000\n"
        "  client_messages_per_minute: 100000\n",
        encoding="utf-8",
    )
    port = free_port()
    args = list(servers.rasa_args)
    args[args.index("--port") + 1] = str(port)
    args[args.index("--credentials") + 1] = str(credentials_file)
    env = {
        **servers.env,
        "CONVERSATIONS_DATABASE_URL": f"sqlite:///{folder / 'conversations.db'}",
    }
    log = folder / "rasa.log"
    process = start(args, log, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/webhooks/widget/", process, log)
        yield Target(url, servers)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def actions(servers: Servers) -> Target:
    """The shared action server."""
    return Target(servers.actions, servers)


def new_token(rasa: str) -> str:
    reply = requests.post(
        f"{rasa}/webhooks/widget/session", headers={"Origin": ORIGIN}, timeout=TIMEOUT
    )
    assert reply.status_code == 200, reply.text[:200]
    return str(reply.json()["token"])


def assert_widget_answers(rasa: str) -> None:
    """A new conversation and a normal question get the answer."""
    reply = requests.post(
        f"{rasa}/webhooks/widget/message",
        json={"token": new_token(rasa), "text": NORMAL_QUESTION},
        headers={"Origin": ORIGIN},
        timeout=TIMEOUT,
    )
    assert reply.status_code == 200, reply.text[:200]
    assert reply.json()["messages"][0]["text"]


# --- the widget channel ---

WIDGET_ROUTES = [
    ("POST", "session"),
    ("POST", "message"),
    ("POST", "message"),
    ("POST", "message"),
    ("POST", "message"),
    ("POST", "history"),
    ("POST", "forget"),
    ("DELETE", "conversation"),
    ("OPTIONS", "session"),
    ("OPTIONS", "message"),
    ("OPTIONS", "history"),
    ("OPTIONS", "forget"),
    ("OPTIONS", "conversation"),
    ("POST", "feedback"),
    ("OPTIONS", "feedback"),
    ("GET", ""),
    ("GET", "history"),
    ("PUT", "message"),
]
tokens = st.one_of(
    st.just(Valid()),
    st.just(Valid()),
    st.just(Valid()),
    st.just(Valid(tamper=True)),
    st.text(any_char, max_size=250),
    st.sampled_from(["a.b.c", "..", "a.zzzzzzzzz.b", "a.!!!.b", "a.-1.b", ".0.", "a.b"]),
    huge,
    json_values,
)
# signed with the server's secret at any time of issue: an old token takes the idle path
old_or_future = st.integers(min_value=0, max_value=36**8 - 1)
widget_documents = st.fixed_dictionaries(
    {"token": tokens, "text": st.one_of(texts, texts, json_values)},
    optional={"extra": json_values, "metadata": json_values},
)


def mostly(documents: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Body]:
    """Bodies that are ``documents`` three times in five, else raw bytes or any JSON."""
    shaped = documents.map(lambda document: Body(document=document))
    return st.one_of(shaped, shaped, shaped, raw_bodies, json_bodies)


widget_bodies = mostly(widget_documents)
origins = st.one_of(
    st.just(ORIGIN),
    st.just(ORIGIN),
    st.none(),
    st.sampled_from([ORIGIN + "/", "https://evil.example", "null", "http://localhost:8080.evil"]),
    header_text(),
)


# always tried first, whatever Hypothesis generates: the sizes the issue names (a 1 MB token, a
# 100 kB text), and bodies that got a 500 before this test (nesting too deep, non-ASCII tokens)
ALWAYS_TRIED_BODIES = [
    Body(raw=b"[" * 100_000 + b"]" * 100_000),
    Body(raw=b"\xff\xfe\x00garbage"),
    Body(raw=b"not json"),
    Body(document={"token": "x" * 1_000_000, "text": "hello"}),
    Body(document={"token": Valid(), "text": "x" * 100_000}),
    Body(document={"token": "a.b.\u00e9", "text": "hello"}),
    Body(document={"token": "\ud800.a.b", "text": "hello"}),
    Body(document={"token": "a.\ud800.b", "text": "hello"}),
    Body(document={"token": "a.b.\x00", "text": "hello"}),
    Body(document={"token": Valid(), "text": ["hello"]}),
    Body(document=[{"token": Valid(), "text": "hello"}]),
]


def bodies_always_tried(test: Any) -> Any:
    """``test`` with an explicit example per route and body of ALWAYS_TRIED_BODIES."""
    for body in reversed(ALWAYS_TRIED_BODIES):
        for route in [("POST", "message"), ("POST", "history"), ("POST", "forget")]:
            test = example(
                route=route, body=body, issued=None, content_type=None, origin=ORIGIN, xff=None
            )(test)
    return test


@fuzz_settings(300)
@bodies_always_tried
@given(
    route=st.sampled_from(WIDGET_ROUTES),
    body=widget_bodies,
    issued=st.none() | old_or_future,
    content_type=content_types,
    origin=origins,
    xff=forwarded_for,
)
def test_the_widget_channel_never_fails(
    rasa: Target,
    route: tuple[str, str],
    body: Body,
    issued: int | None,
    content_type: str | None,
    origin: str | None,
    xff: str | None,
) -> None:
    method, path = route
    token = ""
    if body.needs_token():
        if issued is None:
            token = new_token(rasa.url)
        else:
            signer = TokenSigner(rasa.env["WIDGET_SECRET"].encode(), lambda: float(issued))
            token = signer.issue()[1]
    call(
        method,
        f"{rasa.url}/webhooks/widget/{path}",
        route=f"/webhooks/widget/{path}",
        shown=body,
        data=body.render(token) if method != "GET" else None,
        headers=headers_from(content_type=content_type, origin=origin, x_forwarded_for=xff),
    )


# always tried first, whatever Hypothesis generates
ALWAYS_TRIED_TEXTS = [
    "\ud800",
    "hi \udc80 there",
    "\x00",
    "😀" * 1000,
    "é" * 1001,
    "x" * 100_000,
    "/restart",
    '/faq{"faq_topic":"dry_needling"}',
    '/faq{"faq_topic": ',
    "<script>alert(1)</script>",
    '/faq{"faq_topic": [1, 2]}',
    '/book_appointment{"booking_reason": 5, "patient_status": [true]}',
]


def always_tried(test: Any) -> Any:
    """``test`` with an explicit example per text of ALWAYS_TRIED_TEXTS."""
    for text in reversed(ALWAYS_TRIED_TEXTS):
        test = example(text=Text(text), content_type=None, origin=ORIGIN, extra=None)(test)
    return test


@fuzz_settings(150)
@always_tried
@given(
    text=texts,
    content_type=st.sampled_from([None, "application/json", "text/plain;charset=UTF-8"]),
    origin=st.sampled_from([None, ORIGIN]),
    extra=st.none() | json_values,
)
def test_any_text_in_a_live_conversation_gets_an_answer_or_a_4xx(
    rasa: Target, text: str, content_type: str | None, origin: str | None, extra: object
) -> None:
    """A real conversation, so that whatever the visitor types reaches Rasa's NLU."""
    document: dict[str, object] = {"token": Valid(), "text": text}
    if extra is not None:
        document["extra"] = extra
    body = Body(document=document)
    reply = call(
        "POST",
        f"{rasa.url}/webhooks/widget/message",
        route="/webhooks/widget/message",
        shown=body,
        data=body.render(new_token(rasa.url)),
        headers=headers_from(content_type=content_type, origin=origin),
    )
    if not text.strip() or not readable(text):
        assert reply.status_code == 400, short(body)
    elif len(text) > 1000:
        assert reply.status_code == 413, short(body)
    else:
        assert reply.status_code == 200, (short(body), reply.text[:200])
        assert isinstance(reply.json()["messages"], list)


def test_the_widget_channel_still_answers(rasa: Target) -> None:
    """After the fuzzing above (and before, when run alone)."""
    assert_widget_answers(rasa.url)


# --- the REST channel ---

rest_documents = st.fixed_dictionaries(
    {},
    optional={
        "sender": st.one_of(st.text(any_char, max_size=60), json_values),
        "message": st.one_of(texts, json_values),
        "metadata": json_values,
        "input_channel": json_values,
    },
)
rest_bodies = mostly(rest_documents)


@fuzz_settings(150)
@example(token=RIGHT, scheme="Bearer ", body=Body(raw=b""), content_type=None, stream=None)
@example(token=RIGHT, scheme="Bearer ", body=Body(document=[]), content_type=None, stream=None)
@example(token=RIGHT, scheme="Bearer ", body=Body(document={}), content_type=None, stream="true")
@example(
    token=RIGHT,
    scheme="Bearer ",
    body=Body(document={"sender": "a", "message": "😀" * 100_000}),
    content_type=None,
    stream=None,
)
@example(token=RIGHT, scheme="Bearer ", body=ALWAYS_TRIED_BODIES[0], content_type=None, stream=None)
@given(
    token=credentials,
    scheme=st.sampled_from(["Bearer ", "Bearer ", "bearer ", "Basic ", "", "Bearer  "]),
    body=rest_bodies,
    content_type=content_types,
    stream=st.sampled_from([None, None, None, "true", "false", "nonsense"]),
)
def test_the_rest_channel_never_fails(
    rasa: Target,
    token: str | None,
    scheme: str,
    body: Body,
    content_type: str | None,
    stream: str | None,
) -> None:
    headers = headers_from(content_type=content_type)
    if token is not None:
        headers["Authorization"] = scheme + (rasa.env["REST_TOKEN"] if token == RIGHT else token)
    reply = call(
        "POST",
        f"{rasa.url}/webhooks/rest/webhook",
        route="/webhooks/rest/webhook",
        shown=body,
        data=body.render(""),
        headers=headers,
        params=None if stream is None else f"stream={stream}",
    )
    if token != RIGHT or scheme.strip().lower() != "bearer":
        assert reply.status_code == 401, (short(headers), short(body))


@fuzz_settings(60)
@given(
    sender=st.text(any_char, min_size=1, max_size=60),
    text=texts,
    metadata=st.none() | st.dictionaries(st.text(max_size=10), json_values, max_size=4),
)
def test_any_rest_message_gets_an_answer_or_a_4xx(
    rasa: Target, sender: str, text: str, metadata: dict[str, Any] | None
) -> None:
    """With the token, so that whatever is sent reaches Rasa's NLU."""
    body = Body(document={"sender": sender, "message": text, "metadata": metadata})
    reply = call(
        "POST",
        f"{rasa.url}/webhooks/rest/webhook",
        route="/webhooks/rest/webhook",
        shown=body,
        data=body.render(""),
        headers={**rasa.rest_headers, "Content-Type": "application/json"},
    )
    if not readable(sender) or not readable(text):
        expected = 400
    elif len(text) > REST_MAX_LENGTH:
        expected = 413  # the NLU's time grows faster than the text: see channels/token_rest.py
    else:
        expected = 200
    assert reply.status_code == expected, (short(body), reply.text[:200])


def test_the_rest_channel_still_answers(rasa: Target) -> None:
    reply = requests.post(
        f"{rasa.url}/webhooks/rest/webhook",
        json={"sender": "after-fuzz", "message": NORMAL_QUESTION},
        headers=rasa.rest_headers,
        timeout=TIMEOUT,
    )
    assert reply.status_code == 200
    assert reply.json()[0]["text"]


# --- Rasa's HTTP API (every route behind a JWT) ---

claims = st.dictionaries(st.text(max_size=10), json_values, max_size=4)
user_claims = st.fixed_dictionaries(
    {
        "user": st.fixed_dictionaries(
            {
                "username": st.text(max_size=20),
                # never "admin": an admin may PUT /model
                "role": st.sampled_from(["user", "guest", "", "Admin", "ADMIN "]),
            }
        )
    }
)
authorizations = st.one_of(
    st.none(),
    header_text(),
    header_text().map(lambda value: "Bearer " + value),
    st.sampled_from(["Bearer", "Bearer ", "Basic dGVzdHM6dGVzdHM=", "Bearer a.b.c", "Bearer ..."]),
    st.builds(
        lambda payload, secret: "Bearer " + jwt.encode(payload, secret, algorithm="HS256"),
        claims | user_claims,
        st.text(min_size=32, max_size=40),
    ),
    st.builds(
        lambda payload, algorithm: (
            "Bearer "
            + jwt.encode(
                payload, key=None if algorithm == "none" else "k" * 64, algorithm=algorithm
            )
        ),
        claims | user_claims,
        st.sampled_from(["none", "HS512"]),
    ),
)
API_ROUTES = [
    ("GET", "/"),
    ("GET", "/status"),
    ("GET", "/version"),
    ("GET", "/conversations/{}/tracker"),
    ("POST", "/conversations/{}/messages"),
    ("PUT", "/conversations/{}/tracker/events"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
    ("POST", "/model/parse"),
    ("POST", "/model/train"),
    ("GET", "/domain"),
]


@fuzz_settings(150)
@given(
    route=st.sampled_from(API_ROUTES),
    conversation=st.text(any_char, min_size=1, max_size=60),
    authorization=authorizations,
    signed_user=st.booleans(),
    body=raw_bodies | json_bodies,
    query=st.dictionaries(st.sampled_from(["token", "include_events", "q"]), st.text(max_size=30)),
)
def test_the_rasa_api_refuses_without_failing(
    rasa: Target,
    route: tuple[str, str],
    conversation: str,
    authorization: str | None,
    signed_user: bool,
    body: Body,
    query: dict[str, str],
) -> None:
    method, template = route
    path = template.format(quote(conversation.encode("utf-8", "surrogatepass"), safe=""))
    headers = headers_from(authorization=authorization, content_type="application/json")
    signed = signed_user and method == "GET"
    if signed:
        # signed with the server's secret, but a visitor's JWT, not an admin's
        token = jwt.encode(
            {"user": {"username": conversation, "role": "user"}},
            rasa.env["RASA_JWT_SECRET"],
            algorithm="HS256",
        )
        headers["Authorization"] = f"Bearer {token}"
    reply = call(
        method,
        f"{rasa.url}{path}",
        route=template,
        shown=(path, body),
        data=body.render(""),
        headers=headers,
        params=query_string(query),
    )
    if template not in ("/", "/version") and not signed:
        # refused: never served without a JWT signed by the server's secret
        assert reply.status_code >= 400, (template, reply.status_code)


UNREADABLE_JWTS = [
    "Bearer \x80",  # not UTF-8: UnicodeEncodeError in PyJWT
    "Bearer " + jwt.encode({"user": {"role": "admin"}}, key=None, algorithm="none"),
    "Bearer " + jwt.encode({"user": {"role": "admin"}}, key="k" * 64, algorithm="HS512"),
    "Bearer eyJ0eXAiOiJKV1QifQ.e30.",  # no "alg" in the header
]


@pytest.mark.parametrize("authorization", UNREADABLE_JWTS)
def test_a_jwt_the_api_cannot_read_gets_401(rasa: Target, authorization: str) -> None:
    # sanic-jwt lets these errors through as 500s; clinic_server.rasa_server answers 401
    reply = requests.get(
        f"{rasa.url}/status", headers={"Authorization": authorization}, timeout=TIMEOUT
    )
    assert reply.status_code == 401


def test_the_rasa_api_still_answers(rasa: Target, servers: Servers) -> None:
    assert requests.get(f"{rasa.url}/", timeout=TIMEOUT).status_code == 200
    status = requests.get(f"{rasa.url}/status", headers=servers.api_headers(), timeout=TIMEOUT)
    assert status.status_code == 200


# --- the action server ---

SAFE_ACTIONS = [
    # never action_submit_booking: it files booking requests and notifies the staff
    "action_answer_faq",
    "action_clarify",
    "action_triage",
    "action_triage_answer",
    "action_human_handoff",
    "action_book_appointment",
    "action_manage_appointment",
    "action_ask_booking_consent",
    "action_ask_booking_confirmed",
    "action_cancel_booking",
    "validate_booking_form",
    "validate_change_form",
]
trackers = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "sender_id": st.one_of(st.text(max_size=30), json_values),
            "slots": st.one_of(st.dictionaries(st.text(max_size=20), json_values), json_values),
            "latest_message": st.one_of(
                st.fixed_dictionaries(
                    {"text": json_values, "intent": json_values, "entities": json_values}
                ),
                json_values,
            ),
            "events": st.one_of(st.lists(json_values, max_size=4), json_values),
            "active_loop": json_values,
            "latest_action_name": json_values,
            "paused": json_values,
            "followup_action": json_values,
        },
    ),
)
action_calls = st.fixed_dictionaries(
    {},
    optional={
        "next_action": st.one_of(st.sampled_from(SAFE_ACTIONS), st.text(max_size=30), json_values),
        "sender_id": json_values,
        "tracker": trackers,
        "domain": json_values,
        "version": st.one_of(st.sampled_from(["3.6.21", "3.6", "", "x.y.z", "..."]), json_values),
    },
)
action_bodies = mostly(action_calls)


@fuzz_settings(200)
@example(
    route=("POST", "/webhook"),
    secret=RIGHT,
    body=Body(raw=zlib.compress(b" " * 40_000_000)),  # inflates past MAX_INFLATED_BYTES
    deflate="raw",
    content_type=None,
)
@example(
    route=("POST", "/webhook"),
    secret=RIGHT,
    body=ALWAYS_TRIED_BODIES[0],
    deflate="compressed",
    content_type=None,
)
@example(
    route=("POST", "/webhook"),
    secret=RIGHT,
    body=Body(raw=b"not deflated"),
    deflate="raw",
    content_type=None,
)
@example(
    route=("POST", "/webhook"),
    secret=RIGHT,
    # a well-formed call, deflated, without the stream's last 4 bytes (its checksum)
    body=Body(
        raw=zlib.compress(
            json.dumps({"next_action": "action_clarify", "tracker": {"sender_id": "x"}}).encode()
        )[:-4]
    ),
    deflate="raw",
    content_type=None,
)
@given(
    route=st.sampled_from(
        [("POST", "/webhook")] * 6 + [("GET", "/health"), ("GET", "/actions"), ("PUT", "/x")]
    ),
    secret=credentials,
    body=action_bodies,
    deflate=st.sampled_from(["no", "no", "no", "compressed", "raw"]),
    content_type=content_types,
)
def test_the_action_server_never_fails(
    actions: Target,
    route: tuple[str, str],
    secret: str | None,
    body: Body,
    deflate: str,
    content_type: str | None,
) -> None:
    method, path = route
    headers = headers_from(content_type=content_type)
    if secret is not None:
        headers["X-Action-Secret"] = actions.env["ACTION_SECRET"] if secret == RIGHT else secret
    data = body.render("")
    if deflate != "no":
        headers["Content-Encoding"] = "deflate"
        data = zlib.compress(data) if deflate == "compressed" else data
    reply = call(
        method,
        f"{actions.url}{path}",
        route=path,
        shown=(deflate, body),
        data=data,
        headers=headers,
    )
    if secret != RIGHT and path in ("/webhook", "/actions"):
        assert reply.status_code == 401


DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
slot_values = {
    name: st.none()
    | (
        st.text(any_char, max_size=40)
        if slot.get("type") == "text"
        else st.booleans()
        if slot.get("type") == "bool"
        else json_values
    )
    for name, slot in DOMAIN["slots"].items()
}
parses = st.fixed_dictionaries(
    {
        "text": st.text(any_char, max_size=100),
        "intent": st.fixed_dictionaries(
            {
                "name": st.sampled_from(DOMAIN["intents"]) | st.text(max_size=20),
                "confidence": st.floats(0, 1),
            }
        ),
        # any JSON: a visitor can type /faq{"faq_topic": [1, 2]}
        "entities": st.lists(
            st.fixed_dictionaries(
                {"entity": st.sampled_from(DOMAIN["entities"]), "value": json_values}
            ),
            max_size=3,
        ),
    }
)
action_calls_as_rasa_sends = st.fixed_dictionaries(
    {
        "next_action": st.sampled_from(SAFE_ACTIONS),
        "version": st.just("3.6.21"),
        "domain": st.sampled_from([{}, DOMAIN]),
        "tracker": st.fixed_dictionaries(
            {
                "sender_id": st.text(max_size=30),
                "slots": st.fixed_dictionaries({}, optional=slot_values),
                "latest_message": parses,
                "events": st.just([]),
                "active_loop": st.sampled_from(
                    [{}, {"name": "booking_form"}, {"name": "change_form"}]
                ),
                "latest_action_name": st.just("action_listen"),
            }
        ),
    }
)


@fuzz_settings(100)
@given(call_=action_calls_as_rasa_sends)
def test_any_action_call_shaped_as_rasa_sends_gets_no_5xx(
    actions: Target, call_: dict[str, Any]
) -> None:
    """Calls of the right shape whose slots and entities hold anything (a visitor can type
    ``/faq{"faq_topic": [1, 2]}``): the actions run, and must not fail."""
    body = Body(document=call_)
    call(
        "POST",
        f"{actions.url}/webhook",
        route="/webhook",
        shown=body,
        data=body.render(""),
        headers={"X-Action-Secret": actions.env["ACTION_SECRET"]},
    )


def test_an_entity_value_that_is_a_list_gets_no_5xx(actions: Target) -> None:
    parse = {
        "text": '/faq{"faq_topic": [1, 2]}',
        "intent": {"name": "faq", "confidence": 1.0},
        "entities": [{"entity": "faq_topic", "value": [1, 2]}],
    }
    tracker = {"sender_id": "fuzz", "slots": {}, "latest_message": parse, "events": []}
    reply = requests.post(
        f"{actions.url}/webhook",
        json={"next_action": "action_answer_faq", "tracker": tracker, "domain": {}},
        headers={"X-Action-Secret": actions.env["ACTION_SECRET"]},
        timeout=TIMEOUT,
    )
    assert reply.status_code < 500


def test_the_action_server_still_answers(actions: Target) -> None:
    assert requests.get(f"{actions.url}/health", timeout=TIMEOUT).status_code == 200


# --- the demo website ---

site_paths = st.one_of(
    st.sampled_from(
        [
            "/",
            "/widget.js",
            "//",
            "/../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/%ff",
            "/%00",
            "/widget.js%00",
            "/" + "a" * 8_000,
        ]
    ),
    st.text(any_char, max_size=60).map(
        lambda text: "/" + quote(text.encode("utf-8", "surrogatepass"), safe="/%")
    ),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60).map(
        lambda text: "/" + text.replace("#", "%23").replace("?", "%3F")
    ),
).map(Text)


@fuzz_settings(150)
@given(
    method=st.sampled_from(["GET"] * 5 + ["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]),
    path=site_paths,
    query=st.dictionaries(st.text(max_size=20), st.text(any_char, max_size=40), max_size=3),
    body=st.none() | raw_bodies,
)
def test_the_website_never_fails(
    website: str, method: str, path: str, query: dict[str, str], body: Body | None
) -> None:
    call(
        method,
        f"{website}{path}",
        route=path[:60],
        shown=body,
        data=None if body is None else body.render(""),
        params=query_string(query),
    )


def test_the_website_still_answers(website: str) -> None:
    assert requests.get(f"{website}/", timeout=TIMEOUT).status_code == 200
