#!/usr/bin/env bash
# User-space instructions per HTTP request, counted by callgrind: tide's TechEmpower app
# (examples/tfb.rs) against the same app on hyper, axum, actix-web and may_minihttp
# (benches/http-peers), on 127.0.0.1 only. Unlike wall-clock load tests, the figures are the
# same on every run whatever else the machine is doing.
#
#   bash benches/http-instructions.sh
#
# For each scenario and server: the server starts under `valgrind --tool=callgrind` with 1
# worker; `http-load` (benches/http-peers/src/bin/http_load.rs, a std-only client) opens
# $CONNECTIONS keep-alive connections and sends $WARMUP requests; the counters are zeroed
# (`callgrind_control --zero`) while the server is idle; the client sends $REQUESTS requests
# on the same connections, round-robin, reading every response in full (framed by its
# Content-Length) before the next round; the counters are dumped (`callgrind_control --dump`)
# before the connections close; Ir (instructions executed) from the dump's `totals:` line,
# over $REQUESTS, is the figure. Callgrind sums all the server's threads into one count (the
# default --separate-threads=no) and sees only user space: system calls run in the kernel,
# uncounted (valgrind also hides the vDSO, so clock reads are system calls too).
#
# Scenarios:
#   plaintext   GET /plaintext, one request per write
#   pipelined   GET /plaintext, $PIPELINE_DEPTH requests per write
#   json        GET /json, one request per write
#
# Settings (environment):
#   REQUESTS (20480) measured requests per scenario, WARMUP (1024) requests before the
#   counters are zeroed (both multiples of CONNECTIONS x PIPELINE_DEPTH), CONNECTIONS (4),
#   PIPELINE_DEPTH (16), SERVERS ("tide hyper axum actix may"), SCENARIOS ("plaintext
#   pipelined json"), ROUNDS (3) runs of each server on each scenario (the table shows the
#   least of the rounds, and how far the most exceeds it), PROFILE_TOP (15) how
#   many of the functions that cost tide most on its first scenario to list (0: none),
#   TIDE_ROOT (this checkout) the workspace whose tfb example is built and measured,
#   TIDE_TARGET_DIR ($CARGO_TARGET_DIR, else $TIDE_ROOT/target) where it is built,
#   TIDE_BIN ($TIDE_TARGET_DIR/release/examples/tfb) a tfb binary to measure as it is (tide
#   is then not built),
#   PEERS_TARGET_DIR (this checkout's target/http-peers, what http-compare.sh uses by
#   default) where the peers and http-load are built,
#   RESULTS_DIR ($PEERS_TARGET_DIR/../http-instructions) for the CSV and the callgrind
#   dumps, one folder per run,
#   SKIP_BUILD (1: use the binaries already built).
# About 3-4 minutes after the build with the defaults (45 server runs of 2-15 s each).
#
# The client keeps one connection at a time busy (see http_load.rs): with four ready at once,
# how many of them one wake-up of the server finds would depend on timing. Each measured
# request (or pipelined batch) therefore costs the server a wake-up of its own: the figures
# include that, the same for every server. What still moves from run to run is work a server
# does by the clock, such as a worker that spins for a fixed time before it sleeps: that only
# ever adds instructions (more of them the busier the machine), so the least of the rounds
# is the figure.

set -euo pipefail

REQUESTS=${REQUESTS:-20480}
WARMUP=${WARMUP:-1024}
CONNECTIONS=${CONNECTIONS:-4}
PIPELINE_DEPTH=${PIPELINE_DEPTH:-16}
SERVERS=${SERVERS:-tide hyper axum actix may}
SCENARIOS=${SCENARIOS:-plaintext pipelined json}
ROUNDS=${ROUNDS:-3}
PROFILE_TOP=${PROFILE_TOP:-15}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TIDE_ROOT=$(cd "${TIDE_ROOT:-$ROOT}" && pwd)
TIDE_TARGET=${TIDE_TARGET_DIR:-${CARGO_TARGET_DIR:-$TIDE_ROOT/target}}
PEERS_TARGET=${PEERS_TARGET_DIR:-$ROOT/target/http-peers}
RESULTS_DIR=${RESULTS_DIR:-$(dirname "$PEERS_TARGET")/http-instructions}
LOAD=$PEERS_TARGET/release/http-load

SCRIPT=http-instructions
# shellcheck source=benches/tools.sh
. "$ROOT/benches/tools.sh"

# --- tools -------------------------------------------------------------------------------

require_tools valgrind valgrind callgrind_control
check_tools cargo awk timeout

# --- scenarios ---------------------------------------------------------------------------

# Sets PATH_ (the route) and DEPTH (requests per write) for scenario $1.
scenario() {
    case $1 in
        plaintext) PATH_=/plaintext DEPTH=1 ;;
        pipelined) PATH_=/plaintext DEPTH=$PIPELINE_DEPTH ;;
        json) PATH_=/json DEPTH=1 ;;
        *) die "unknown scenario $1 (known: plaintext pipelined json)" ;;
    esac
    local batch=$((CONNECTIONS * DEPTH))
    if [ $((REQUESTS % batch)) != 0 ] || [ $((WARMUP % batch)) != 0 ]; then
        die "REQUESTS ($REQUESTS) and WARMUP ($WARMUP) must be multiples of" \
            "CONNECTIONS x requests per write ($batch) for $1"
    fi
}
for name in $SCENARIOS; do scenario "$name"; done
for server in $SERVERS; do
    case $server in
        tide | hyper | axum | actix | may) ;;
        *) die "unknown server $server (known: tide hyper axum actix may)" ;;
    esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a number of 1 or more, not '$ROUNDS'"
[[ $PROFILE_TOP =~ ^[0-9]+$ ]] || die "PROFILE_TOP must be a number, not '$PROFILE_TOP'"

# --- build -------------------------------------------------------------------------------

if [ -n "${TIDE_BIN:-}" ]; then
    TIDE_BUILD=0
else
    TIDE_BIN=$TIDE_TARGET/release/examples/tfb
    TIDE_BUILD=1
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    if [ "$TIDE_BUILD" = 1 ] && [[ " $SERVERS " == *" tide "* ]]; then
        say "building tide's tfb example (release) in $TIDE_ROOT into $TIDE_TARGET"
        (cd "$TIDE_ROOT" && CARGO_TARGET_DIR=$TIDE_TARGET cargo build --release -p examples --example tfb)
    fi
    say "building the peer servers and http-load (release) into $PEERS_TARGET"
    cargo build --release --manifest-path "$ROOT/benches/http-peers/Cargo.toml" \
        --target-dir "$PEERS_TARGET"
fi

[ -x "$LOAD" ] || die "$LOAD is not built"
for server in $SERVERS; do
    [ -x "$(server_bin "$server")" ] || die "$(server_bin "$server") is not built"
done

# --- one server and one client at a time -------------------------------------------------

SERVER_PID=
CLIENT_PID=
stop_client() {
    [ -n "$CLIENT_PID" ] || return 0
    kill -TERM "$CLIENT_PID" 2> /dev/null || true
    wait "$CLIENT_PID" 2> /dev/null || true
    CLIENT_PID=
}
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2> /dev/null || true
    # Servers under valgrind take a moment to exit (actix-web shuts down gracefully, and
    # callgrind writes its last dump); then insist.
    for _ in $(seq 100); do
        kill -0 "$SERVER_PID" 2> /dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2> /dev/null || true
    wait "$SERVER_PID" 2> /dev/null || true
    SERVER_PID=
}
cleanup() {
    stop_client
    stop_server
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# Starts server $1 under callgrind with 1 worker on a free port, its dumps named $2.N; sets
# SERVER_PID and ADDR once it listens.
start_server() {
    local log=$2.log
    : > "$log" # there before the loop below reads it, whenever the server starts
    valgrind --tool=callgrind --callgrind-out-file="$2" "$(server_bin "$1")" 127.0.0.1:0 1 \
        > "$log" 2>&1 &
    SERVER_PID=$!
    ADDR=
    for _ in $(seq 600); do
        kill -0 "$SERVER_PID" 2> /dev/null || die "$1 exited at start: $(cat "$log")"
        ADDR=$(sed -n 's|^listening on http://||p;T;q' "$log")
        [ -n "$ADDR" ] && return 0
        sleep 0.1
    done
    die "$1 did not listen within 60 s under valgrind: $(cat "$log")"
}

# Sends callgrind command $1 (zero, dump) to the server and checks that it was carried out.
callgrind() {
    local answer
    answer=$(timeout 60 callgrind_control "--$1" "$SERVER_PID" 2>&1) ||
        die "callgrind_control --$1 failed: $answer"
    [[ $answer == *OK* ]] || die "callgrind_control --$1 did not answer OK: $answer"
}

# Reads one line from the client into LINE; fails with the client's error if it has none.
client_line() {
    if ! read -r -t 600 LINE <&"$CLIENT_OUT"; then
        wait "$CLIENT_PID" 2> /dev/null || true
        CLIENT_PID=
        die "http-load failed against $server on $name: $(cat "$CLIENT_ERR")"
    fi
}

# Measures the running server on scenario $name; sets IR to the instructions it executed for
# the $REQUESTS measured requests.
measure() {
    local in out dump
    CLIENT_ERR=$RUN_DIR/$server-$name.client.log
    coproc CLIENT {
        exec "$LOAD" --warmup "$WARMUP" --hold "$ADDR" "$PATH_" "$REQUESTS" \
            "$CONNECTIONS" "$DEPTH" 2> "$CLIENT_ERR"
    }
    in=${CLIENT[1]}
    out=${CLIENT[0]}
    CLIENT_OUT=$out
    client_line # warm N
    callgrind zero
    echo go >&"$in"
    client_line # requests N responses N ...
    read -r _ sent _ received _ <<< "$LINE"
    if [ "$sent" != "$REQUESTS" ] || [ "$received" != "$REQUESTS" ]; then
        die "http-load reported '$LINE' against $server on $name"
    fi
    callgrind dump
    exec {in}>&- # the client closes its connections and exits
    wait "$CLIENT_PID" || die "http-load failed against $server on $name: $(cat "$CLIENT_ERR")"
    CLIENT_PID=
    exec {out}<&-
    dump=$DUMP.1
    [ -s "$dump" ] || die "callgrind wrote no dump $dump"
    # `events:` names the columns of `totals:`; Ir is the instruction count.
    IR=$(awk '/^events:/ { for (i = 2; i <= NF; i++) if ($i == "Ir") col = i - 1 }
         /^totals:/ { print $(col + 1); found = 1 }
         END { if (!found || !col) exit 1 }' "$dump") || die "no Ir total in $dump"
}

# --- the runs ----------------------------------------------------------------------------

stamp=$(date +%Y%m%d-%H%M%S)
RUN_DIR=$RESULTS_DIR/$stamp
mkdir -p "$RUN_DIR"
CSV=$RUN_DIR/results.csv
echo "round,scenario,server,requests,instructions,instructions_per_request" > "$CSV"

runs=0
for name in $SCENARIOS; do
    for _ in $SERVERS; do runs=$((runs + ROUNDS)); done
done
say "$runs server runs under callgrind, $WARMUP + $REQUESTS requests each; dumps and CSV in $RUN_DIR"

started=$SECONDS
run=0
for round in $(seq "$ROUNDS"); do
    for name in $SCENARIOS; do
        scenario "$name"
        for server in $SERVERS; do
            run=$((run + 1))
            DUMP=$RUN_DIR/$server-$name-$round.callgrind
            begun=$SECONDS
            start_server "$server" "$DUMP"
            measure
            stop_server
            per=$(awk -v ir="$IR" -v n="$REQUESTS" 'BEGIN { printf "%.0f", ir / n }')
            echo "$round,$name,$server,$REQUESTS,$IR,$per" >> "$CSV"
            say "[$run/$runs] round $round $name $server: $per instructions/request" \
                "($IR over $REQUESTS requests, $((SECONDS - begun)) s)"
        done
    done
done
elapsed=$((SECONDS - started))

# --- the summary -------------------------------------------------------------------------

# Instructions per request (unrounded), the least of the rounds, for scenario $1, server $2.
per_request() {
    awk -F, -v s="$1" -v v="$2" '$2 == s && $3 == v { x = $5 / $4; if (n++ == 0 || x < lo) lo = x }
        END { printf "%.3f", lo }' "$CSV"
}

# How far the most of the rounds exceeds the least for scenario $1, server $2, in percent.
spread() {
    awk -F, -v s="$1" -v v="$2" '
        $2 == s && $3 == v { x = $5 / $4; if (n++ == 0 || x < lo) lo = x; if (n == 1 || x > hi) hi = x }
        END { printf "%.1f", (hi - lo) / lo * 100 }' "$CSV"
}

revision() {
    local rev
    rev=$(git -C "$1" rev-parse --short HEAD 2> /dev/null || echo unknown)
    if [ -n "$(git -C "$1" status --porcelain 2> /dev/null)" ]; then rev="$rev+changes"; fi
    echo "$rev"
}
if [ "$TIDE_BUILD" = 1 ]; then tide_from="$TIDE_ROOT at $(revision "$TIDE_ROOT")"; else tide_from=$TIDE_BIN; fi
has_tide=0
[[ " $SERVERS " == *" tide "* ]] && has_tide=1

echo
echo "User-space instructions per request (callgrind Ir, all threads), 1 worker," \
    "$CONNECTIONS keep-alive connections, $REQUESTS requests after $WARMUP warm-up," \
    "pipelined depth $PIPELINE_DEPTH, least of $ROUNDS round(s);" \
    "$(date +%F), valgrind $(valgrind --version | sed 's/^valgrind-//')"
echo "tide: $tide_from; peers: $ROOT at $(revision "$ROOT"); ${elapsed}s of runs"
echo
printf '%-10s' scenario
for server in $SERVERS; do printf ' %9s' "$server"; done
if [ "$has_tide" = 1 ]; then
    for server in $SERVERS; do [ "$server" = tide ] || printf ' %11s' "tide/$server"; done
fi
echo
for name in $SCENARIOS; do
    printf '%-10s' "$name"
    for server in $SERVERS; do printf ' %9.0f' "$(per_request "$name" "$server")"; done
    if [ "$has_tide" = 1 ]; then
        tide=$(per_request "$name" tide)
        for server in $SERVERS; do
            [ "$server" = tide ] && continue
            awk -v a="$tide" -v b="$(per_request "$name" "$server")" 'BEGIN { printf " %10.2fx", a / b }'
        done
    fi
    echo
done
if [ "$ROUNDS" -gt 1 ]; then
    echo
    printf '%-10s' "spread %"
    for server in $SERVERS; do printf ' %9s' "$server"; done
    echo
    for name in $SCENARIOS; do
        printf '%-10s' "$name"
        for server in $SERVERS; do printf ' %9s' "$(spread "$name" "$server")"; done
        echo
    done
fi
echo
echo "spread %: how far the most of the rounds exceeds the least. tide/peer below 1 means tide" \
    "executes fewer instructions per request. CSV and dumps:" \
    "$RUN_DIR (callgrind_annotate FILE.1 for a profile)"

if [ "$has_tide" = 1 ] && [[ " $SERVERS " == *" hyper "* ]]; then
    echo
    for name in $SCENARIOS; do
        awk -v t="$(per_request "$name" tide)" -v h="$(per_request "$name" hyper)" -v s="$name" 'BEGIN {
            printf "goal tide <= 0.6x hyper on %-10s %s (%.2fx)\n", s ":", (t <= 0.6 * h) ? "met" : "NOT met", t / h
        }'
    done
fi

# The functions that cost tide most on its first scenario, self cost (instructions executed in
# the function's own code, including what was inlined into it), from the least round's dump.
if [ "$has_tide" = 1 ] && [ "$PROFILE_TOP" -gt 0 ] && command -v callgrind_annotate > /dev/null; then
    first=${SCENARIOS%% *}
    least=$(awk -F, -v s="$first" '$2 == s && $3 == "tide" { x = $5 / $4; if (n++ == 0 || x < lo) { lo = x; r = $1 } }
        END { print r }' "$CSV")
    dump=$RUN_DIR/tide-$first-$least.callgrind.1
    echo
    echo "tide's top $PROFILE_TOP functions on $first (self instructions/request, share of the total; $dump)"
    # callgrind_annotate names each cost file:function; the same function shows once per
    # source file inlined into it, so the costs are summed by function. The frames that were on
    # the stack since before the counters were zeroed (thread start, the worker's entry) come
    # out charged with the whole total: they are left out.
    callgrind_annotate --auto=no --inclusive=no --threshold=100 "$dump" 2> /dev/null |
        awk -v n="$REQUESTS" -v top="$PROFILE_TOP" '
            /^ *[0-9,]+ \(/ {
                c = $1; gsub(",", "", c); c += 0
                if ($0 ~ /PROGRAM TOTALS/) { total = c; next }
                if (c >= total) next
                sub(/^ *[0-9,]+ \( *[0-9.]+%\)  /, "")
                f = substr($0, index($0, ":") + 1)
                sub(/ \[[^]]*\]$/, "", f)
                cost[f] += c
            }
            END {
                for (f in cost) printf "%d\t%s\n", cost[f], f
            }' |
        sort -t "$(printf '\t')" -k1,1 -g -r |
        awk -F '\t' -v n="$REQUESTS" -v top="$PROFILE_TOP" -v total="$(awk '/^totals:/ { print $2 }' "$dump")" '
            NR <= top { printf "%3d. %7.0f %5.1f%%  %s\n", NR, $1 / n, $1 / total * 100, substr($2, 1, 120) }'
fi
