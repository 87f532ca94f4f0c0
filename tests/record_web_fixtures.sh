#!/usr/bin/env bash
# Record the web fixtures (issue 14: HTTP and TLS as a student's capture shows them) in
# fixtures/, called by tests/record_fixtures.sh (or alone: sudo tests/record_web_fixtures.sh [OUTDIR]).
#
# What it does: in a network namespace of its own (wirelab-appweb-rec, removed at the end),
# whose loopback gets an MTU of 1200 so that pages and TLS records span several TCP
# segments as on a real network, it runs real programs and captures their loopback:
#
#   fixtures/web_http.pcap  python3 -m http.server on port 80 and on port 8000 (found by
#                           content, as tshark's heuristic does); curl fetches a 6 KB page,
#                           a small text file, a missing page (404) and a HEAD request
#   fixtures/web_tls.pcap   openssl s_server on 443 (TLS 1.3) and on 4433 (TLS 1.2 only);
#                           openssl s_client with SNI www.example.com sends one line on
#                           each, curl -k fetches the s_server -www status page (about 5 KB,
#                           several records) over TLS 1.3
#
# Needs: root (namespaces, tcpdump), ip (iproute2), tcpdump, python3, curl, openssl.
# Traffic: only inside the namespace's own loopback; every wait is bounded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/fixtures}
ns=wirelab-appweb-rec

die() { echo "record_web_fixtures.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespace, tcpdump)"
for tool in ip tcpdump python3 curl openssl; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
mkdir -p "$out"
tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
inns() { ip netns exec "$ns" "$@"; }
ip -n "$ns" link set lo mtu 1200 up
# segments as the wire carries them (no offload merging them on the loopback), when ethtool is there
if command -v ethtool >/dev/null; then inns ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true; fi

# the content served
mkdir -p "$tmp/www"
python3 - "$tmp/www" <<'EOF'
import sys, os
d = sys.argv[1]
body = "".join(f"<p>line {i}: wirelab explains every frame of the capture</p>\n" for i in range(100))
open(os.path.join(d, "index.html"), "w").write(f"<html><head><title>wirelab</title></head><body>\n{body}</body></html>\n")
open(os.path.join(d, "hello.txt"), "w").write("hello, web\n")
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 30 -subj "/CN=www.example.com" 2>/dev/null

# wait_port PORT: until something listens in the namespace (at most 5 s)
wait_port() {
    for _ in $(seq 50); do
        inns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "nothing listens on port $1"
}
# capture FILE FILTER: starts tcpdump in the namespace
capture() {
    ip netns exec "$ns" tcpdump -i lo -U -s 0 -w "$1" "$2" 2>/dev/null &
    dump=$!
    pids+=("$dump")
    sleep 2
}
stop_capture() {
    sleep 0.5
    kill -TERM "$dump" 2>/dev/null || true
    wait "$dump" 2>/dev/null || true
}

echo "=== web_http.pcap"
(cd "$tmp/www" && exec ip netns exec "$ns" python3 -m http.server 80 --bind 127.0.0.1) >/dev/null 2>&1 &
pids+=("$!")
(cd "$tmp/www" && exec ip netns exec "$ns" python3 -m http.server 8000 --bind 127.0.0.1) >/dev/null 2>&1 &
pids+=("$!")
wait_port 80
wait_port 8000
capture "$out/web_http.pcap" "tcp port 80 or tcp port 8000"
inns curl -s -m 5 -o /dev/null http://127.0.0.1/index.html
inns curl -s -m 5 -o /dev/null http://127.0.0.1/hello.txt
inns curl -s -m 5 -o /dev/null http://127.0.0.1/missing.html
inns curl -s -m 5 -o /dev/null -I http://127.0.0.1:8000/hello.txt
inns curl -s -m 5 -o /dev/null http://127.0.0.1:8000/index.html
stop_capture

echo "=== web_tls.pcap"
ip netns exec "$ns" openssl s_server -accept 443 -cert "$tmp/cert.pem" -key "$tmp/key.pem" -www -quiet >/dev/null 2>&1 &
pids+=("$!")
ip netns exec "$ns" openssl s_server -accept 4433 -cert "$tmp/cert.pem" -key "$tmp/key.pem" -tls1_2 -www -quiet >/dev/null 2>&1 &
pids+=("$!")
wait_port 443
wait_port 4433
capture "$out/web_tls.pcap" "tcp port 443 or tcp port 4433"
# stdin stays open a second, so that the client finishes its handshake and sends the line
(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | inns timeout 5 openssl s_client -connect 127.0.0.1:443 -servername www.example.com -quiet >/dev/null 2>&1 || true
(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | inns timeout 5 openssl s_client -connect 127.0.0.1:4433 -servername www.example.com -tls1_2 -quiet >/dev/null 2>&1 || true
inns curl -sk -m 5 -o /dev/null --resolve www.example.com:443:127.0.0.1 https://www.example.com/
stop_capture

for f in web_http.pcap web_tls.pcap; do
    n=$(tcpdump -r "$out/$f" 2>/dev/null | wc -l)
    [ "$n" -gt 20 ] || die "$f: only $n frames captured"
    echo "$f: $n frames"
done
