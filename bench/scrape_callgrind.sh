#!/bin/bash
# Instructions per scraped sample of the whole collector (every thread), counted by callgrind:
# exact under load, where CPU time is not (the dev VM has no hardware counters).
#
# usage: bench/scrape_callgrind.sh ASTROLABE_BINARY OUT_DIR [WARMUP_S=40] [MEASURE_S=60]
#   env INTERVAL (default 4s): scrape interval and timeout
#
# Serves 2 targets x 2,016 NIM-shaped series (bench/compare/targets.py, one worker), runs
# `ASTROLABE_BINARY collector` (prometheus -> debug, verbosity basic) under
# `valgrind --tool=callgrind --instr-atstart=no`, turns instrumentation on after WARMUP_S
# (`callgrind_control -i on`: the first scrapes, which fill the scrape cache, stay out) and off
# MEASURE_S later, and divides the instructions by the samples the targets served in that
# window (their /stats). A failed scrape (a timeout under valgrind on a loaded machine) empties
# the scrape cache and inflates the figure: the script prints the count; discard such runs.
# The profile stays in OUT_DIR/callgrind.out (callgrind_annotate --inclusive=yes ...).
set -euo pipefail
BIN=$1
OUT=$2
WARM=${3:-40}
MEAS=${4:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
rm -f "$OUT"/callgrind.out*
BASE=$((41000 + RANDOM % 2000))
SINK=$((BASE + 2))
python3 "$HERE/compare/targets.py" $BASE 2 2000 $SINK --workers 1 >"$OUT/targets.log" 2>&1 &
TP=$!
trap 'kill $TP 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q ready "$OUT/targets.log" && break; sleep 0.1; done
grep -q ready "$OUT/targets.log" || { echo "targets did not start" >&2; exit 1; }
PER=$(awk '/^ready/ {print $2; exit}' "$OUT/targets.log")  # series per target
cat >"$OUT/collector.yaml" <<Y
receivers:
  prometheus:
    config:
      global: {scrape_interval: ${INTERVAL:-4s}, scrape_timeout: ${INTERVAL:-4s}}
      scrape_configs:
        - job_name: bench
          static_configs:
            - targets: ['127.0.0.1:$BASE', '127.0.0.1:$((BASE + 1))']
exporters:
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      address: 127.0.0.1:$((BASE + 3))
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [debug]
Y
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/callgrind.out" \
  "$BIN" collector --config "$OUT/collector.yaml" >"$OUT/collector.log" 2>&1 &
VP=$!
sleep "$WARM"
callgrind_control -i on $VP >/dev/null 2>&1
S0=$(curl -s http://127.0.0.1:$SINK/stats)
sleep "$MEAS"
S1=$(curl -s http://127.0.0.1:$SINK/stats)
callgrind_control -i off $VP >/dev/null 2>&1
kill -TERM $VP
wait $VP || true
IR=$(callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
FAILS=$(grep -c "Failed to scrape" "$OUT/collector.log" || true)
echo "failed scrapes (whole run): $FAILS"
echo "scrapes served in the window: $((S1 - S0)); instructions: $IR;" \
  "per sample: $(python3 -c "print(round($IR / (($S1 - $S0) * $PER)))")"
