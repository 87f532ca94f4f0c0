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
#          sudo ONLY=lab12 tests/record_fixtures.sh     only the lab going wrong (issue 12):
#            lab_udp_sizes, lab_tcp_sizes, lab_udp_empty, lab_udp_new_socket,
#            lab_udp_wrong_port, lab_udp_no_reply, lab_udp_no_server, lab_tcp_3000,
#            lab_tcp_no_reply, lab_background (DNS and HTTP beside the lab, on 127.0.0.1:53
#            and :80) and lab_tcp_multibyte (two namespaces labmodel-rec-c/-s joined by a
#            veth with MTU 1500, created and removed by the script)
#          sudo ONLY=syn_unanswered tests/record_fixtures.sh   only lab_tcp_syn_unanswered: a
#            TCP client whose SYN nobody answers (namespaces labmodel-rec-nc/-ns joined by a
#            veth, the far side without the address; created and removed by the script)
# Needs:   root (tcpdump on lo), tcpdump, python3, editcap (wireshark-common), ss (iproute2).
#          The web and names fixtures it also records (tests/record_web_fixtures.sh,
#          tests/record_name_fixtures.sh) say what they need at their top.
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
recorded=()
# Empty: the classic recordings run on this host's loopback. The lab12 ones run in a
# network namespace of their own (its loopback carries nothing else).
in_ns=
cleanup() {
    # stop what we started (by pid), then remove the temporary directory
    for pid in ${server_pid:-} ${dump_pid:-} ${http_pid:-} ${dns_pid:-}; do kill "$pid" 2>/dev/null || true; done
    if [ -n "${netns_made:-}" ]; then
        for ns in labmodel-rec-lo labmodel-rec-c labmodel-rec-s labmodel-rec-nc labmodel-rec-ns; do ip netns del $ns 2>/dev/null || true; done
    fi
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
    $in_ns tcpdump -n -U --immediate-mode "$@" -w "$file" "$filter" 2> "$tmp/tcpdump.err" &
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
    recorded+=("$1")
    n=$(tcpdump -n -r "$1" 2>/dev/null | wc -l)
    [ "$n" = "$2" ] && return 0
    if [ "$2" = any ] && [ "$n" -gt 0 ]; then echo "$1: $n frames"; return 0; fi
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

# want GROUP: true when ONLY is empty or names GROUP (classic: the first six fixtures;
# lab12: the lab going wrong, issue 12)
want() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }

# start_server_prog PROGRAM 4|6 PORT: starts $tmp/PROGRAM.4.PORT.py, waits until it is ready
start_server_prog() {
    : > "$tmp/server.out"
    $in_ns python3 "$tmp/$1.$2.$3.py" > "$tmp/server.out" 2>&1 &
    server_pid=$!
    wait_for "$tmp/server.out" "ready to receive"
}

# client_prog PROGRAM 4|6 PORT MESSAGE [SECS]: one client run, bounded to SECS (5) s
client_prog() {
    printf '%s\n' "$4" | timeout "${5:-5}" $in_ns python3 "$tmp/$1.$2.$3.py" > /dev/null || true
    sleep 0.2
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
if want classic; then
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

# --- 3c. the names fixtures (DNS, DHCP from dnsmasq, busybox) in namespaces of their own ---------
"$here/record_name_fixtures.sh" "$out"

fi

# --- 3b. the lab going wrong (issue 12): the seed programs and variants with the mistake ---------
# Each variant is made from the seed by a small textual change (shown by `diff`), so the
# mistake is the only difference from what the student wrote.
variant() { # variant SRC DST PYTHON-CODE: DST.py = SRC.py with the change PYTHON-CODE makes to `s`
    python3 - "$tmp/$1.py" "$tmp/$2.py" "$3" <<'PY'
import sys
src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(src).read()
env = {"s": s}
exec(code, env)
if env["s"] == s:
    sys.exit(f"variant {dst}: the change found nothing to change")
open(dst, "w").write(env["s"])
PY
    echo "--- $2: changes from $1"
    diff "$tmp/$1.py" "$tmp/$2.py" || true
}
if want lab12; then
ip netns add labmodel-rec-lo
netns_made=1
ip -n labmodel-rec-lo link set lo up
in_ns="ip netns exec labmodel-rec-lo"
# The UDP programs read at most 2048 bytes (recvfrom(2048)): for long messages, 65535.
variant UDPServer UDPServerBig 's = s.replace("recvfrom(2048)", "recvfrom(65535)")'
variant UDPClient UDPClientBig 's = s.replace("recvfrom(2048)", "recvfrom(65535)")'
# The classic bug: the reply goes out from a second socket, so from another port.
variant UDPServer UDPServerNewSocket 's = s.replace("\tserverSocket.sendto(modifiedMessage.encode(), clientAddress)", "\treplySocket = socket(AF_INET, SOCK_DGRAM)\n\treplySocket.sendto(modifiedMessage.encode(), clientAddress)\n\treplySocket.close()")'
# The reply sent to the wrong client port (nothing listens there: ICMP port unreachable).
variant UDPServer UDPServerWrongPort 's = s.replace("serverSocket.sendto(modifiedMessage.encode(), clientAddress)", "serverSocket.sendto(modifiedMessage.encode(), (clientAddress[0], clientAddress[1] + 1))")'
# A server that never replies.
variant UDPServer UDPServerSilent 's = s.replace("\tserverSocket.sendto(modifiedMessage.encode(), clientAddress)", "\tpass")'
variant TCPServer TCPServerSilent 's = s.replace("\tconnectionSocket.send(capitalizedSentence.encode())", "\tpass")'
# A TCP server and client that read the whole message (for the long ones), not one recv(1024).
variant TCPServer TCPServerAll 's = s.replace("\tsentence = connectionSocket.recv(1024).decode()", "\tconnectionSocket.settimeout(0.5)\n\tdata = b\"\"\n\twhile True:\n\t\ttry:\n\t\t\tchunk = connectionSocket.recv(65536)\n\t\texcept OSError:\n\t\t\tbreak\n\t\tif not chunk:\n\t\t\tbreak\n\t\tdata += chunk\n\tsentence = data.decode()")'
variant TCPClient TCPClientAll 's = s.replace("modifiedSentence = clientSocket.recv(1024)", "modifiedSentence = b\"\"\nwhile True:\n    chunk = clientSocket.recv(65536)\n    if not chunk:\n        break\n    modifiedSentence += chunk")'
# One TCP port per recording (the Python TCP server cannot bind a port in TIME-WAIT).
L12_UDP=23481 L12_TCP=23482 L12_CLOSED=23483 L12_BIG_TCP=23484 L12_3000=23485 L12_SILENT=23486
for prog in UDPServer UDPClient UDPServerBig UDPClientBig UDPServerNewSocket UDPServerWrongPort UDPServerSilent; do
    adapt $prog 4 127.0.0.1 $L12_UDP
done
adapt UDPClient 4 127.0.0.1 $L12_CLOSED
for prog in TCPServerAll TCPClientAll; do adapt $prog 4 127.0.0.1 $L12_TCP; done
for prog in TCPServer TCPClient; do adapt $prog 4 127.0.0.1 $L12_3000; done
adapt TCPServerSilent 4 127.0.0.1 $L12_SILENT
adapt TCPClient 4 127.0.0.1 $L12_SILENT
adapt TCPServerAll 4 10.12.0.2 $L12_BIG_TCP
adapt TCPClientAll 4 10.12.0.2 $L12_BIG_TCP
a300=$(python3 -c 'print("a" * 300, end="")')
a1400=$(python3 -c 'print("the quick brown fox " * 70, end="")')
a60000=$(python3 -c 'print("abcdefghij" * 6000, end="")')
a3000=$(python3 -c 'print("abc" * 1000, end="")')

echo "=== lab_udp_sizes.pcap (300, 1,400 and 60,000 bytes)"
start_server_prog UDPServerBig 4 $L12_UDP
start_capture "$out/lab_udp_sizes.pcap" "udp port $L12_UDP" -i lo
client_prog UDPClientBig 4 $L12_UDP "$a300"
client_prog UDPClientBig 4 $L12_UDP "$a1400"
client_prog UDPClientBig 4 $L12_UDP "$a60000"
stop_capture "$out/lab_udp_sizes.pcap" 6 || die "a frame was missed: run it again"
stop_server

echo "=== lab_tcp_sizes.pcap (300, 1,400 and 60,000 bytes)"
start_server_prog TCPServerAll 4 $L12_TCP
start_capture "$out/lab_tcp_sizes.pcap" "tcp port $L12_TCP" -i lo
client_prog TCPClientAll 4 $L12_TCP "$a300"
client_prog TCPClientAll 4 $L12_TCP "$a1400"
client_prog TCPClientAll 4 $L12_TCP "$a60000"
stop_capture "$out/lab_tcp_sizes.pcap" any
stop_server

echo "=== lab_udp_empty.pcap (an empty message)"
start_server_prog UDPServer 4 $L12_UDP
start_capture "$out/lab_udp_empty.pcap" "udp port $L12_UDP" -i lo
client_prog UDPClient 4 $L12_UDP ""
stop_capture "$out/lab_udp_empty.pcap" 2 || die "a frame was missed: run it again"
stop_server

echo "=== lab_udp_new_socket.pcap (the reply from a new socket)"
start_server_prog UDPServerNewSocket 4 $L12_UDP
start_capture "$out/lab_udp_new_socket.pcap" "udp" -i lo
client_prog UDPClient 4 $L12_UDP "hello"
client_prog UDPClient 4 $L12_UDP "hello again"
stop_capture "$out/lab_udp_new_socket.pcap" 4 || die "a frame was missed: run it again"
stop_server

echo "=== lab_udp_wrong_port.pcap (the reply to the wrong port: ICMP port unreachable)"
start_server_prog UDPServerWrongPort 4 $L12_UDP
start_capture "$out/lab_udp_wrong_port.pcap" "udp or icmp" -i lo
client_prog UDPClient 4 $L12_UDP "hello" 2
stop_capture "$out/lab_udp_wrong_port.pcap" 3 || die "a frame was missed: run it again"
stop_server

echo "=== lab_udp_no_reply.pcap (a server that never replies)"
start_server_prog UDPServerSilent 4 $L12_UDP
start_capture "$out/lab_udp_no_reply.pcap" "udp or icmp" -i lo
client_prog UDPClient 4 $L12_UDP "hello" 2
stop_capture "$out/lab_udp_no_reply.pcap" 1 || die "a frame was missed: run it again"
stop_server

echo "=== lab_udp_no_server.pcap (no server: ICMP port unreachable)"
start_capture "$out/lab_udp_no_server.pcap" "udp or icmp" -i lo
client_prog UDPClient 4 $L12_CLOSED "hello" 2
stop_capture "$out/lab_udp_no_server.pcap" 2 || die "a frame was missed: run it again"

echo "=== lab_tcp_3000.pcap (TCPServer.py given 3,000 bytes: one recv(1024))"
start_server_prog TCPServer 4 $L12_3000
start_capture "$out/lab_tcp_3000.pcap" "tcp port $L12_3000" -i lo
client_prog TCPClient 4 $L12_3000 "$a3000"
stop_capture "$out/lab_tcp_3000.pcap" any
stop_server

echo "=== lab_tcp_no_reply.pcap (a server that closes without replying)"
start_server_prog TCPServerSilent 4 $L12_SILENT
start_capture "$out/lab_tcp_no_reply.pcap" "tcp port $L12_SILENT" -i lo
client_prog TCPClient 4 $L12_SILENT "hello"
stop_capture "$out/lab_tcp_no_reply.pcap" any
stop_server

echo "=== lab_background.pcap (DNS and HTTP beside the lab)"
mkdir -p "$tmp/www" && printf 'hello from http\n' > "$tmp/www/hello.txt"
$in_ns python3 - > "$tmp/dns.out" 2>&1 <<'PY' &
# A one-answer DNS server on 127.0.0.1:53: every query for an A record gets 127.0.0.1.
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready to receive", flush=True)
s.settimeout(15)
try:
    while True:
        q, addr = s.recvfrom(512)
        flags = b"\x81\x80"
        answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x01"
        s.sendto(q[:2] + flags + q[4:6] + b"\x00\x01\x00\x00\x00\x00" + q[12:] + answer, addr)
except socket.timeout:
    pass
PY
dns_pid=$!
wait_for "$tmp/dns.out" "ready to receive"
$in_ns python3 -m http.server 80 --bind 127.0.0.1 --directory "$tmp/www" > "$tmp/http.out" 2>&1 &
http_pid=$!
sleep 1
start_server_prog UDPServer 4 $L12_UDP
start_capture "$out/lab_background.pcap" "udp port 53 or tcp port 80 or udp port $L12_UDP" -i lo
$in_ns python3 - <<'PY'
import socket
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, ("127.0.0.1", 53))
print("DNS answer of", len(s.recvfrom(512)[0]), "bytes")
PY
client_prog UDPClient 4 $L12_UDP "hello"
$in_ns python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1/hello.txt", timeout=3).read())'
stop_capture "$out/lab_background.pcap" any
stop_server
kill "$http_pid" "$dns_pid" 2>/dev/null || true
wait "$http_pid" "$dns_pid" 2>/dev/null || true

echo "=== lab_tcp_multibyte.pcap (\"aß\" x 700 over a veth with MTU 1500: characters split across segments)"
ns_c=labmodel-rec-c ns_s=labmodel-rec-s
ip netns add $ns_c && ip netns add $ns_s
netns_made=1
ip link add lmrec0 netns $ns_c type veth peer name lmrec1 netns $ns_s
for side in "$ns_c lmrec0 10.12.0.1" "$ns_s lmrec1 10.12.0.2"; do
    set -- $side
    ip -n "$1" link set lo up
    ip -n "$1" link set "$2" mtu 1500 gso_max_size 1500 gso_max_segs 1 up
    ip -n "$1" addr add "$3/24" dev "$2"
done
: > "$tmp/server.out"
ip netns exec $ns_s python3 "$tmp/TCPServerAll.4.$L12_BIG_TCP.py" > "$tmp/server.out" 2>&1 &
server_pid=$!
wait_for "$tmp/server.out" "ready to receive"
: > "$tmp/tcpdump.err"
ip netns exec $ns_c tcpdump -n -U --immediate-mode -i lmrec0 -w "$out/lab_tcp_multibyte.pcap" "tcp port $L12_BIG_TCP" 2> "$tmp/tcpdump.err" &
dump_pid=$!
wait_for "$tmp/tcpdump.err" "listening on"
mb=$(python3 -c 'print("aß" * 700, end="")')
printf '%s\n' "$mb" | timeout 5 ip netns exec $ns_c python3 "$tmp/TCPClientAll.4.$L12_BIG_TCP.py" || true
sleep 0.5
stop_capture "$out/lab_tcp_multibyte.pcap" any
stop_server
ip netns del $ns_c; ip netns del $ns_s
ip netns del labmodel-rec-lo; netns_made=; in_ns=
fi

# --- 3c. a SYN never answered (issue 12): a host that is down, or a firewall that drops -----------
# Two namespaces of the script's own joined by a veth. The client's side (10.13.0.1) knows
# the MAC of 10.13.0.2 by a static neighbour entry, so its SYNs go out; the other side has
# the MAC but no address, so its kernel drops them: no SYN-ACK, no RST, no ICMP. The
# client's SYN retries are 2 in its namespace, so connect() gives up after about 7 s
# (1 + 2 + 4 s); Linux 6.5 and later retransmit 1 s apart for the first few
# (tcp_syn_linear_timeouts), so the capture holds the SYN and 2 or more retransmissions.
if want syn_unanswered; then
echo "=== lab_tcp_syn_unanswered.pcap (a SYN nobody answers: the SYN and its retransmissions)"
L12_NO_ANSWER=23487
adapt TCPClient 4 10.13.0.2 $L12_NO_ANSWER
ns_c=labmodel-rec-nc ns_s=labmodel-rec-ns
ip netns add $ns_c && ip netns add $ns_s
netns_made=1
ip link add lmrec2 netns $ns_c type veth peer name lmrec3 netns $ns_s
ip -n $ns_c link set lmrec2 address 02:00:00:0d:00:01 up
ip -n $ns_s link set lmrec3 address 02:00:00:0d:00:02 up
ip -n $ns_c addr add 10.13.0.1/24 dev lmrec2
ip -n $ns_c neigh add 10.13.0.2 lladdr 02:00:00:0d:00:02 dev lmrec2 nud permanent
ip netns exec $ns_c sysctl -q -w net.ipv4.tcp_syn_retries=2
: > "$tmp/tcpdump.err"
ip netns exec $ns_c tcpdump -n -U --immediate-mode -i lmrec2 -w "$out/lab_tcp_syn_unanswered.pcap" "tcp port $L12_NO_ANSWER" 2> "$tmp/tcpdump.err" &
dump_pid=$!
wait_for "$tmp/tcpdump.err" "listening on"
printf 'hello\n' | timeout 15 ip netns exec $ns_c python3 "$tmp/TCPClient.4.$L12_NO_ANSWER.py" > "$tmp/client.out" 2>&1 || true
echo "the client said: $(tail -n 1 "$tmp/client.out")"
stop_capture "$out/lab_tcp_syn_unanswered.pcap" any
[ "$(tcpdump -n -r "$out/lab_tcp_syn_unanswered.pcap" 'tcp[tcpflags] == tcp-syn' 2>/dev/null | wc -l)" -ge 2 ] ||
    die "lab_tcp_syn_unanswered.pcap: expected the SYN and at least one retransmission, only SYNs"
[ "$(tcpdump -n -r "$out/lab_tcp_syn_unanswered.pcap" 'not tcp[tcpflags] == tcp-syn' 2>/dev/null | wc -l)" = 0 ] ||
    die "lab_tcp_syn_unanswered.pcap: something answered the SYN"
ip netns del $ns_c; ip netns del $ns_s; netns_made=
fi

# --- 4. oracles ----------------------------------------------------------------------------------
oracle="$root/../shared/conformance/oracle_extract.py"
if [ -f "$oracle" ] && command -v tshark >/dev/null; then
    if want classic; then
        python3 "$oracle" --force "$out"/lab_*.pcap "$out"/lab_*.pcapng "$out"/web_*.pcap
    else
        python3 "$oracle" --force "${recorded[@]}"
    fi
else
    echo "record_fixtures.sh: no oracle_extract.py or tshark; oracles not rewritten" >&2
fi
echo "done: $(ls "$out"/lab_* | tr '\n' ' ')"
