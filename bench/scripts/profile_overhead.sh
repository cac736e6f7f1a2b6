#!/usr/bin/env bash
# Heap profiling's cost on SET/GET throughput (issue 6): one strata-server,
# redis-benchmark runs alternating KPROFILE MEMORY DISABLE and ENABLE in the
# same process (A B, B A, ... so neither state always runs first), and the
# tracked allocations per command that the accounting adds (INFO memory's
# tracked_*_allocs over the runs). Prints each run and the median ratio
# enabled/disabled per test.
#
#   bench/scripts/profile_overhead.sh [strata-server binary] [rounds]
#
# Build the binary first (make build, or go build -tags jemalloc for the
# jemalloc build, whose ENABLE also turns on jemalloc's prof.active when
# the process runs with MALLOC_CONF=prof:true).
set -euo pipefail
bin=${1:-./strata-server}
rounds=${2:-3}
port=${PORT:-16390}
n=${N:-300000}
dir=$(mktemp -d)
trap 'redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
mkdir -p "$dir/data" "$dir/dumps"
"$bin" --port "$port" --bind 127.0.0.1 --dir "$dir/data" --profile-dump-root "$dir/dumps" >"$dir/log" 2>&1 &
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
rb() { redis-benchmark -p "$port" -c 50 -P 16 -d 100 -r 1000000 -n "$n" -t "$1" --csv | awk -F'"' 'NR==2 {print $4}'; }
allocs() { redis-cli -p "$port" info memory | tr -d '\r' | awk -F: '/^tracked_.*_allocs:/ && !/live/ {s+=$2} END {print s}'; }
rb set >/dev/null # prefill
declare -A res
for r in $(seq "$rounds"); do
  order="disable enable"; [ $((r % 2)) = 0 ] && order="enable disable"
  for mode in $order; do
    redis-cli -p "$port" kprofile memory "$mode" >/dev/null
    for t in set get; do
      a0=$(allocs); v=$(rb $t); a1=$(allocs)
      echo "round $r $mode $t rps=$v tracked_allocs_per_cmd=$(echo "scale=4; ($a1-$a0)/$n" | bc)"
      res[$r,$mode,$t]=$v
    done
  done
done
for t in set get; do
  ratios=$(for r in $(seq "$rounds"); do echo "scale=4; ${res[$r,enable,$t]}/${res[$r,disable,$t]}" | bc; done | sort -n | tr '\n' ' ')
  echo "$t enabled/disabled per round (sorted): $ratios"
done
