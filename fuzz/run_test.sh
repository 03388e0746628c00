#!/usr/bin/env bash
# Checks fuzz/run, the fuzz half of `make drills` and `make fuzz`, against fake fuzzers (shell
# scripts that answer like libFuzzer): a clean run passes; a crash, a non-zero exit without a
# reproducer, a named target that is not built, or no targets at all fail; every target runs
# even after one failed. ctest: fuzz_run_test.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# fake NAME BODY: an executable build/fuzz/NAME_fuzz running BODY; $prefix is -artifact_prefix.
fake() {
  mkdir -p "$tmp/build/fuzz"
  cat >"$tmp/build/fuzz/$1_fuzz" <<EOF
#!/usr/bin/env bash
prefix=
for a in "\$@"; do case "\$a" in -artifact_prefix=*) prefix=\${a#-artifact_prefix=};; esac; done
echo "\$*" >"$tmp/args-$1"
$2
EOF
  chmod +x "$tmp/build/fuzz/$1_fuzz"
}
clean='echo "#42	DONE   cov: 7 ft: 9 corp: 3/12b lim: 4 exec/s: 21 rss: 30Mb"; echo "stat::number_of_executed_units: 42"; exit 0'
crash='echo "==9==ERROR: AddressSanitizer: heap-buffer-overflow"; echo x >"${prefix}crash-0123"; exit 1'
ub='echo "x.cc:1:2: runtime error: signed integer overflow"; echo "#42	DONE   cov: 7 ft: 9 corp: 3/12b lim: 4 exec/s: 21 rss: 30Mb"; exit 0'
ubopts='echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"; exit 0'
broken='echo "ERROR: the fuzz target could not start"; exit 1'

# run EXPECTED_STATUS ARGS...: fuzz/run with FUZZ_BUILD=$tmp/build; output in $tmp/out.
run() {
  local want=$1
  shift
  FUZZ_BUILD="$tmp/build" "$here/run" "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "fuzz/run $*: exit status $got, want $want"
    sed 's/^/    /' "$tmp/out"
  fi
}

# No fuzz target built: not a clean run.
mkdir -p "$tmp/build/fuzz"
run 2 1
grep -q 'no fuzz targets' "$tmp/out" || fail "no targets: message missing"

# Clean: status 0, the seconds passed on, the final line and the executions reported.
fake alpha "$clean"
run 0 3
grep -q -- '-max_total_time=3' "$tmp/args-alpha" || fail "seconds not passed: $(cat "$tmp/args-alpha")"
grep -q 'DONE   cov: 7 ft: 9 corp: 3/12b' "$tmp/out" || fail "final line not reported"
grep -q 'stat::number_of_executed_units: 42' "$tmp/out" || fail "executions not reported"
[ -f "$tmp/build/fuzz-logs/alpha_fuzz.log" ] || fail "no log file"

# A crash fails the run, leaves its reproducer, and the targets after it still run.
fake beta "$crash"
fake gamma "$clean"
rm -f "$tmp/args-gamma"
run 1 3
[ -f "$tmp/build/crashes/beta_fuzz/crash-0123" ] || fail "reproducer not in crashes/beta_fuzz"
grep -q '!! beta_fuzz' "$tmp/out" || fail "the crashing target is not named"
[ -f "$tmp/args-gamma" ] || fail "the target after the crash did not run"
grep -q '!! alpha_fuzz\|!! gamma_fuzz' "$tmp/out" && fail "a clean target reported as failed"

# Named targets only (with or without _fuzz); an old reproducer alone does not fail a clean run.
rm -f "$tmp/args-alpha" "$tmp/args-gamma"
run 0 3 alpha gamma_fuzz
[ -f "$tmp/args-alpha" ] && [ -f "$tmp/args-gamma" ] || fail "named targets did not run"

# A fuzzer that exits non-zero without writing a reproducer still fails the run.
fake delta "$broken"
run 1 3 delta
grep -q '!! delta_fuzz: exit status 1' "$tmp/out" || fail "non-zero exit not reported"

# A sanitizer report that did not stop the fuzzer (UBSan in recover mode) still fails the run,
# and fuzz/run asks UBSan to halt on its first report.
fake epsilon "$ub"
run 1 3 epsilon
grep -q '!! epsilon_fuzz: .*1 runtime error' "$tmp/out" || fail "UB report not counted"
fake zeta "$ubopts"
UBSAN_OPTIONS=halt_on_error=0 run 0 3 zeta
grep -q 'halt_on_error=0:halt_on_error=1$' "$tmp/build/fuzz-logs/zeta_fuzz.log" ||
  fail "UBSAN_OPTIONS: $(cat "$tmp/build/fuzz-logs/zeta_fuzz.log")"

# A named target that is not built fails.
run 1 3 alpha missing
grep -q '!! missing_fuzz: not built' "$tmp/out" || fail "missing target not reported"

# FUZZ_JOBS=2: two targets run at once (each waits, bounded, for the other to start), every
# report is printed whole, and a finding in one still fails the run.
both="touch $tmp/up-\$(basename \$0); n=0
while [ ! -f $tmp/up-pair1_fuzz ] || [ ! -f $tmp/up-pair2_fuzz ]; do
  n=\$((n + 1)); [ \$n -gt 100 ] && { echo 'ran alone'; exit 3; }; sleep 0.1
done
$clean"
fake pair1 "$both"
fake pair2 "$both"
FUZZ_JOBS=2 run 0 3 pair1 pair2
grep -q 'ran alone' "$tmp/build/fuzz-logs/pair1_fuzz.log" "$tmp/build/fuzz-logs/pair2_fuzz.log" &&
  fail "FUZZ_JOBS=2: the targets did not run at the same time"
[ "$(grep -c 'stat::number_of_executed_units: 42' "$tmp/out")" -eq 2 ] ||
  fail "FUZZ_JOBS=2: reports missing: $(cat "$tmp/out")"
rm -f "$tmp/args-gamma"
FUZZ_JOBS=2 run 1 3 alpha beta gamma missing
grep -q '!! beta_fuzz' "$tmp/out" || fail "FUZZ_JOBS=2: the crashing target is not named"
grep -q '!! missing_fuzz: not built' "$tmp/out" || fail "FUZZ_JOBS=2: missing target not reported"
[ -f "$tmp/args-gamma" ] || fail "FUZZ_JOBS=2: a target after the crash did not run"
[ "$(grep -c '^== ' "$tmp/out")" -eq 3 ] || fail "FUZZ_JOBS=2: want three started targets"
FUZZ_JOBS=two run 2 3 alpha
grep -q 'FUZZ_JOBS=two' "$tmp/out" || fail "a bad FUZZ_JOBS is not named"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "fuzz/run: all checks passed"
