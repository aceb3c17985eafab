"""Bitstring Status List (W3C): revocation and suspension bits, gzip + base64url, 'u' prefix."""

from __future__ import annotations

import gzip
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from services.certification.credentials.keys import b64url, b64url_decode

Purpose = Literal["revocation", "suspension"]
PURPOSES: tuple[Purpose, ...] = ("revocation", "suspension")
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# A list takes size / FILL certificates, at random indices: at most half of it is ever taken,
# so a random draw finds a free index in two tries on average, and one index says little.
FILL = 2


def random_index(size: int) -> int:
    """Return a random index within a list of `size` bits."""
    return secrets.randbelow(size)


def list_number_of(draws: int, size: int) -> int:
    """Return the list that the `draws`-th draw of a status index falls in."""
    return draws // (size // FILL)


@dataclass(frozen=True, slots=True)
class ListPosition:
    """Where a certificate's bits live: list number and index (the same in both purposes)."""

    list_number: int
    index: int

    @classmethod
    def of(cls, global_index: int, size: int) -> ListPosition:
        """Split a global status index into list number and index within the list."""
        return cls(global_index // size, global_index % size)


def list_id(purpose: Purpose, list_number: int) -> str:
    """Return the path id of a status list (`revocation-0`)."""
    return f"{purpose}-{list_number}"


def parse_list_id(text: str) -> tuple[Purpose, int] | None:
    """Return (purpose, number) of a list id, or None when it is not one."""
    purpose, _, number = text.rpartition("-")
    # isdigit() alone takes "²" (int() refuses it) and "٠" or "０" (int() reads them as 0).
    if purpose not in PURPOSES or not (number.isascii() and number.isdigit()) or len(number) > 9:
        return None
    return purpose, int(number)


def encode_bits(indices: Iterable[int], size: int) -> str:
    """Return the encodedList: bit i set for each index (bit 0 = leftmost bit of byte 0)."""
    bits = bytearray(size // 8)
    for i in indices:
        bits[i // 8] |= 0x80 >> (i % 8)
    return "u" + b64url(gzip.compress(bytes(bits), mtime=0))


def decode_bits(encoded: str) -> bytes:
    """Return the raw bitstring of an encodedList; ValueError when malformed."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u' prefix)")
    try:
        return gzip.decompress(b64url_decode(encoded[1:]))
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError("encodedList is not gzip + base64url") from exc


def bit_is_set(bits: bytes, index: int) -> bool:
    """Tell whether bit `index` is set."""
    if not 0 <= index < len(bits) * 8:
        raise ValueError("status index outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entries(base_url: str, position: ListPosition) -> list[dict[str, str]]:
    """Return the credentialStatus entries of a certificate, one per purpose."""
    entries = []
    for purpose in PURPOSES:
        url = f"{base_url}/api/v1/status-lists/{list_id(purpose, position.list_number)}"
        entries.append(
            {
                "id": f"{url}#{position.index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(position.index),
                "statusListCredential": url,
            }
        )
    return entries


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def status_list_credential(
    *, url: str, purpose: Purpose, encoded: str, issuer: str, now: datetime, ttl: timedelta
) -> dict[str, Any]:
    """Return the BitstringStatusListCredential of one list, valid from now for `ttl`."""
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _iso(now),
        "validUntil": _iso(now + ttl),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }


@dataclass(frozen=True, slots=True)
class _SignedList:
    encoded: str
    kid: str
    signed_at: datetime
    token: str


class SignedLists:
    """Signed status lists, kept until their bits or the key change or half their life is gone.

    A verifier may cache a copy until its validUntil: handing out the same copy for half of
    `ttl` keeps ETags stable, and every copy served still has at least half its life left.
    """

    def __init__(self, ttl: timedelta) -> None:
        self.ttl = ttl
        self._lists: dict[str, _SignedList] = {}

    def get(self, list_ref: str, *, encoded: str, kid: str, now: datetime) -> str | None:
        """Return the signed copy of a list still good to serve, or None."""
        held = self._lists.get(list_ref)
        if held is None or (held.encoded, held.kid) != (encoded, kid):
            return None
        return held.token if held.signed_at <= now < held.signed_at + self.ttl / 2 else None

    def put(self, list_ref: str, *, encoded: str, kid: str, now: datetime, token: str) -> None:
        """Keep a freshly signed copy of a list."""
        self._lists[list_ref] = _SignedList(encoded=encoded, kid=kid, signed_at=now, token=token)
