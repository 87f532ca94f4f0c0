#!/usr/bin/env bash
# Record the lab fixtures in fixtures/ again.
#
# What it does: extracts the four Python programs of the socket lab (UDPClient.py,
# UDPServer.py, TCPClient.py, TCPServer.py) from the student's notes in
# ../shared/seed/000_*.txt into a temporary directory, changes ONLY their server address
# and port (to loopback: 127.0.0.1 or ::1, and our lab ports; for ::1 also AF_INET ->
# AF_INET6, since the programs are IPv4-only), then runs the server, a tcpdump capture
# on loopback filtered on the lab ports, and the client (its input fed on stdin), and
# writes:
#
#   fixtures/lab_udp.pcap           UDP server + 3 client runs over 127.0.0.1
#   fixtures/lab_tcp.pcap           TCP server + 3 client runs over 127.0.0.1
#   fixtures/lab_tcp_refused.pcap   TCP client to a closed port (SYN -> RST, ACK)
#   fixtures/lab_ipv6.pcapng        one UDP and one TCP exchange over ::1 (nanosecond pcapng)
#   fixtures/lab_any_sll2.pcap      UDP + TCP exchange captured with -i any (LINUX_SLL2)
#   fixtures/lab_any_sll.pcap       the same with -y LINUX_SLL
#
# and then the tshark oracle of each (NAME.oracle.jsonl, NAME.oracle.meta.json) with
# ../shared/conformance/oracle_extract.py when that script is present.
#
# Usage:   sudo tests/record_fixtures.sh [OUTDIR]      (OUTDIR defaults to fixtures/)
# Needs:   root (tcpdump on lo), tcpdump, python3, editcap (wireshark-common), ss (iproute2).
# Traffic: loopback only (127.0.0.1 and ::1); every wait is bounded.
# After recording, re-bless the golden files: WIRELAB_BLESS=1 cargo test, and review them.
set -euo pipefail

# Lab ports. Each recording has its own TCP port: the Python TCP server does not set
# SO_REUSEADDR, so it cannot bind a port that still has connections in TIME-WAIT.
# The ports are ones Wireshark has no dissector for (12000 would be shown as LLC), so that
# tshark shows the exchange as plain UDP/TCP data, as in the issue's examples.
TCP_PORT=23456
UDP_PORT=23457
CLOSED_PORT=23458
SLL2_TCP_PORT=23466
SLL2_UDP_PORT=23467
SLL_TCP_PORT=23476
SLL_UDP_PORT=23477

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/fixtures}
seed_glob="$root/../shared/seed/000_*.txt"
# shellcheck disable=SC2086
seed=$(ls $seed_glob 2>/dev/null | head -n 1 || true)

die() { echo "record_fixtures.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root to capture on lo (run it with sudo)"
[ -n "$seed" ] || die "no seed notes found at $seed_glob"
for tool in tcpdump python3 editcap ss; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
mkdir -p "$out"

tmp=$(mktemp -d)
cleanup() {
    # stop what we started (by pid), then remove the temporary directory
    for pid in ${server_pid:-} ${dump_pid:-}; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
export PYTHONUTF8=1 PYTHONUNBUFFERED=1

# --- 1. the programs, as the student wrote them -------------------------------------------
# A program is the fenced code block after a line "`NAME.py`".
awk -v dir="$tmp" '
    /^`[A-Za-z]+\.py`$/ { name = substr($0, 2, length($0) - 2); next }
    /^```/ {
        if (inblock) { inblock = 0; name = ""; next }
        if (name != "") { inblock = 1; file = dir "/" name; printf "" > file; next }
    }
    inblock { print >> file }
' "$seed"
for p in UDPClient UDPServer TCPClient TCPServer; do
    [ -s "$tmp/$p.py" ] || die "could not extract $p.py from $seed"
done

# adapt PROGRAM FAMILY ADDR PORT -> writes $tmp/PROGRAM.FAMILY.PORT.py
# Only serverName, serverPort and (for IPv6) the address family change.
adapt() {
    local prog=$1 family=$2 addr=$3 port=$4 dst=$tmp/$1.$2.$4.py
    sed -e "s|^serverName = \"[^\"]*\"|serverName = \"$addr\"|" \
        -e "s|^serverPort = [0-9]*|serverPort = $port|" \
        "$tmp/$prog.py" > "$dst"
    if [ "$family" = 6 ]; then sed -i -e 's/AF_INET,/AF_INET6,/' "$dst"; fi
    echo "--- $prog (IPv$family, port $port): changes from the seed"
    diff "$tmp/$prog.py" "$dst" || true
}
for prog in UDPServer UDPClient; do
    adapt $prog 4 127.0.0.1 $UDP_PORT
    adapt $prog 6 ::1 $UDP_PORT
    adapt $prog 4 127.0.0.1 $SLL2_UDP_PORT
    adapt $prog 4 127.0.0.1 $SLL_UDP_PORT
done
for prog in TCPServer TCPClient; do
    adapt $prog 4 127.0.0.1 $TCP_PORT
    adapt $prog 6 ::1 $TCP_PORT
    adapt $prog 4 127.0.0.1 $SLL2_TCP_PORT
    adapt $prog 4 127.0.0.1 $SLL_TCP_PORT
done
adapt TCPClient 4 127.0.0.1 $CLOSED_PORT

# --- 2. helpers ------------------------------------------------------------------------------
# wait_for FILE TEXT: up to 5 s for TEXT to appear in FILE
wait_for() {
    local i
    for i in $(seq 1 50); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "timed out waiting for '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# start_capture FILE FILTER TCPDUMP-ARGS...: starts tcpdump, waits until it listens
start_capture() {
    local file=$1 filter=$2
    shift 2
    : > "$tmp/tcpdump.err"
    tcpdump -n -U --immediate-mode "$@" -w "$file" "$filter" 2> "$tmp/tcpdump.err" &
    dump_pid=$!
    wait_for "$tmp/tcpdump.err" "listening on"
}

# stop_capture FILE FRAMES: lets the last segments arrive, stops tcpdump with SIGINT,
# and checks that FILE holds the FRAMES frames the exchange must have
stop_capture() {
    local n
    sleep 1
    kill -INT "$dump_pid"
    wait "$dump_pid" || true
    cat "$tmp/tcpdump.err" >&2
    dump_pid=
    chown --reference="$out" "$1"
    n=$(tcpdump -n -r "$1" 2>/dev/null | wc -l)
    [ "$n" = "$2" ] && return 0
    echo "record_fixtures.sh: $1 has $n frames, expected $2" >&2
    return 1
}

# wait_port_free PORT: up to 70 s for the TIME-WAIT connections of an earlier run on
# PORT to expire (the Python server cannot bind the port before that)
wait_port_free() {
    local i
    for i in $(seq 1 140); do
        [ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ] && return 0
        [ "$i" = 1 ] && echo "waiting for TCP port $1 to leave TIME-WAIT (up to 70 s)" >&2
        sleep 0.5
    done
    die "TCP port $1 stays busy"
}

# start_server udp|tcp 4|6 PORT
start_server() {
    local prog
    if [ "$1" = udp ]; then prog=UDPServer; else prog=TCPServer; wait_port_free "$3"; fi
    : > "$tmp/server.out"
    python3 "$tmp/$prog.$2.$3.py" > "$tmp/server.out" 2>&1 &
    server_pid=$!
    wait_for "$tmp/server.out" "ready to receive"
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# client udp|tcp 4|6 PORT MESSAGE: one client run, the message typed on stdin, bounded to 5 s
client() {
    local prog
    if [ "$1" = udp ]; then prog=UDPClient; else prog=TCPClient; fi
    printf '%s\n' "$4" | timeout 5 python3 "$tmp/$prog.$2.$3.py" || true
    sleep 0.2
}


# --- 3. the recordings -------------------------------------------------------------------------
echo "=== lab_udp.pcap"
start_server udp 4 $UDP_PORT
start_capture "$out/lab_udp.pcap" "udp port $UDP_PORT" -i lo
client udp 4 $UDP_PORT "hello"
client udp 4 $UDP_PORT "the quick brown fox"
client udp 4 $UDP_PORT "hej æøå"
stop_capture "$out/lab_udp.pcap" 6 || die "a frame was missed: run it again"
stop_server

echo "=== lab_tcp.pcap"
start_server tcp 4 $TCP_PORT
start_capture "$out/lab_tcp.pcap" "tcp port $TCP_PORT" -i lo
client tcp 4 $TCP_PORT "hello"
client tcp 4 $TCP_PORT "the quick brown fox"
client tcp 4 $TCP_PORT "hej æøå"
stop_capture "$out/lab_tcp.pcap" 30 || die "a frame was missed: run it again"
stop_server

echo "=== lab_tcp_refused.pcap"
# nothing listens on CLOSED_PORT: the kernel answers the SYN with RST, ACK
if ss -ltn 2>/dev/null | grep -q ":$CLOSED_PORT "; then die "port $CLOSED_PORT is in use"; fi
start_capture "$out/lab_tcp_refused.pcap" "tcp port $CLOSED_PORT" -i lo
client tcp 4 $CLOSED_PORT "hello"
stop_capture "$out/lab_tcp_refused.pcap" 2 || die "a frame was missed: run it again"

echo "=== lab_ipv6.pcapng"
start_capture "$tmp/lab_ipv6.pcap" "ip6 and (udp port $UDP_PORT or tcp port $TCP_PORT)" -i lo \
    --time-stamp-precision=nano
start_server udp 6 $UDP_PORT
client udp 6 $UDP_PORT "hello over ipv6"
stop_server
start_server tcp 6 $TCP_PORT
client tcp 6 $TCP_PORT "hello over ipv6"
stop_server
stop_capture "$tmp/lab_ipv6.pcap" 12 || die "a frame was missed: run it again"
# tcpdump writes pcap only; keep the nanosecond resolution in the pcapng
editcap -F pcapng "$tmp/lab_ipv6.pcap" "$out/lab_ipv6.pcapng"
chown --reference="$out" "$out/lab_ipv6.pcapng"

# With -i any the kernel sometimes reports a few frames "dropped" (seen here: the FINs of
# the teardown), so each of these recordings gets up to three attempts.
for linktype in LINUX_SLL2 LINUX_SLL; do
    if [ $linktype = LINUX_SLL2 ]; then
        name=lab_any_sll2.pcap udp=$SLL2_UDP_PORT tcp=$SLL2_TCP_PORT
    else
        name=lab_any_sll.pcap udp=$SLL_UDP_PORT tcp=$SLL_TCP_PORT
    fi
    for attempt in 1 2 3; do
        echo "=== $name (attempt $attempt)"
        start_capture "$out/$name" "udp port $udp or tcp port $tcp" -i any -y $linktype
        start_server udp 4 "$udp"
        client udp 4 "$udp" "hello"
        stop_server
        start_server tcp 4 "$tcp"
        client tcp 4 "$tcp" "hello"
        stop_server
        if stop_capture "$out/$name" 12; then break; fi
        [ $attempt = 3 ] && die "$name: frames missed three times"
    done
done

# --- 3b. the web fixtures (HTTP, TLS) in a namespace of their own ----------------------------------
"$here/record_web_fixtures.sh" "$out"

# --- 4. oracles ----------------------------------------------------------------------------------
oracle="$root/../shared/conformance/oracle_extract.py"
if [ -f "$oracle" ] && command -v tshark >/dev/null; then
    python3 "$oracle" --force "$out"/lab_*.pcap "$out"/lab_*.pcapng "$out"/web_*.pcap
else
    echo "record_fixtures.sh: no oracle_extract.py or tshark; oracles not rewritten" >&2
fi
echo "done: $(ls "$out"/lab_* | tr '\n' ' ')"
