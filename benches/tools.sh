# shellcheck shell=bash
# Sourced by the HTTP scripts in benches/: messages, and the tools they need, installed with
# apt when missing. The sourcing script sets SCRIPT (its name, for messages) first.

say() { printf '%s\n' "$*" >&2; }
die() {
    say "$SCRIPT: $*"
    exit 1
}

# Runs a command as root: directly, or through sudo.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo > /dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# require_tools PACKAGE TOOL...: installs Debian's PACKAGE if any TOOL is missing, then fails
# clearly if one still is.
require_tools() {
    local package=$1 tool
    shift
    for tool in "$@"; do
        if ! command -v "$tool" > /dev/null; then
            say "installing $package with apt"
            as_root sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y $package" >&2
            break
        fi
    done
    check_tools "$@"
}

# check_tools TOOL...: fails clearly if a TOOL is missing.
check_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" > /dev/null || die "$tool is missing"
    done
}

# The binary of server $1: tide's tfb example ($TIDE_BIN) or a peer built in
# benches/http-peers ($PEERS_TARGET); both variables are set by the calling script.
server_bin() {
    case $1 in
        tide) echo "$TIDE_BIN" ;;
        hyper | axum | actix | may) echo "$PEERS_TARGET/release/$1-server" ;;
        *) die "unknown server $1 (known: tide hyper axum actix may)" ;;
    esac
}
