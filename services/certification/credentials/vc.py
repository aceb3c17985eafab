"""Open Badges 3.0 OpenBadgeCredential (VC 2.0 data model), signed as a VC-JWT with Ed25519."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import jwt

from services.certification.credentials.keys import SigningKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """What a credential states about one certificate."""

    certificate_id: UUID
    number: str
    title_zh: str
    holder_name: str
    holder_id: UUID | None
    course_code: str
    course_title_zh: str
    course_title_en: str
    occupation: str
    work_type: str | None
    level: int | None
    level_name: str | None
    hours: float | None
    issued_at: datetime
    expires_on: date | None
    issuer_did: str
    issuer_name: str
    verify_url: str
    base_url: str
    status: list[dict[str, str]]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _expiry_moment(expires_on: date) -> datetime:
    # The last valid day ends at midnight, China time.
    return datetime.combine(expires_on + timedelta(days=1), time(), tzinfo=CHINA)


def _identifiers(facts: CredentialFacts) -> list[dict[str, Any]]:
    # No ID-number hash: with the first and last four digits public, an unkeyed hash of an
    # 18-digit ID number is reversed in seconds, and a keyed one no verifier could check.
    return [{"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": facts.holder_name}]


def build_credential(facts: CredentialFacts) -> dict[str, Any]:
    """Return the OpenBadgeCredential of a certificate."""
    level = f"L{facts.level}" if facts.level else "T"
    achievement: dict[str, Any] = {
        "id": f"{facts.base_url}/achievements/{facts.course_code}-{level}",
        "type": ["Achievement"],
        "achievementType": "Certification" if facts.level else "Certificate",
        "name": " ".join(x for x in (facts.course_title_zh, facts.level_name) if x),
        "description": facts.title_zh,
        "criteria": {"narrative": f"{facts.occupation}（{facts.work_type or '--'}）"},
        "fieldOfStudy": facts.occupation,
        "inLanguage": "zh-CN",
    }
    if facts.hours is not None:
        achievement["creditsAvailable"] = facts.hours
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": _identifiers(facts),
        "achievement": achievement,
    }
    if facts.holder_id:
        subject["id"] = f"urn:uuid:{facts.holder_id}"
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{facts.certificate_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": facts.issuer_did, "type": ["Profile"], "name": facts.issuer_name},
        "name": f"{facts.title_zh} {facts.number}",
        "description": facts.verify_url,
        "validFrom": _iso(facts.issued_at),
        "credentialSubject": subject,
        "credentialStatus": facts.status,
    }
    if facts.expires_on:
        credential["validUntil"] = _iso(_expiry_moment(facts.expires_on))
    return credential


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """Return the JWT claims of a credential (Open Badges 3.0 VC-JWT: `vc` plus iss/jti/nbf)."""
    issued = datetime.fromisoformat(credential["validFrom"])
    claims: dict[str, Any] = {
        "iss": credential["issuer"]["id"] if isinstance(credential["issuer"], dict)
        else credential["issuer"],
        "jti": credential["id"],
        "nbf": int(issued.timestamp()),
        "iat": int(issued.timestamp()),
        "vc": credential,
    }
    subject = credential.get("credentialSubject", {})
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    return claims


def sign(claims: dict[str, Any], key: SigningKey, *, did: str) -> str:
    """Sign claims as a compact JWS with EdDSA; `kid` is the key's DID URL."""
    if key.private is None:
        raise LookupError(f"{key.kid} has no private key here")
    return jwt.encode(claims, key.private, algorithm="EdDSA",
                      headers={"kid": f"{did}#{key.kid}", "typ": "JWT"})
