"""Email over SMTP (aiosmtplib) with a small pool of open connections."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage as MimeMessage
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib

from services.notification.providers.base import EmailMessage, Outcome, SendResult

NAME = "smtp"


class _HeaderClasses(HeaderRegistry):
    """The standard registry, but each header class is made once, not on every header.

    The standard `HeaderRegistry.__getitem__` builds a new class with `type()` for every header
    it parses or writes; that was the largest single cost of building a message.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# email.policy.default (what EmailMessage() uses) with the header classes made once.
POLICY = default_policy.clone(header_factory=_HeaderClasses())


def build_mime(message: EmailMessage, *, sender: str) -> MimeMessage:
    """Return the multipart/alternative UTF-8 message with stable Message-ID."""
    mime = MimeMessage(policy=POLICY)
    name, address = parseaddr(sender)
    mime["From"] = formataddr((name, address)) if name else address
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.message_id
    mime["Date"] = format_datetime(datetime.now(UTC))
    mime["Auto-Submitted"] = "auto-generated"
    if message.unsubscribe_url:
        mime["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mime.set_content(message.text, charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    return mime


class SmtpEmail:
    """Send mail through one SMTP relay; each failure is classified by the SMTP phase."""

    name = NAME

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        security: str = "none",
        timeout: float = 10.0,
        pool_size: int = 4,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password, self._security = username, password, security
        self._timeout = timeout
        self._idle: list[tuple[aiosmtplib.SMTP, bool]] = []  # (client, needs RSET)
        self._slots = asyncio.Semaphore(pool_size)

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            use_tls=self._security == "tls",
            start_tls=self._security == "starttls",
        )
        await client.connect()
        if self._username:
            await client.login(self._username, self._password)
        return client

    async def _client(self) -> tuple[aiosmtplib.SMTP, bool]:
        """Return an open connection and whether it was reused."""
        while self._idle:
            client, dirty = self._idle.pop()
            if client.is_connected:
                try:
                    if dirty:  # a failed transaction is reset; a finished one needs nothing
                        await client.rset()
                    return client, True
                except aiosmtplib.SMTPException:
                    pass
            await _close(client)
        return await self._connect(), False

    async def send(self, message: EmailMessage) -> SendResult:
        """Send one message; only a failure during DATA leaves its fate unknown."""
        async with self._slots:
            mime = build_mime(message, sender=self._sender)
            while True:
                try:
                    client, reused = await self._client()
                except (aiosmtplib.SMTPException, OSError) as exc:
                    return _refused(exc, phase="connect")
                envelope = await self._envelope(client, message.to)
                if envelope is None:
                    break
                if reused and envelope.code == "envelope_failed":
                    continue  # the server dropped an idle connection: nothing was sent yet
                return envelope
            try:
                await client.data(mime.as_bytes())
            except aiosmtplib.SMTPResponseException as exc:
                self._idle.append((client, True))
                # 4xx: try again later; 5xx: the server refuses this message for good.
                outcome = Outcome.TRANSIENT if exc.code < 500 else Outcome.PERMANENT
                return SendResult(outcome, NAME, code=f"smtp_{exc.code}", detail=exc.message)
            except (aiosmtplib.SMTPException, OSError) as exc:
                await _close(client)
                return SendResult(Outcome.UNKNOWN, NAME, code="data_interrupted", detail=repr(exc))
            self._idle.append((client, False))
            return SendResult(Outcome.DELIVERED, NAME, provider_message_id=message.message_id)

    async def _envelope(self, client: aiosmtplib.SMTP, to: str) -> SendResult | None:
        """Send MAIL and RCPT; None when both were accepted."""
        try:
            await client.mail(parseaddr(self._sender)[1])
            await client.rcpt(to)
        except aiosmtplib.SMTPRecipientRefused as exc:
            self._idle.append((client, True))
            outcome = Outcome.TRANSIENT if exc.code < 500 else Outcome.INVALID_RECIPIENT
            return SendResult(outcome, NAME, code=f"smtp_{exc.code}", detail=exc.message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            await _close(client)
            return _refused(exc, phase="envelope")
        return None

    async def close(self) -> None:
        """Close idle connections."""
        while self._idle:
            await _close(self._idle.pop()[0])


def _refused(exc: BaseException, *, phase: str) -> SendResult:
    code = getattr(exc, "code", None)
    if isinstance(code, int) and code >= 500:
        return SendResult(Outcome.REJECTED, NAME, code=f"smtp_{code}", detail=str(exc))
    return SendResult(Outcome.TRANSIENT, NAME, code=f"{phase}_failed", detail=repr(exc))


async def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        if client.is_connected:
            await client.quit()
    with contextlib.suppress(Exception):
        client.close()
