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
    kind: str  # skill_level (职业技能等级证书) or training (培训合格证书)
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
    skill = facts.kind == "skill_level"
    level = f"L{facts.level}" if skill and facts.level else "T"
    achievement: dict[str, Any] = {
        "id": f"{facts.base_url}/achievements/{facts.course_code}-{level}",
        "type": ["Achievement"],
        # OB 3.0's vocabulary: a Certification is awarded by an assessment against a standard
        # (the national skill level); a Certificate attests completing a course.
        "achievementType": "Certification" if skill else "Certificate",
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


# The JWT's own claims beside the credential's members (OB 3.0 section 8.2.4.2); `iat` is only
# in credentials signed before the payload became the credential itself.
REGISTERED = frozenset({"iss", "jti", "sub", "nbf", "exp", "iat"})


def id_of(value: Any) -> Any:
    """Return the `id` of an issuer or subject given as an object, or the value itself."""
    return value.get("id") if isinstance(value, dict) else value


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """Return the JWT payload of a credential: its members plus iss, jti, sub, nbf and exp."""
    claims = dict(credential)
    claims["iss"] = id_of(credential["issuer"])
    claims["jti"] = credential["id"]
    claims["nbf"] = int(datetime.fromisoformat(credential["validFrom"]).timestamp())
    subject = id_of(credential.get("credentialSubject"))
    if isinstance(subject, str):
        claims["sub"] = subject
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    return claims


def unverified_claims(token: str) -> dict[str, Any]:
    """Return a JWT's payload without checking its signature (for tokens we stored ourselves)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def is_legacy(claims: dict[str, Any]) -> bool:
    """Tell whether a payload is the previous encoding (the credential in a VC 1.1 `vc` claim)."""
    return isinstance(claims.get("vc"), dict) and "@context" not in claims


def credential_of(claims: dict[str, Any]) -> dict[str, Any]:
    """Return the credential a JWT payload carries, in either encoding."""
    if is_legacy(claims):
        return dict(claims["vc"])
    return {name: value for name, value in claims.items() if name not in REGISTERED}


def sign(claims: dict[str, Any], key: SigningKey, *, did: str) -> str:
    """Sign claims as a compact JWS with EdDSA; `kid` is the key's DID URL, `jwk` its public key."""
    if key.private is None:
        raise LookupError(f"{key.kid} has no private key here")
    return jwt.encode(claims, key.private, algorithm="EdDSA",
                      headers={"kid": f"{did}#{key.kid}", "typ": "JWT", "jwk": key.jwk})


def sign_credential(credential: dict[str, Any], key: SigningKey, *, did: str) -> str:
    """Return a credential as an OB 3.0 VC-JWT signed with `key`."""
    return sign(jwt_claims(credential), key, did=did)
