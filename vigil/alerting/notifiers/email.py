"""The email channel: one plain-text message per delivery over SMTP (stdlib smtplib).

SMTP 4xx replies and connection trouble may be retried; 5xx replies are final.
"""

from __future__ import annotations

import email.policy
import json
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from vigil.alerting.notifiers.base import (
    DELIVERY_HEADER,
    Channel,
    Message,
    Outcome,
    Reason,
    elapsed_ms,
    started,
)
from vigil.settings import Secret

_NOT_ID = re.compile(r"[^A-Za-z0-9._-]")
# RFC 5322's hard limit: folding at 78 splits a long alert subject before its first word, which
# some readers then show with a leading space
_POLICY = email.policy.default.clone(max_line_length=998)


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    """How to reach the outgoing mail server. ``ssl`` is implicit TLS (port 465); ``starttls``
    upgrades a plain connection (port 587). Raises ValueError for an empty host, both TLS modes
    at once, or a port or timeout out of range (messages never echo the password)."""

    host: str
    port: int = 25
    sender: str = "vigil@localhost"
    username: str | None = None
    password: Secret | None = None
    starttls: bool = False
    ssl: bool = False
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("SMTP host is empty")
        if self.ssl and self.starttls:
            raise ValueError("SMTP ssl and starttls are exclusive: ssl is TLS from the first byte")
        if not 0 < self.port < 65536 or self.timeout_s <= 0:
            raise ValueError("SMTP port must be 1-65535 and timeout_s positive")


class EmailNotifier:
    channel = Channel.EMAIL

    def __init__(self, options: SmtpOptions | None) -> None:
        self._options = options

    def check(self, address: Mapping[str, str]) -> str | None:
        if self._options is None:
            return "no SMTP server is configured, so email cannot be sent"
        return recipient_problem(address.get("to", ""))

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        problem = self.check(address)
        if problem is not None or self._options is None:
            return Outcome.invalid(problem or "no SMTP server is configured")
        options = self._options
        try:
            mail = compose(options.sender, address["to"], message)
        except (TypeError, ValueError):
            return Outcome.failure(Reason.REJECTED, "the message could not be composed", 0.0, retryable=False)
        since = started()
        try:
            _deliver(options, mail)
        except Exception as exc:  # send never raises; _judge tells SMTP replies from network trouble
            return _judge(exc, f"smtp://{options.host}:{options.port}", elapsed_ms(since))
        return Outcome.success(elapsed_ms(since))


def recipient_problem(to: str) -> str | None:
    """Why ``to`` is not exactly one deliverable address, or None."""
    if not to:
        return "the address has no recipient ('to')"
    try:
        parsed = Address(addr_spec=to)
    except (ValueError, HeaderParseError, IndexError):
        return "the recipient is not a valid email address"
    if not parsed.username or ("." not in parsed.domain and parsed.domain != "localhost"):
        return "the recipient is not a valid email address"
    return None


def compose(sender: str, to: str, message: Message) -> EmailMessage:
    """Subject, plain-text body and the event pretty-printed below it. Raises ValueError."""
    mail = EmailMessage(policy=_POLICY)
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = " ".join(message.subject.split())  # a header is one line
    mail["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    # the same id on every attempt lets mail clients fold duplicates of a retried delivery
    mail["Message-ID"] = f"<{_NOT_ID.sub('-', message.delivery_id)}@{domain}>"
    mail[DELIVERY_HEADER] = message.delivery_id
    event = json.dumps(message.payload, indent=2, ensure_ascii=False, allow_nan=False)
    mail.set_content(f"{message.text}\n\n{event}\n")
    return mail


def _deliver(options: SmtpOptions, mail: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if options.ssl:
        smtp = smtplib.SMTP_SSL(options.host, options.port, timeout=options.timeout_s, context=context)
    else:
        smtp = smtplib.SMTP(options.host, options.port, timeout=options.timeout_s)
    with smtp:
        if options.starttls:
            smtp.starttls(context=context)
        if options.username is not None:
            password = options.password.reveal() if options.password is not None else ""
            smtp.login(options.username, password)
        smtp.send_message(mail)


def _judge(exc: Exception, origin: str, latency_ms: float) -> Outcome:
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        error = f"{origin} does not support what the SMTP options ask for ({exc})"
        return Outcome.failure(Reason.UNSUPPORTED, error, latency_ms, retryable=False)
    reply = _reply(exc)
    if reply is not None and 400 <= reply[0] < 600:
        code, text = reply
        error = f"{origin} answered {code} {text}"
        return Outcome.failure(Reason.REJECTED, error, latency_ms, retryable=code < 500)
    if isinstance(exc, TimeoutError):
        return Outcome.failure(Reason.TIMEOUT, f"timed out talking to {origin}", latency_ms)
    if isinstance(exc, OSError):
        return Outcome.failure(Reason.NETWORK, f"{type(exc).__name__} talking to {origin}", latency_ms)
    # not a transport error: a bug or a surprise in a library; retrying is the safer guess
    return Outcome.failure(Reason.NETWORK, f"{type(exc).__name__} sending to {origin}", latency_ms)


def _reply(exc: Exception) -> tuple[int, str] | None:
    """The SMTP reply code and text an exception carries. The text is the server's, never ours."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = list(exc.recipients.values())
        return (refused[0][0], _text(refused[0][1])) if refused else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code, _text(exc.smtp_error)
    return None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
