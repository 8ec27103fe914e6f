#!/usr/bin/env bash
# Runs Baton's benchmarks and prints their figures. Each program compares
# Baton with a baseline measured in the same run (plain ffmpeg, the naive
# pipeline, a bare handler), because these machines are shared and noisy.
#
#   bench/run.sh                 everything (the Stop-to-ready run alone takes ~45 min: real-time pace)
#   QUICK=1 bench/run.sh         shorter inputs, for a smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/baton ] || make build
if [ "${QUICK:-}" = 1 ]; then
  go run ./bench/process -bin bin/baton -seconds 10 -runs 1
  go run ./bench/stoptoready -bin bin/baton -minutes 0.5 -speed 2
else
  go run ./bench/process -bin bin/baton
  go run ./bench/stoptoready -bin bin/baton -minutes 1,5,15
fi
for b in bench/*/; do
  case "$b" in bench/process/|bench/stoptoready/) continue ;; bench/workers/) continue ;; esac  # workers needs a Postgres URL and an S3 store (see bench/README.md)
  [ -f "$b/main.go" ] && go run "./$b" ${QUICK:+-quick}
done
