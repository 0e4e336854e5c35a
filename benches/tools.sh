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
