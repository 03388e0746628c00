#!/usr/bin/env bash
# Side-by-side scrape cost: TARGETS loopback targets x SERIES series, scraped every second for
# DURATION seconds by our collector (prometheus receiver -> debug exporter, verbosity basic),
# by Prometheus 2.42 (Debian `prometheus`, TSDB in a temp dir) and by vmagent (Debian
# `victoria-metrics`, remote write to a discarding sink), one after the other against the same
# generator (bench/scrape_targets.py). Reports CPU-seconds (utime+stime of the scraper's
# process, from /proc) per million scraped samples, and peak RSS (VmHWM).
#
# `ONLY=pipeline` runs the source documents' whole pipeline instead: prometheus ->
# cumulativetodelta -> batch -> otlp_http (gzip protobuf, Api-Token header) into the discarding
# sink; its CPU s / M samples is the cost per data point of scrape, delta, batch and export
# (issue: >= 550k points per CPU-second), and `TARGETS=10 SERIES=200 ONLY=pipeline` gives the
# collector's RSS with the documents' config and 10 NIM-sized targets (goal <= 20 MB).
#
# usage: bench/scrape_compare.sh [ASTROLABE_BINARY]     (default build-rel/astrolabe)
# env:   TARGETS=100 SERIES=2000 DURATION=60 WARMUP=5 ONLY="astrolabe prometheus vmagent"
# CPU and scrapes are counted over DURATION seconds after a WARMUP (start-up, first
# connections, TSDB initialisation); peak RSS is over the whole run.
# Build the binary as Release without tests:
#   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DASTROLABE_TESTS=OFF
#   ninja -C build-rel astrolabe
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build-rel/astrolabe}
TARGETS=${TARGETS:-100}
SERIES=${SERIES:-2000}
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
ONLY=${ONLY:-"astrolabe prometheus vmagent"}

[ -x "$BIN" ] || { echo "no $BIN: build it first (see the header of this script)" >&2; exit 1; }
work=$(mktemp -d /tmp/scrape-compare-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# A run of TARGETS+3 free consecutive loopback ports.
base=$(python3 - "$TARGETS" <<'EOF'
import socket, sys
n = int(sys.argv[1]) + 3
for base in range(21000, 60000, 500):
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
EOF
)
sink=$((base + TARGETS))
web=$((base + TARGETS + 1))
tele=$((base + TARGETS + 2))

python3 bench/scrape_targets.py "$base" "$TARGETS" "$SERIES" "$sink" > "$work/gen.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/gen.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/gen.out" || { echo "generator did not start" >&2; cat "$work/gen.out"; exit 1; }

targets=$(for i in $(seq 0 $((TARGETS - 1))); do printf "'127.0.0.1:%d'," $((base + i)); done)
cat > "$work/prom.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: bench
    static_configs:
      - targets: [${targets%,}]
EOF
# collector_config PROCESSORS_YAML PROCESSOR_IDS EXPORTERS_YAML EXPORTER_ID: our collector
# scraping the same targets as prom.yml.
collector_config() {
  echo "receivers:"
  echo "  prometheus:"
  echo "    config:"
  sed 's/^/      /' "$work/prom.yml"
  printf '%s' "$1" "$3"
  cat <<EOF
service:
  telemetry:
    metrics:
      address: 127.0.0.1:$tele
  pipelines:
    metrics:
      receivers: [prometheus]
      processors: [$2]
      exporters: [$4]
EOF
}
collector_config "" "" $'exporters:\n  debug:\n    verbosity: basic\n' debug > "$work/ours.yaml"
# The documents' pipeline (deploy/examples/nim.yaml's shape) into the discarding sink.
collector_config $'processors:\n  cumulativetodelta:\n    max_staleness: 25h\n  batch: {}\n' \
  "cumulativetodelta, batch" \
  $'exporters:\n  otlp_http:\n    endpoint: http://127.0.0.1:'"$sink"$'\n    headers:\n      Authorization: "Api-Token bench"\n' \
  otlp_http > "$work/pipeline.yaml"

served() { curl -s "http://127.0.0.1:$sink/stats"; }
tck=$(getconf CLK_TCK)

printf "| scraper | version | scrapes | samples | CPU s | CPU s / M samples | peak RSS MiB |\n"
printf "|---|---|---|---|---|---|---|\n"
cpu_of() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$tck" '{printf "%.2f", ($12 + $13) / t}'; }
run() {  # NAME VERSION CMD...
  local name=$1 version=$2
  shift 2
  local before after pid cpu cpu0 hwm
  "$@" > "$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  sleep "$WARMUP"
  before=$(served)
  cpu0=$(cpu_of "$pid")
  sleep "$DURATION"
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "$name exited early:" >&2; tail -20 "$work/$name.log" >&2; return 1
  fi
  after=$(served)
  cpu=$(echo "$(cpu_of "$pid") - $cpu0" | bc -l)
  hwm=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local scrapes=$((after - before))
  local samples=$((scrapes * SERIES))
  printf "| %s | %s | %d | %.2f M | %.2f | %.3f | %s |\n" "$name" "$version" "$scrapes" \
    "$(echo "$samples / 1000000" | bc -l)" "$cpu" "$(echo "$cpu / ($samples / 1000000)" | bc -l)" "$hwm"
}

for who in $ONLY; do
  case $who in
    astrolabe)
      run astrolabe "$("$BIN" version 2>/dev/null | head -1 | tr -d '|')" \
        "$BIN" collector --config "$work/ours.yaml" ;;
    pipeline)
      run "astrolabe-pipeline" "$("$BIN" version 2>/dev/null | head -1 | tr -d '|')" \
        "$BIN" collector --config "$work/pipeline.yaml" ;;
    prometheus)
      run prometheus "$(dpkg-query -W -f '${Version}' prometheus 2>/dev/null)" \
        prometheus --config.file="$work/prom.yml" --storage.tsdb.path="$work/prom-data" \
        --web.listen-address="127.0.0.1:$web" --log.level=warn ;;
    vmagent)
      run vmagent "$(dpkg-query -W -f '${Version}' victoria-metrics 2>/dev/null)" \
        vmagent -promscrape.config="$work/prom.yml" -httpListenAddr="127.0.0.1:$web" \
        -remoteWrite.url="http://127.0.0.1:$sink/api/v1/write" \
        -remoteWrite.tmpDataPath="$work/vmagent-data" -loggerLevel=WARN ;;
  esac
done
echo
echo "targets=$TARGETS series=$SERIES duration=${DURATION}s nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
