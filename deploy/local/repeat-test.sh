#!/usr/bin/env bash
# Run the same tests N times in a row and count the runs that pass and fail (flakiness hunts).
#
#   deploy/local/repeat-test.sh 200 tests/certification/test_consumer.py -k racing
#   deploy/local/repeat-test.sh 200 --until-fail tests/e2e/test_journey.py
#
# Each run is a fresh `pytest` process of this checkout's .venv with the options `make test`
# uses. The output of every failed run is kept in var/repeat/<timestamp>/run-<i>.log; a line
# per run shows its result and duration. Exits 1 when any run failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [[ $# -lt 2 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 N [--until-fail] <pytest arguments>" >&2
    exit 2
fi
runs=$1
shift
until_fail=0
if [[ ${1:-} == --until-fail ]]; then
    until_fail=1
    shift
fi
logs="var/repeat/$(date +%Y%m%dT%H%M%S)"
mkdir -p "$logs"
passed=0
failed=0
started=$SECONDS
for ((i = 1; i <= runs; i++)); do
    t0=$SECONDS
    if .venv/bin/python -m pytest -p no:cacheprovider -p deploy.local.pytest_no_skips -q "$@" \
        >"$logs/run-$i.log" 2>&1; then
        passed=$((passed + 1))
        rm -f "$logs/run-$i.log"
        result=pass
    else
        failed=$((failed + 1))
        result="FAIL (log: $logs/run-$i.log)"
    fi
    echo "run $i/$runs: $result in $((SECONDS - t0)) s (passed $passed, failed $failed)"
    if [[ $until_fail == 1 && $failed -gt 0 ]]; then
        break
    fi
done
echo "passed $passed, failed $failed of $((passed + failed)) runs in $((SECONDS - started)) s"
[[ $failed == 0 ]]
