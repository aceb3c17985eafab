"""Load, check and render every event x channel x locale template (StrictUndefined)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import meta
from pydantic import ValidationError

from services.notification.domain.model import Channel, Rendered
from services.notification.domain.rules import sms_length
from services.notification.templates.variables import SPECS, EventSpec

HERE = Path(__file__).parent
LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
FALLBACK_LOCALE = "en"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_URL = re.compile(r"(https?://|www\.)|\b[\w-]+\.(com|cn|net|org)\b", re.IGNORECASE)
_FOOTER = {
    "zh-CN": "本邮件为事务性通知，由系统自动发送，请勿直接回复。",
    "en": "This is a transactional notice sent automatically; please do not reply.",
}
_UNSUBSCRIBE = {"zh-CN": "不再接收此类邮件", "en": "Stop these emails"}


class TemplateError(ValueError):
    """A template or its variables are wrong: nothing may be sent."""


@dataclass(frozen=True, slots=True)
class EmailHtml:
    """What the HTML part of an email is made from."""

    subject: str
    body: str
    locale: str
    unsubscribe_url: str | None


class TemplateRegistry:
    """Templates per (event type, locale); checked once, rendered per message."""

    def __init__(self, texts: Mapping[str, Mapping[str, Mapping[str, str]]], signature: str):
        self.signature = signature
        self.specs: dict[str, EventSpec] = {spec.event_type: spec for spec in SPECS}
        self._texts = texts
        self._env = jinja2.Environment(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
        )
        self._html = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE),
            undefined=jinja2.StrictUndefined,
            autoescape=True,
        )
        self._compiled: dict[tuple[str, str, str], jinja2.Template] = {}
        # SMS texts as (literal, name, literal, ..., literal): filled without Jinja's per-call
        # context, only where that gives exactly what Jinja gives (checked below).
        self._sms_pieces: dict[tuple[str, str], list[str]] = {}
        for locale, events in texts.items():
            for event_type, parts in events.items():
                for part, source in parts.items():
                    self._compiled[(locale, event_type, part)] = self._env.from_string(
                        source.strip()
                    )
                if (pieces := self._plain_sms(locale, event_type)) is not None:
                    self._sms_pieces[(locale, event_type)] = pieces

    def _plain_sms(self, locale: str, event_type: str) -> list[str] | None:
        """Split an SMS text made only of literals and {{ name }}, when Jinja agrees with that."""
        source = self._texts[locale][event_type].get("sms")
        if source is None or any(mark in source for mark in ("{%", "{#", "#}", "%}")):
            return None
        text = source.strip()
        pieces = _PLACEHOLDER.split(text)
        if text.count("{{") != len(pieces) // 2:
            return None
        probe = {name: f"<{name}>" for name in pieces[1::2]}
        jinja = self._compiled[(locale, event_type, "sms")].render(probe)
        return pieces if _fill(pieces, probe) == jinja else None

    @classmethod
    def load(cls, signature: str, directory: Path = HERE) -> TemplateRegistry:
        """Read every locale's TOML file and check the whole registry."""
        texts = {
            locale: tomllib.loads((directory / f"{locale}.toml").read_text(encoding="utf-8"))
            for locale in LOCALES
        }
        registry = cls(texts, signature)
        registry.check()
        return registry

    def spec(self, event_type: str) -> EventSpec:
        """Return what to do with an event type."""
        try:
            return self.specs[event_type]
        except KeyError:
            raise TemplateError(f"no templates for {event_type}") from None

    def check(self) -> None:
        """Fail unless every event x channel x locale exists and uses exactly its variables."""
        problems = [p for spec in SPECS for loc in LOCALES for p in self._problems(spec, loc)]
        if problems:
            raise TemplateError("; ".join(problems))

    def _problems(self, spec: EventSpec, locale: str) -> Iterable[str]:
        parts = self._texts.get(locale, {}).get(spec.event_type, {})
        fields = set(spec.variables.model_fields)
        wanted = {"sms"} if spec.channels == (Channel.SMS,) else {"sms", "subject", "body"}
        where = f"{locale}/{spec.event_type}"
        if missing := wanted - set(parts):
            yield f"{where}: missing {sorted(missing)}"
        if extra := set(parts) - wanted:
            yield f"{where}: unexpected {sorted(extra)}"
        used: set[str] = set()
        for part in wanted & set(parts):
            names = meta.find_undeclared_variables(self._env.parse(parts[part]))
            used |= names
            if unknown := names - fields:
                yield f"{where}.{part}: unknown variables {sorted(unknown)}"
        if unused := fields - used:
            yield f"{where}: variables never used {sorted(unused)}"
        sms = parts.get("sms", "")
        if sms.count("{{") != len(_PLACEHOLDER.findall(sms)) or "{%" in sms:
            yield f"{where}.sms: only plain {{{{ name }}}} placeholders map to provider templates"
        if any("url" in name for name in _PLACEHOLDER.findall(sms)):
            yield f"{where}.sms: links may not be SMS variables"

    def _template(self, locale: str, event_type: str, part: str) -> jinja2.Template:
        for loc in (locale, FALLBACK_LOCALE, DEFAULT_LOCALE):
            template = self._compiled.get((loc, event_type, part))
            if template is not None:
                return template
        raise TemplateError(f"no {part} template for {event_type}")

    def validate(self, event_type: str, variables: Mapping[str, str]) -> dict[str, str]:
        """Return the variables once their model accepts them (none missing, none extra)."""
        model = self.spec(event_type).variables
        try:
            return model.model_validate(dict(variables)).model_dump()
        except ValidationError as exc:
            raise TemplateError(f"{event_type}: variables rejected: {_short_errors(exc)}") from exc

    def render(
        self, event_type: str, channel: Channel, locale: str, variables: Mapping[str, str],
        *, validated: bool = False,
    ) -> Rendered:
        """Render one message; raise TemplateError rather than send anything incomplete.

        `validated`: the variables come from `validate` already (not checked again).
        """
        values = dict(variables) if validated else self.validate(event_type, variables)
        try:
            if channel is Channel.SMS:
                return self._render_sms(event_type, locale, values)
            subject = self._template(locale, event_type, "subject").render(values)
            body = self._template(locale, event_type, "body").render(values)
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"{event_type}: {exc}") from exc
        return Rendered(channel, body, subject=subject)

    def _render_sms(self, event_type: str, locale: str, values: dict[str, str]) -> Rendered:
        pieces = self._sms_pieces_for(locale, event_type)
        if pieces is None:
            source = self._source(locale, event_type, "sms")
            names = list(dict.fromkeys(_PLACEHOLDER.findall(source)))
        else:
            names = list(dict.fromkeys(pieces[1::2]))
        params = [(name, defuse_links(values[name])) for name in names]
        if pieces is None:
            body = self._template(locale, event_type, "sms").render({**values, **dict(params)})
        else:
            body = _fill(pieces, dict(params))
        if any(_URL.search(value) for _name, value in params):
            raise TemplateError(f"{event_type}: an SMS variable looks like a link")
        try:
            chars, segments = sms_length(body, self.signature)
        except ValueError as exc:
            raise TemplateError(f"{event_type}: {exc}") from exc
        return Rendered(Channel.SMS, body, params=params, chars=chars, segments=segments)

    def _sms_pieces_for(self, locale: str, event_type: str) -> list[str] | None:
        """The plain SMS text `_template` would pick (same locale fallback), if it is plain."""
        for loc in (locale, FALLBACK_LOCALE, DEFAULT_LOCALE):
            if (loc, event_type, "sms") in self._compiled:
                return self._sms_pieces.get((loc, event_type))
        raise TemplateError(f"no sms template for {event_type}")

    def sms_source(self, locale: str, event_type: str) -> str:
        """Return the SMS template text as written (for registering it at a provider)."""
        return self._source(locale, event_type, "sms")

    def _source(self, locale: str, event_type: str, part: str) -> str:
        for loc in (locale, FALLBACK_LOCALE, DEFAULT_LOCALE):
            source = self._texts.get(loc, {}).get(event_type, {}).get(part)
            if source is not None:
                return source
        raise TemplateError(f"no {part} template for {event_type}")

    def render_html(self, mail: EmailHtml) -> str:
        """Render the HTML part from the plain body; every value is escaped."""
        locale = mail.locale if mail.locale in _FOOTER else DEFAULT_LOCALE
        paragraphs = [p.splitlines() for p in re.split(r"\n\s*\n", mail.body.strip()) if p]
        return self._html.get_template("email.html.j2").render(
            locale=locale,
            subject=mail.subject,
            paragraphs=paragraphs,
            footer=_FOOTER[locale],
            unsubscribe_url=mail.unsubscribe_url,
            unsubscribe_label=_UNSUBSCRIBE[locale],
        )

    def text_with_footer(self, body: str, locale: str, unsubscribe_url: str | None) -> str:
        """Return the plain-text part: the body, then the footer (and opt-out link)."""
        locale = locale if locale in _FOOTER else DEFAULT_LOCALE
        footer = _FOOTER[locale]
        if unsubscribe_url:
            footer += f"\n{_UNSUBSCRIBE[locale]}: {unsubscribe_url}"
        return f"{body.strip()}\n\n--\n{footer}\n"


def defuse_links(value: str) -> str:
    """Return an SMS variable that no longer reads as a link (providers refuse links).

    A course or venue may be named like one ("ASP.NET 入门", "线上 (zoom.com)"): the scheme or
    "www." is dropped and the dots of a domain become "·", which reads the same to a person.
    """
    while (found := _URL.search(value)) is not None:
        start, end = found.span()
        if found.group(1):
            value = value[:start] + value[end:]
            continue
        while start > 0 and (value[start - 1].isalnum() or value[start - 1] in "._-"):
            start -= 1  # the whole host name: "meet.tencent.com", not just "tencent.com"
        value = value[:start] + value[start:end].replace(".", "·") + value[end:]
    return value


def _fill(pieces: list[str], values: Mapping[str, str]) -> str:
    """Join literals and the values of the names between them (as `{{ name }}` renders)."""
    return "".join(
        piece if i % 2 == 0 else str(values[piece]) for i, piece in enumerate(pieces)
    )


def _short_errors(exc: ValidationError) -> str:
    return ", ".join(
        f"{'.'.join(map(str, e['loc'])) or '?'}: {e['type']}"
        for e in exc.errors(include_url=False, include_input=False)
    )
