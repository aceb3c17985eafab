#!/bin/sh
# Run by the gateway image at start (/docker-entrypoint.d): write the proxies whose
# X-Forwarded-For nginx believes, from JIANGXIN_TRUSTED_PROXIES (a JSON list of addresses or
# CIDRs, the one setting the services read too: on Kubernetes the ingress's pod network). Unset
# or empty (Compose, where the gateway is the edge): nobody is trusted.
set -eu
out="${JIANGXIN_GATEWAY_STATE_DIR:-/tmp}/real-ip.conf"
: > "$out"
for network in $(printf '%s' "${JIANGXIN_TRUSTED_PROXIES:-}" | tr -d '[]" ' | tr ',' ' '); do
    case "$network" in
        *[!0-9A-Fa-f.:/]*) echo "real-ip.sh: not an address or CIDR: $network" >&2; exit 1 ;;
    esac
    echo "set_real_ip_from $network;" >> "$out"
done
echo "real-ip.sh: trusted proxies: $(grep -c . "$out" || true)"
