#!/usr/bin/env bash
# HTTP load comparison: tide's TechEmpower app (examples/tfb.rs) against the same app on
# hyper, actix-web and axum (benches/http-peers), and optionally may_minihttp (`may` in
# SERVERS), under wrk, on 127.0.0.1 only.
#
#   bash benches/http-compare.sh
#
# Scenarios (each server runs each one ROUNDS times, the servers interleaved within a round so
# that drift in the machine's speed hits them all alike):
#   plaintext     server pinned to CPU $SERVER_CPU with 1 worker, wrk pinned to $CLIENT_CPU,
#                 wrk -t1 -c$CONNECTIONS on /plaintext
#   pipelined     the same, $PIPELINE_DEPTH requests per write (benches/pipeline.lua)
#   json          the same as plaintext, on /json
#   plaintext-2w  nothing pinned, 2 workers, wrk -t$UNPINNED_WRK_THREADS, /plaintext
#   json-2w       the same on /json
#
# For every run it records wrk's requests/s and the server's CPU time per request: the
# process's utime+stime (/proc/PID/stat fields 14 and 15, all threads) before and after the
# measured wrk run, over the requests wrk completed, and the two parts apart (user space: the
# server's own code; kernel: its system calls and the loopback TCP work they do, which for
# one small request per write is most of the total, for every server). It prints the medians
# and tide's ratio to each peer; every run's numbers go to a CSV under $RESULTS_DIR.
#
# Settings (environment): ROUNDS (3), DURATION seconds per run (10), WARMUP seconds (1),
# CONNECTIONS (64), PIPELINE_DEPTH (16), SERVERS ("tide hyper actix axum"; add "may" for
# may_minihttp, which does not set TCP_NODELAY), SCENARIOS (all five), SERVER_CPU (0), CLIENT_CPU (1), UNPINNED_WRK_THREADS (2), CARGO_TARGET_DIR (target),
# PEERS_TARGET_DIR ($CARGO_TARGET_DIR/http-peers), RESULTS_DIR ($CARGO_TARGET_DIR/http-compare),
# SKIP_BUILD (set to 1 to use the binaries already built).
# The defaults take about 12 minutes after the build (5 scenarios x 4 servers x 3 rounds).

set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-64}
PIPELINE_DEPTH=${PIPELINE_DEPTH:-16}
SERVERS=${SERVERS:-tide hyper actix axum}
SCENARIOS=${SCENARIOS:-plaintext pipelined json plaintext-2w json-2w}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
UNPINNED_WRK_THREADS=${UNPINNED_WRK_THREADS:-2}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PEERS_TARGET=${PEERS_TARGET_DIR:-$TARGET/http-peers}
RESULTS_DIR=${RESULTS_DIR:-$TARGET/http-compare}
PIPELINE_LUA=$ROOT/benches/pipeline.lua

SCRIPT=http-compare
# shellcheck source=benches/tools.sh
. "$ROOT/benches/tools.sh"

# --- tools -------------------------------------------------------------------------------

require_tools wrk wrk
check_tools taskset cargo awk sort
CLK_TCK=$(getconf CLK_TCK)

# --- build -------------------------------------------------------------------------------

TIDE_BIN=$TARGET/release/examples/tfb
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    say "building tide's tfb example (release) into $TARGET"
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release -p examples --example tfb)
    say "building the peer servers (release) into $PEERS_TARGET"
    cargo build --release --manifest-path "$ROOT/benches/http-peers/Cargo.toml" \
        --target-dir "$PEERS_TARGET"
fi

for server in $SERVERS; do
    [ -x "$(server_bin "$server")" ] || die "$(server_bin "$server") is not built"
done

# --- scenarios ---------------------------------------------------------------------------

# Sets PATH_ (the route), PINNED (1 or 0), WORKERS, WRK_THREADS and PIPELINED for scenario $1.
scenario() {
    PIPELINED=0
    case $1 in
        plaintext) PATH_=/plaintext PINNED=1 WORKERS=1 WRK_THREADS=1 ;;
        pipelined) PATH_=/plaintext PINNED=1 WORKERS=1 WRK_THREADS=1 PIPELINED=1 ;;
        json) PATH_=/json PINNED=1 WORKERS=1 WRK_THREADS=1 ;;
        plaintext-2w) PATH_=/plaintext PINNED=0 WORKERS=2 WRK_THREADS=$UNPINNED_WRK_THREADS ;;
        json-2w) PATH_=/json PINNED=0 WORKERS=2 WRK_THREADS=$UNPINNED_WRK_THREADS ;;
        *) die "unknown scenario $1 (known: plaintext pipelined json plaintext-2w json-2w)" ;;
    esac
}
for name in $SCENARIOS; do scenario "$name"; done

# --- one server at a time ----------------------------------------------------------------

SERVER_PID=
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2> /dev/null || true
    # actix-web shuts down gracefully on SIGTERM; give it a moment, then insist.
    for _ in $(seq 40); do
        kill -0 "$SERVER_PID" 2> /dev/null || break
        sleep 0.05
    done
    kill -KILL "$SERVER_PID" 2> /dev/null || true
    wait "$SERVER_PID" 2> /dev/null || true
    SERVER_PID=
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

# Answers whether http://$1$2 returns 200.
http_ok() {
    if command -v curl > /dev/null; then
        curl -sf -o /dev/null --max-time 1 "http://$1$2"
    else
        local host=${1%:*} port=${1##*:} status
        exec 3<> "/dev/tcp/$host/$port" || return 1
        printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$1" >&3
        read -r -t 1 _ status _ <&3 || status=
        exec 3>&-
        [ "$status" = 200 ]
    fi
}

# Starts server $1 with $WORKERS workers (pinned if $PINNED) on a free port; sets SERVER_PID
# and ADDR once it answers $PATH_.
start_server() {
    local bin log
    bin=$(server_bin "$1")
    log=$RESULTS_DIR/server-$1.log
    : > "$log" # there before the loop below reads it, whenever the server starts
    if [ "$PINNED" = 1 ]; then
        taskset -c "$SERVER_CPU" "$bin" 127.0.0.1:0 "$WORKERS" > "$log" 2>&1 &
    else
        "$bin" 127.0.0.1:0 "$WORKERS" > "$log" 2>&1 &
    fi
    SERVER_PID=$!
    ADDR=
    for _ in $(seq 200); do
        kill -0 "$SERVER_PID" 2> /dev/null || die "$1 exited at start: $(cat "$log")"
        ADDR=$(sed -n 's|^listening on http://||p;T;q' "$log")
        if [ -n "$ADDR" ] && http_ok "$ADDR" "$PATH_"; then
            return 0
        fi
        sleep 0.05
    done
    die "$1 did not answer on ${ADDR:-its port} within 10 s: $(cat "$log")"
}

# The server's CPU time so far (all threads), in clock ticks: user, then system.
cpu_ticks() {
    # Fields after the `(comm)` one: state is field 3, so utime (14) and stime (15) are the
    # 12th and 13th here.
    sed 's/^.*) //' "/proc/$SERVER_PID/stat" | awk '{ print $12, $13 }'
}

# Runs wrk for $1 seconds against the running server; prints its report.
run_wrk() {
    local cmd=(wrk "-t$WRK_THREADS" "-c$CONNECTIONS" "-d${1}s")
    [ "$PINNED" = 1 ] && cmd=(taskset -c "$CLIENT_CPU" "${cmd[@]}")
    if [ "$PIPELINED" = 1 ]; then
        "${cmd[@]}" -s "$PIPELINE_LUA" "http://$ADDR$PATH_" -- "$PIPELINE_DEPTH"
    else
        "${cmd[@]}" "http://$ADDR$PATH_"
    fi
}

# --- the runs ----------------------------------------------------------------------------

mkdir -p "$RESULTS_DIR"
CSV=$RESULTS_DIR/results-$(date +%Y%m%d-%H%M%S).csv
echo "round,scenario,server,requests_per_s,requests,cpu_s,cpu_us_per_request,user_us_per_request,sys_us_per_request,errors" > "$CSV"

runs=0
for name in $SCENARIOS; do
    for _ in $SERVERS; do runs=$((runs + ROUNDS)); done
done
say "$runs runs of ${DURATION}s (+${WARMUP}s warm-up each); results in $CSV"

run=0
for name in $SCENARIOS; do
    scenario "$name"
    for round in $(seq "$ROUNDS"); do
        for server in $SERVERS; do
            run=$((run + 1))
            start_server "$server"
            run_wrk "$WARMUP" > /dev/null
            before=$(cpu_ticks)
            report=$(run_wrk "$DURATION")
            after=$(cpu_ticks)
            stop_server

            requests=$(awk '/ requests in / { print $1 }' <<< "$report")
            rps=$(awk '/^Requests\/sec:/ { print $2 }' <<< "$report")
            if [ -z "$requests" ] || [ "$requests" -le 0 ]; then
                die "wrk failed against $server: $report"
            fi
            # Socket errors and non-2xx answers make a run suspect: keep them in the CSV.
            errors=$(awk '/Socket errors:|Non-2xx/ { sub(/^ +/, ""); printf "%s; ", $0 }' <<< "$report")
            read -r cpu_s cpu_us user_us sys_us <<< "$(awk -v b="$before" -v a="$after" \
                -v hz="$CLK_TCK" -v n="$requests" 'BEGIN {
                    split(b, x, " "); split(a, y, " ")
                    u = (y[1] - x[1]) / hz; k = (y[2] - x[2]) / hz
                    printf "%.2f %.3f %.3f %.3f", u + k, (u + k) / n * 1e6, u / n * 1e6, k / n * 1e6
                }')"
            echo "$round,$name,$server,$rps,$requests,$cpu_s,$cpu_us,$user_us,$sys_us,\"${errors%; }\"" >> "$CSV"
            say "[$run/$runs] $name round $round $server: $rps req/s, $cpu_us us CPU/request" \
                "($user_us user, $sys_us kernel)${errors:+ ($errors)}"
        done
    done
done

# --- the summary -------------------------------------------------------------------------

# Median of column $3 (4: req/s, 7: CPU us/request, 8: user, 9: kernel) for scenario $1,
# server $2.
median() {
    awk -F, -v s="$1" -v v="$2" -v c="$3" '$2 == s && $3 == v { print $c }' "$CSV" |
        sort -g |
        awk '{ x[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print x[(NR + 1) / 2]; else print (x[NR / 2] + x[NR / 2 + 1]) / 2 }'
}

# Half the range of column $3 for scenario $1, server $2, in percent of the median: how far
# the rounds disagree.
spread() {
    awk -F, -v s="$1" -v v="$2" -v c="$3" -v m="$(median "$1" "$2" "$3")" '
        $2 == s && $3 == v { if (n++ == 0 || $c < lo) lo = $c; if (n == 1 || $c > hi) hi = $c }
        END { printf "%.0f", (n && m) ? (hi - lo) / 2 / m * 100 : 0 }' "$CSV"
}

revision=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain 2> /dev/null)" ]; then revision="$revision+changes"; fi
echo
echo "HTTP load comparison: $ROUNDS rounds x ${DURATION}s, $CONNECTIONS connections," \
    "pipelined depth $PIPELINE_DEPTH; $(nproc) CPUs, $(uname -r), tree $revision"
echo "pinned scenarios: server on CPU $SERVER_CPU (1 worker), wrk -t1 on CPU $CLIENT_CPU;" \
    "-2w: unpinned, 2 workers, wrk -t$UNPINNED_WRK_THREADS"
echo
printf '%-13s %-6s %10s %5s %11s %5s %6s %6s' scenario server "req/s" "+-%" "CPU us/req" "+-%" \
    user kernel
printf '%17s %15s %15s\n' "tide/peer req/s" "tide/peer CPU" "tide/peer user"
for name in $SCENARIOS; do
    tide_rps=$(median "$name" tide 4)
    tide_cpu=$(median "$name" tide 7)
    tide_user=$(median "$name" tide 8)
    for server in $SERVERS; do
        rps=$(median "$name" "$server" 4)
        cpu=$(median "$name" "$server" 7)
        user=$(median "$name" "$server" 8)
        printf '%-13s %-6s %10.0f %5s %11.3f %5s %6.3f %6.3f' "$name" "$server" "$rps" \
            "$(spread "$name" "$server" 4)" "$cpu" "$(spread "$name" "$server" 7)" \
            "$user" "$(median "$name" "$server" 9)"
        if [ "$server" != tide ] && [[ " $SERVERS " == *" tide "* ]]; then
            awk -v a="$tide_rps" -v b="$rps" -v c="$tide_cpu" -v d="$cpu" -v e="$tide_user" \
                -v f="$user" 'BEGIN { printf "%16.2fx %14.2fx %14.2fx\n", a / b, c / d, e / f }'
        else
            echo
        fi
    done
done
echo
echo "Medians over the rounds; +-% is half the range of the rounds, relative to the median;"
echo "user and kernel: the two parts of CPU us/req (clock-tick resolution, 10 ms a run)."
echo "tide/peer req/s above 1 and tide/peer CPU below 1 favour tide. Every run: $CSV"

if [[ " $SERVERS " == *" tide "* && " $SERVERS " == *" hyper "* ]]; then
    echo
    goal() { # scenario column comparison threshold description
        local t h
        t=$(median "$1" tide "$2")
        h=$(median "$1" hyper "$2")
        awk -v t="$t" -v h="$h" -v op="$3" -v k="$4" -v what="$5" 'BEGIN {
            ok = (op == "le") ? (t <= h * k) : (t >= h * k)
            printf "goal %-52s %s (tide %.3f, hyper %.3f)\n", what, ok ? "met" : "NOT met", t, h
        }'
    }
    # Issue #8's targets.
    for name in $SCENARIOS; do
        case $name in
            plaintext | json) goal "$name" 7 le 0.8 "tide CPU/request <= 0.8x hyper's on $name:" ;;
            pipelined) goal "$name" 4 ge 1.5 "tide req/s >= 1.5x hyper's on $name:" ;;
            plaintext-2w | json-2w) goal "$name" 4 ge 1 "tide req/s >= hyper's on $name:" ;;
        esac
    done
fi
