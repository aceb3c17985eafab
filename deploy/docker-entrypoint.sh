#!/bin/sh
# The container's command picks the service; any other command runs as given.
set -eu
case "${1:-}" in
enrollment | certification | notification)
    service=$1
    shift
    exec python -m "services.$service" "$@"
    ;;
*)
    exec "$@"
    ;;
esac
