"""The issuer's did:web identifier and DID document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.certification.credentials.keys import SigningKey, public_from_jwk

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]


def did_web(public_base_url: str) -> str:
    """Return did:web for the origin of the public URL (port colon percent-encoded)."""
    host = urlsplit(public_base_url).netloc.lower()
    if not host:
        raise ValueError(f"public_base_url {public_base_url!r} has no host")
    return "did:web:" + quote(host, safe="")


def did_document_url(did: str) -> str:
    """Return where a did:web document lives (https, as the method requires)."""
    host = did.removeprefix("did:web:").split(":")[0].replace("%3A", ":").replace("%3a", ":")
    return f"https://{host}/.well-known/did.json"


def did_document(did: str, keys: Iterable[SigningKey]) -> dict[str, Any]:
    """Return the DID document listing every key, retired ones included (old credentials).

    Newest first: the key that signs now leads, since a verifier given no `kid` (openbadgeslib
    checks a status list's signature with the document's first method) takes the first.
    """
    methods = [
        {
            "id": f"{did}#{key.kid}",
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": key.jwk,
        }
        for key in sorted(keys, key=lambda k: k.seq, reverse=True)
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def find_key(document: dict[str, Any], kid: str) -> Ed25519PublicKey:
    """Return the public key a JWT's `kid` names in a DID document; LookupError if absent."""
    did = document.get("id", "")
    wanted = f"{did}{kid}" if kid.startswith("#") else kid
    for method in document.get("verificationMethod", []):
        if isinstance(method, dict) and method.get("id") == wanted:
            try:
                return public_from_jwk(method.get("publicKeyJwk") or {})
            except ValueError as exc:
                raise LookupError(str(exc)) from exc
    raise LookupError(f"{kid} is not a key of {did}")
