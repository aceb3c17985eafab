"""Choose the channels a message goes on, in order, from contacts and preferences."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from services.notification.domain.contacts import check_mobile, normalise_email
from services.notification.domain.model import Channel, Contact, Person, Preferences


@dataclass(frozen=True, slots=True)
class Plan:
    """Contacts to use (first = now, rest = fallbacks) and contacts refused, with reasons."""

    contacts: list[Contact] = field(default_factory=list)
    refused: list[tuple[Contact, str]] = field(default_factory=list)


def pref_keys(person: Person) -> list[str]:
    """Return the keys preferences may be stored under, most specific first."""
    keys = []
    if person.user_id is not None:
        keys.append(f"user:{person.user_id}")
    if person.phone and (e164 := check_mobile(person.phone).e164):
        keys.append(f"phone:{e164}")
    if email := normalise_email(person.email):
        keys.append(f"email:{email}")
    return keys or ["anonymous"]


def plan_contacts(
    person: Person, prefs: Preferences, *, channels: tuple[Channel, ...], ignore_opt_out: bool
) -> Plan:
    """Order the usable contacts; an unusable phone is refused before any provider sees it."""
    order = sorted(channels, key=lambda ch: ch is not prefs.preferred)
    plan = Plan()
    for channel in order:
        if not ignore_opt_out and not prefs.allows(channel):
            continue
        if channel is Channel.SMS and person.phone:
            check = check_mobile(person.phone)
            if check.e164:
                plan.contacts.append(Contact(Channel.SMS, check.e164))
            else:
                raw = unicodedata.normalize("NFKC", person.phone).strip()
                plan.refused.append((Contact(Channel.SMS, raw), check.problem or "invalid_number"))
        elif channel is Channel.EMAIL and person.email:
            if email := normalise_email(person.email):
                plan.contacts.append(Contact(Channel.EMAIL, email))
            else:
                plan.refused.append((Contact(Channel.EMAIL, person.email.strip()), "invalid_email"))
    return plan
