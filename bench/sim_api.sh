#!/usr/bin/env bash
# Simulator figures (bench/README.md "simulators"): CPU of an idle `astrolabe sim nim`, and the
# requests/s its OpenAI-compatible API serves under `hey`.
#   bench/sim_api.sh BINARY [IDLE_SECONDS] [REQUESTS]
set -euo pipefail
bin=${1:?usage: bench/sim_api.sh BINARY [IDLE_SECONDS] [REQUESTS]}
idle=${2:-30}
requests=${3:-20000}
tick=$(getconf CLK_TCK)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
body=$(mktemp)
echo '{"model":"meta/llama-3.1-8b-instruct","max_tokens":16,"messages":[{"role":"user","content":"Say something short about GPUs."}]}' > "$body"

cpu_of() {  # utime+stime in seconds of PID
  awk -v t="$tick" '{print ($14+$15)/t}' "/proc/$1/stat"
}

run_sim() {  # args... ; sets pid
  "$bin" sim nim --listen "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/v1/models" >/dev/null && return; sleep 0.05; done
  echo "simulator did not start" >&2; exit 1
}

stop_sim() { kill "$pid"; wait "$pid" || true; }

for args in "--rate 0" "--rate 1"; do
  run_sim $args
  sleep 1
  c0=$(cpu_of "$pid"); sleep "$idle"; c1=$(cpu_of "$pid")
  rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
  printf 'idle %-9s cpu %.3f s over %d s = %.2f %% of a core, RSS %d KiB\n' "$args" \
    "$(echo "$c1 - $c0" | bc -l)" "$idle" "$(echo "($c1 - $c0) * 100 / $idle" | bc -l)" "$rss"
  stop_sim
done

for scale in 1 1000; do
  run_sim --rate 0 --time-scale "$scale" --max-waiting 100000 --max-num-seqs 256 --error-rate 0
  n=$requests; [ "$scale" = 1 ] && n=$((requests / 10))
  echo "hey -n $n -c 32 POST /v1/chat/completions (max_tokens 16), --time-scale $scale:"
  hey -n "$n" -c 32 -m POST -T application/json -D "$body" \
    "http://127.0.0.1:$port/v1/chat/completions" | grep -E 'Requests/sec|Average|99%|\[200\]|\[[0-9]+\]'
  stop_sim
done
run_sim --rate 1
echo "hey -n $requests -c 8 GET /v1/metrics:"
hey -n "$requests" -c 8 "http://127.0.0.1:$port/v1/metrics" | grep -E 'Requests/sec|Average|\[200\]'
stop_sim
rm -f "$body"
