"""deploy/k8s/secrets.sh against Secrets of an earlier release, through a stand-in kubectl.

The stand-in keeps each Secret as a JSON file and answers the calls the script makes (get,
jsonpath reads of data entries, merge patches, create): enough to see what the script changes
in a cluster whose key Secrets were made before the token key files were renamed.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from services import SERVICE_NAMES

REPO = Path(__file__).resolve().parents[2]
KUBECTL = '''#!{python}
import json, sys
from pathlib import Path
store = Path({store!r})
args = sys.argv[1:]
if args[:1] == ["-n"]:
    args = args[2:]
with (store / "calls.log").open("a") as log:
    log.write(" ".join(args) + "\\n")
if args[:2] == ["get", "namespace"]:
    sys.exit(0)
if args[:2] == ["get", "secret"]:
    path = store / (args[2] + ".json")
    if not path.exists():
        sys.exit(1)
    if "-o" in args:
        key = args[args.index("-o") + 1].removeprefix("jsonpath={{.data.").removesuffix("}}")
        print(json.loads(path.read_text())["data"].get(key.replace("\\\\.", "."), ""), end="")
    sys.exit(0)
if args[:2] == ["patch", "secret"]:
    path = store / (args[2] + ".json")
    secret = json.loads(path.read_text())
    secret["data"].update(json.loads(args[args.index("-p") + 1])["data"])
    path.write_text(json.dumps(secret))
    sys.exit(0)
if args[:3] == ["create", "secret", "generic"]:
    sys.exit(0)
sys.exit("unexpected kubectl call: " + " ".join(args))
'''


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_key_secrets_of_an_earlier_release_get_the_same_token_keys_under_todays_names(
    tmp_path: Path,
) -> None:
    store, bin_dir = tmp_path / "cluster", tmp_path / "bin"
    store.mkdir()
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(KUBECTL.format(python=sys.executable, store=str(store)))
    kubectl.chmod(0o755)
    old = {"jwt-ed25519.pem": b"private", "jwt-ed25519.pub.pem": b"public", "x.key": b"x"}
    held = {"enrollment": old, "certification": {"jwt-ed25519.pub.pem": b"public"},
            "notification": {"jwt-ed25519.pub.pem": b"public"}}
    for service in SERVICE_NAMES:
        data = {name: _b64(value) for name, value in held[service].items()}
        (store / f"{service}-keys.json").write_text(json.dumps({"data": data}))
    (store / "notification-providers.json").write_text(json.dumps({"data": {}}))
    env = {**os.environ, "PATH": f"{bin_dir}:{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(REPO / "deploy/k8s/secrets.sh"), str(tmp_path / "keys")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for service in SERVICE_NAMES:
        data = json.loads((store / f"{service}-keys.json").read_text())["data"]
        assert data["jwt-signing.pub.pem"] == _b64(b"public")  # the same key, renamed
        assert data["jwt-ed25519.pub.pem"] == _b64(b"public")  # the old entry stays
    enrollment = json.loads((store / "enrollment-keys.json").read_text())["data"]
    assert enrollment["jwt-signing.pem"] == _b64(b"private")
    assert "jwt-signing.pem" not in json.loads(
        (store / "certification-keys.json").read_text())["data"]
    # Nothing was created or replaced, and a second run changes nothing more.
    assert "create secret" not in (store / "calls.log").read_text()
    again = subprocess.run(["bash", str(REPO / "deploy/k8s/secrets.sh"), str(tmp_path / "keys")],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "also as" not in again.stdout
