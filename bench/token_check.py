"""Access-token check: CPU per fresh token verified and per token signed, RS256 against EdDSA.

Usage: python -m bench.token_check [--tokens 3000] [--rounds 3]

Both kinds of key go through the service's own TokenIssuer and TokenVerifier (PyJWT, the
claims checks, no cache: every token is new), alternating round by round so drift of a shared
machine falls on both. Prints CPU microseconds per verify and per sign (time.process_time) and
the ratios; the enrol API's end-to-end figures are bench/enrollment_bench.py's.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import TokenIssuer, TokenVerifier, generate_keypair
from shared.ids import new_id


def _ed25519_pair() -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo))


def _cpu_us(work: Callable[[], object], count: int) -> float:
    began = time.process_time()
    for _ in range(count):
        work()
    return (time.process_time() - began) / count * 1e6


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    keys = {"RS256 (RSA-2048)": generate_keypair(), "EdDSA (Ed25519)": _ed25519_pair()}
    verify: dict[str, list[float]] = {k: [] for k in keys}
    sign: dict[str, list[float]] = {k: [] for k in keys}
    length = {}
    for _ in range(args.rounds):
        for kind, (private, public) in keys.items():
            issuer = TokenIssuer(private, issuer="jiangxin", audience="jiangxin")
            verifier = TokenVerifier(public, issuer="jiangxin", audience="jiangxin",
                                     cache_size=1)

            def mint(i: TokenIssuer = issuer) -> object:
                return i.mint(new_id(), "trainee", name="学员")

            sign[kind].append(_cpu_us(mint, args.tokens // 10))
            tokens = iter([issuer.mint(new_id(), "trainee", name="学员")
                           for _ in range(args.tokens)])
            length[kind] = len(issuer.mint(new_id(), "trainee", name="学员"))

            def check(v: TokenVerifier = verifier, fresh: Iterator[str] = tokens) -> object:
                return v.verify(next(fresh))

            verify[kind].append(_cpu_us(check, args.tokens))
    rsa, ed = keys
    med = statistics.median
    for kind in keys:
        print(f"  {kind:18} verify {statistics.median(verify[kind]):7.1f} us   "
              f"sign {statistics.median(sign[kind]):7.1f} us   token {length[kind]} chars "
              f"(medians of {args.rounds} rounds)")
    print(f"  verify, RS256 / EdDSA   {med(verify[rsa]) / med(verify[ed]):.2f}x")
    print(f"  sign, RS256 / EdDSA     {med(sign[rsa]) / med(sign[ed]):.2f}x")


if __name__ == "__main__":
    main()
