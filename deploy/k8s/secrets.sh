#!/usr/bin/env bash
# Make, once, the Secrets that no operator makes: each service's key files (a service mounts only
# its own) and the notification service's provider credentials. An existing Secret is never
# replaced: tokens, encrypted ID numbers and signing keys depend on the keys it holds.
#
#   deploy/k8s/secrets.sh [KEYS_DIR] [NAMESPACE]     defaults: deploy/k8s/keys, jiangxin
#
# KEYS_DIR/<service>/ is filled by `jiangxin keys --dir KEYS_DIR` (only missing files are made; a
# flat KEYS_DIR of an earlier release is moved into the service folders); back it up
# with the databases. The provider credentials come from deploy/k8s/notification.env (copy
# notification.env.example); without it the Secret is empty and messages stay in the sink.
set -euo pipefail

HERE="$(dirname "${BASH_SOURCE[0]}")"
KEYS="${1:-$HERE/keys}"
NAMESPACE="${2:-jiangxin}"

exists() { kubectl -n "$NAMESPACE" get secret "$1" >/dev/null 2>&1; }

# The token key entries' names of earlier releases (Ed25519 keys only then): an existing Secret
# gets the same keys under today's names, so pods of this release mount them and tokens already
# out stay valid. Read from the Secret itself, never from KEYS_DIR, which may hold other keys.
renamed() {  # renamed SECRET
    local old new value
    for old in jwt-ed25519.pem jwt-ed25519.pub.pem; do
        new="jwt-signing${old#jwt-ed25519}"
        value="$(kubectl -n "$NAMESPACE" get secret "$1" -o "jsonpath={.data.${old//./\.}}")"
        [ -n "$value" ] || continue
        [ -z "$(kubectl -n "$NAMESPACE" get secret "$1" -o "jsonpath={.data.${new//./\.}}")" ] \
            || continue
        kubectl -n "$NAMESPACE" patch secret "$1" --type merge -p "{\"data\":{\"$new\":\"$value\"}}"
        echo "$1: $old also as $new"
    done
}

key_secret() {  # key_secret SERVICE: a Secret of every key file in KEYS_DIR/SERVICE/
    local name="$1-keys" file
    if exists "$name"; then renamed "$name"; echo "$name: exists, kept"; return; fi
    local args=()
    for file in "$KEYS/$1"/*; do args+=("--from-file=$(basename "$file")=$file"); done
    kubectl -n "$NAMESPACE" create secret generic "$name" "${args[@]}"
}

# The checkout's own command when `jiangxin` is not on the PATH (venv not activated).
JIANGXIN="$(command -v jiangxin || echo "$HERE/../../.venv/bin/jiangxin")"
"$JIANGXIN" keys --dir "$KEYS"
kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"
# `jiangxin keys` puts in KEYS_DIR/<service>/ exactly what that service's settings read
# (docs/operations.md, "Least privilege").
key_secret enrollment
key_secret certification
key_secret notification
if exists notification-providers; then
    echo "notification-providers: exists, kept (kubectl -n $NAMESPACE delete secret notification-providers, then run again, to change it)"
elif [ -f "$HERE/notification.env" ]; then
    kubectl -n "$NAMESPACE" create secret generic notification-providers --from-env-file="$HERE/notification.env"
else
    kubectl -n "$NAMESPACE" create secret generic notification-providers
fi
