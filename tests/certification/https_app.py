"""Serve the real certification app over HTTPS at https://localhost:<port>, as a did:web issuer.

did:web resolves only over HTTPS, so an outside verifier fetches the DID document and status
lists from the running app through TLS: a throwaway CA signs a certificate for localhost, and
the verifier trusts that CA (SSL_CERT_FILE) like any other.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.certification.app import create_app
from services.certification.config import Settings
from shared.auth import TokenIssuer
from shared.messaging.memory import InMemoryTransport
from shared.service import Overrides
from tests.certification.conftest import CertApp
from tests.support.clock import FakeClock


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey],
    *, ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer[0]))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(issuer[1], hashes.SHA256())


def tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """Write a CA and a localhost certificate signed by it; return (ca, cert, key) paths."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Jiangxin test CA", ca_key, ("Jiangxin test CA", ca_key), ca=True)
    cert = _certificate("localhost", key, ("Jiangxin test CA", ca_key), ca=False)
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "localhost.pem", folder / "localhost.key"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@asynccontextmanager
async def https_cert_app(
    settings_of: Callable[[str], Settings], issuer: TokenIssuer, folder: Path,
    *, overrides: Overrides | None = None,
) -> AsyncIterator[CertApp]:
    """Run the app on a free port as https://localhost:<port> (its public_base_url); on an
    in-memory broker unless `overrides` say otherwise (`Overrides()`: the real RabbitMQ)."""
    ca, cert, key = tls_files(folder)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    settings = settings_of(f"https://localhost:{sock.getsockname()[1]}")
    clock = FakeClock(datetime.now(UTC), flowing=True)  # outside verifiers read the wall clock
    app = create_app(settings, overrides=overrides or Overrides(transport=InMemoryTransport()),
                     clock=clock)
    server = TestServer(app, host="127.0.0.1", port=sock.getsockname()[1],
                        socket_factory=lambda *_: sock)
    await server.start_server(ssl=server_tls)
    connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=ca))
    client: TestClient[Any, Any] = TestClient(server, connector=connector)
    await client.start_server()
    try:
        pii = Fernet(settings.pii_transport_key_file.read_bytes())
        yield CertApp(app, client, settings, clock, issuer, pii)
    finally:
        await client.close()
