#!/usr/bin/env bash
# Runs the runtime crates' test suites again and again on a loaded machine, to flush out
# tests that pass only when the machine is quiet (lost wakeups, timing assumptions).
#
#   bash benches/stress-tests.sh            # 20 runs of `cargo test -p romio -p juliex`
#   RUNS=50 SPINNERS=4 CRATES="romio juliex tide" bash benches/stress-tests.sh
#
# Load: SPINNERS busy-loop processes (default 2, one per core here) run for the whole time,
# so every test competes for the CPU with them. Stops at the first failing run and prints
# its output; the spinners are killed on exit either way.
set -euo pipefail

RUNS=${RUNS:-20}
SPINNERS=${SPINNERS:-2}
CRATES=${CRATES:-romio juliex}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
packages=()
for crate in $CRATES; do packages+=(-p "$crate"); done

cargo test -q "${packages[@]}" --no-run

spinners=()
cleanup() { for pid in "${spinners[@]}"; do kill "$pid" 2> /dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq "$SPINNERS"); do
    bash -c 'while :; do :; done' &
    spinners+=($!)
done

log=$(mktemp)
for run in $(seq "$RUNS"); do
    start=$(date +%s)
    if ! cargo test -q "${packages[@]}" > "$log" 2>&1; then
        cat "$log"
        echo "stress-tests: run $run of $RUNS FAILED (load: $SPINNERS spinners)"
        exit 1
    fi
    echo "stress-tests: run $run of $RUNS passed in $(($(date +%s) - start)) s (load average $(cut -d' ' -f1 /proc/loadavg))"
done
echo "stress-tests: $RUNS of $RUNS runs passed with $SPINNERS spinners loading the machine"
