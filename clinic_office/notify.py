"""Staff notifications for booking requests: e-mail (SMTP) and webhook (JSON POST).

Pure module (no rasa_sdk import; no network work at import). ``deliver_due`` claims the due
rows of the notification outbox, sends each one and marks it: delivered only after the send
succeeded, otherwise failed (retried later with exponential backoff). Every message carries
the idempotency key ``"<reference>:<channel>"`` (webhook: in the JSON body and the
``Idempotency-Key`` header; e-mail: ``X-Idempotency-Key`` and a Message-ID made from it), so a
receiver can drop the repeat sent when a worker died between sending and marking.

Logs name references, channels and attempt counts only: never a visitor's data.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from email_validator import EmailNotValidError, validate_email

from clinic_office.booking_store import CHANNELS, BookingStore, OutboxItem

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_BATCH = 20
SIGNATURE_HEADER = "X-Signature-256"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "clinic-assistant-notifier/1"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class NotifyConfigError(ValueError):
    """The notification settings in the environment are missing or wrong."""


class DeliveryError(Exception):
    """A notification was not accepted. The message names no personal data."""


@dataclass(frozen=True)
class NotifyConfig:
    """Where staff notifications go. Secrets are left out of ``repr``."""

    channels: tuple[str, ...] = ()
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    email_to: tuple[str, ...] = ()
    # the e-mail carries health information: encrypted unless explicitly turned off
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifyConfig:
        """Read the settings from ``env`` (``clinic_office.config`` passes the environment).

        NOTIFY_CHANNELS: comma list of "email", "webhook" (empty: no notifications).
        email: SMTP_HOST, SMTP_PORT (25), SMTP_FROM, NOTIFY_EMAIL_TO (comma list),
        SMTP_STARTTLS (true unless set to false: the message holds health information),
        SMTP_USER, SMTP_PASSWORD.
        webhook: NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_SECRET (a timestamped HMAC-SHA256
        signature when set: see ``signature``).
        NOTIFY_TIMEOUT: seconds for each network operation (10).
        Raises ``NotifyConfigError`` naming what is wrong.
        """
        source = env

        def get(name: str) -> str:
            return source.get(name, "").strip()

        channels = tuple(dict.fromkeys(_split(get("NOTIFY_CHANNELS").lower())))
        unknown = [channel for channel in channels if channel not in CHANNELS]
        if unknown:
            raise NotifyConfigError(
                f"NOTIFY_CHANNELS: unknown channel(s) {', '.join(unknown)} "
                f"(use {', '.join(CHANNELS)})"
            )
        config = cls(
            channels=channels,
            smtp_host=get("SMTP_HOST"),
            smtp_port=_port(get("SMTP_PORT")),
            smtp_from=get("SMTP_FROM"),
            email_to=tuple(_split(get("NOTIFY_EMAIL_TO"))),
            smtp_starttls=_flag("SMTP_STARTTLS", get("SMTP_STARTTLS") or "true"),
            smtp_user=get("SMTP_USER"),
            smtp_password=source.get("SMTP_PASSWORD", ""),
            webhook_url=get("NOTIFY_WEBHOOK_URL"),
            webhook_secret=source.get("NOTIFY_WEBHOOK_SECRET", ""),
            timeout=_timeout(get("NOTIFY_TIMEOUT")),
        )
        problems = config.problems()
        if problems:
            raise NotifyConfigError("; ".join(problems))
        return config

    def problems(self) -> list[str]:
        """What stops the configured channels from working (empty when nothing does)."""
        found: list[str] = []
        if "email" in self.channels:
            found += self._email_problems()
        if "webhook" in self.channels:
            found += self._webhook_problems()
        return found

    def _email_problems(self) -> list[str]:
        found: list[str] = []
        if not self.smtp_host:
            found.append("SMTP_HOST is required for e-mail notifications")
        if not self.smtp_from:
            found.append("SMTP_FROM is required for e-mail notifications")
        elif not _valid_address(self.smtp_from):
            found.append("SMTP_FROM is not a valid e-mail address")
        if not self.email_to:
            found.append("NOTIFY_EMAIL_TO is required for e-mail notifications")
        elif not all(_valid_address(address) for address in self.email_to):
            found.append("NOTIFY_EMAIL_TO has an address that is not valid")
        if self.smtp_user and not self.smtp_password:
            found.append("SMTP_PASSWORD is required with SMTP_USER")
        return found

    def _webhook_problems(self) -> list[str]:
        if not self.webhook_url:
            return ["NOTIFY_WEBHOOK_URL is required for webhook notifications"]
        parts = urllib.parse.urlsplit(self.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ["NOTIFY_WEBHOOK_URL must be an http:// or https:// URL"]
        return []


@dataclass(frozen=True)
class DeliveryReport:
    """What one ``deliver_due`` pass did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0


Sender = Callable[[OutboxItem, NotifyConfig], None]


def payload(item: OutboxItem) -> dict[str, Any]:
    """The JSON document staff receive: the request and how to call the visitor back."""
    request = item.request
    return {
        "idempotency_key": item.idempotency_key,
        "reference": item.reference,
        "kind": item.kind,
        "created_at": item.created_at.isoformat(),
        "full_name": request.full_name,
        "phone": request.phone,
        "email": request.email,
        "preferred_times": request.preferred_times,
        "preferred_times_normalized": request.preferred_times_normalized,
        "reason": request.reason,
        "patient_status": request.patient_status,
        "consent": request.consent,
        "details": request.details,
        "conversation_id": request.conversation_id,
    }


def webhook_body(item: OutboxItem) -> bytes:
    """The exact bytes POSTed (and signed) for ``item``: the same on every attempt."""
    return json.dumps(payload(item), ensure_ascii=False, sort_keys=True).encode("utf-8")


SIGNATURE_TOLERANCE = 300  # seconds a receiver should accept a signature's timestamp


def _digest(timestamp: int, body: bytes, secret: str) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The ``X-Signature-256`` header: ``t=<unix time>,sha256=<hex HMAC of "<t>.<body>">``.

    The timestamp is signed with the body, so a receiver can refuse a replayed request.
    """
    return f"t={timestamp},sha256={_digest(timestamp, body, secret)}"


def verify_signature(
    header: str, body: bytes, secret: str, now: float, tolerance: int = SIGNATURE_TOLERANCE
) -> bool:
    """What a receiver checks: the HMAC matches and the timestamp is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = _digest(timestamp, body, secret)
    return hmac.compare_digest(fields.get("sha256", ""), expected)


_KIND_TITLES = {"booking": "Booking request", "change": "Appointment change request"}


def email_message(item: OutboxItem, config: NotifyConfig) -> EmailMessage:
    """The staff e-mail for ``item``. The subject holds the reference only."""
    request = item.request
    title = _KIND_TITLES.get(item.kind, "Request")
    times = request.preferred_times
    if request.preferred_times_normalized:
        times = f"{times} (read as: {request.preferred_times_normalized})"
    lines = [
        f"{title} {item.reference}",
        "",
        f"Received: {item.created_at.isoformat()}",
        f"Name: {request.full_name}",
        f"Phone: {request.phone or '-'}",
        f"E-mail: {request.email or '-'}",
        f"Preferred times: {times or '-'}",
        f"Reason: {request.reason or '-'}",
        f"Patient: {request.patient_status or '-'}",
        f"Consent to be contacted: {'yes' if request.consent else 'no'}",
    ]
    if request.details:
        lines.append(f"Details: {request.details}")
    lines += ["", f"Conversation: {request.conversation_id}", f"Key: {item.idempotency_key}"]
    message = EmailMessage()
    message["Subject"] = f"{title} {item.reference}"
    message["From"] = config.smtp_from
    message["To"] = ", ".join(config.email_to)
    message["Date"] = formatdate(usegmt=True)
    domain = config.smtp_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{item.reference}.{item.channel}@{domain}>"
    message["X-Idempotency-Key"] = item.idempotency_key
    message.set_content("\n".join(lines) + "\n")
    return message


def send_email(item: OutboxItem, config: NotifyConfig) -> None:
    """Send the staff e-mail over SMTP. Raises on any failure (nothing was accepted)."""
    if not (config.smtp_host and config.smtp_from and config.email_to):
        raise DeliveryError("e-mail notifications are not configured")
    message = email_message(item, config)
    smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout)
    try:
        smtp.ehlo()
        if config.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
        refused = smtp.send_message(
            message, from_addr=config.smtp_from, to_addrs=list(config.email_to)
        )
    finally:
        # The server has the message once send_message returned: a failing QUIT is no
        # reason to send it again.
        with suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()
    if refused:
        log.warning(
            "notification e-mail refused by %d of %d recipients ref=%s",
            len(refused),
            len(config.email_to),
            item.reference,
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would turn the POST into a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@functools.lru_cache(maxsize=1)
def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect())


def send_webhook(item: OutboxItem, config: NotifyConfig) -> None:
    """POST the JSON payload to the webhook. Anything but a 2xx answer is a failure."""
    if not config.webhook_url:
        raise DeliveryError("webhook notifications are not configured")
    body = webhook_body(item)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        IDEMPOTENCY_HEADER: item.idempotency_key,
    }
    if config.webhook_secret:
        headers[SIGNATURE_HEADER] = signature(body, config.webhook_secret, int(time.time()))
    request = urllib.request.Request(config.webhook_url, data=body, headers=headers, method="POST")
    try:
        with _opener().open(request, timeout=config.timeout) as response:
            status = int(response.status)
            response.read(65536)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"webhook answered HTTP {error.code}") from error
    except urllib.error.URLError as error:
        reason = error.reason
        name = type(reason).__name__ if isinstance(reason, BaseException) else "URLError"
        raise DeliveryError(f"webhook unreachable ({name})") from error
    except (http.client.HTTPException, OSError) as error:
        raise DeliveryError(f"webhook failed ({type(error).__name__})") from error
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook answered HTTP {status}")


SENDERS: Mapping[str, Sender] = {"email": send_email, "webhook": send_webhook}


def deliver_due(
    store: BookingStore,
    config: NotifyConfig,
    now: datetime,
    *,
    limit: int = DEFAULT_BATCH,
    senders: Mapping[str, Sender] | None = None,
) -> DeliveryReport:
    """Claim the notifications due at ``now``, send each one and mark it.

    A send that raises marks the row failed (next attempt after the backoff, counted from
    when the send ended). ``StoreUnavailable`` from the store propagates.
    """
    chosen = SENDERS if senders is None else senders
    started = time.monotonic()
    items = store.claim_due(now, limit)
    delivered = failed = 0
    for item in items:
        sender = chosen.get(item.channel)
        try:
            if sender is None:
                raise DeliveryError(f"no sender for channel {item.channel!r}")
            sender(item, config)
        except Exception as error:
            ended = now + timedelta(seconds=time.monotonic() - started)
            next_attempt = store.mark_failed(item.id, _describe(error), ended)
            failed += 1
            log.warning(
                "notification failed ref=%s channel=%s attempt=%d error=%s retry_in=%s",
                item.reference,
                item.channel,
                item.attempts,
                _describe(error) if isinstance(error, DeliveryError) else type(error).__name__,
                "-" if next_attempt is None else f"{(next_attempt - ended).total_seconds():.0f}s",
            )
        else:
            ended = now + timedelta(seconds=time.monotonic() - started)
            store.mark_delivered(item.id, ended)
            delivered += 1
            log.info(
                "notification delivered ref=%s channel=%s attempt=%d",
                item.reference,
                item.channel,
                item.attempts,
            )
    return DeliveryReport(claimed=len(items), delivered=delivered, failed=failed)


def _describe(error: BaseException) -> str:
    if isinstance(error, DeliveryError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _valid_address(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise NotifyConfigError(f"{name} must be true or false")


def _port(value: str) -> int:
    if not value:
        return 25
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise NotifyConfigError("SMTP_PORT must be a port number")
    return int(value)


def _timeout(value: str) -> float:
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 300:
        raise NotifyConfigError("NOTIFY_TIMEOUT must be a number of seconds (0 to 300)")
    return seconds
