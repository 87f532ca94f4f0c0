#!/usr/bin/env bash
# Record the name and address fixtures (issue 14: DNS and DHCP from real servers) in
# fixtures/, called by tests/record_fixtures.sh (or alone: sudo tests/record_name_fixtures.sh [OUTDIR]).
#
# What it does, in network namespaces of its own (removed at the end, also on failure):
#
#   fixtures/names_dns.pcap   dnsmasq (Debian's dnsmasq-base) as the resolver on 127.0.0.1:53
#                             of namespace wirelab-names-dns (its loopback carries nothing
#                             else), answering from its own records only (--no-resolv, no
#                             upstream): busybox nslookup asks for lab.test (A, and AAAA: refused
#                             for want of an upstream), the MX of lab.test, a name under
#                             nx.test ("No such name"), a CNAME; python3 asks for TXT over UDP,
#                             the A of host.lab.test over TCP (length-prefixed, one segment each
#                             way) and the PTR of 10.0.0.2
#   fixtures/names_dhcp.pcap  dnsmasq as DHCP server on a veth in namespace wirelab-names-dhs
#                             (192.168.77.1/24), busybox udhcpc as the client on the other end in
#                             wirelab-names-dhc: Discover, Offer, Request, ACK, then Release
#
# Then the tshark oracle of each (NAME.oracle.jsonl, NAME.oracle.meta.json) with
# ../shared/conformance/oracle_extract.py when that script is present.
#
# Needs: root (namespaces, tcpdump), ip (iproute2), tcpdump, dnsmasq (package dnsmasq-base),
#        busybox (nslookup, udhcpc), python3.
# Traffic: only inside the namespaces the script creates; every wait is bounded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/fixtures}
ns_dns=wirelab-names-dns
ns_dhs=wirelab-names-dhs
ns_dhc=wirelab-names-dhc

die() { echo "record_name_fixtures.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
for tool in ip tcpdump dnsmasq busybox python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
mkdir -p "$out"
tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in "$ns_dns" "$ns_dhs" "$ns_dhc"; do ip netns del "$ns" 2>/dev/null || true; done
    # the veth, if a failure came before it moved into the namespaces
    ip link del wl-dhs 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
for ns in "$ns_dns" "$ns_dhs" "$ns_dhc"; do
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # no IPv6 router or neighbour chatter in the captures
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

# wait_log FILE TEXT WHAT: until TEXT appears in FILE (at most 10 s), else fails saying WHAT
wait_log() {
    for _ in $(seq 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "$3: $(cat "$1" 2>/dev/null)"
}
# capture NS IFACE FILE FILTER: starts tcpdump in NS, waits until it listens (at most 5 s)
capture() {
    : > "$tmp/tcpdump.err"
    ip netns exec "$1" tcpdump -n -i "$2" -U --immediate-mode -s 0 -w "$3" "$4" 2> "$tmp/tcpdump.err" &
    dump=$!
    pids+=("$dump")
    wait_log "$tmp/tcpdump.err" "listening on" "tcpdump did not start"
}
# stop_capture FILE MIN: lets the last frames arrive, stops tcpdump, checks FILE holds at least MIN frames
stop_capture() {
    sleep 0.5
    kill -INT "$dump" 2>/dev/null || true
    wait "$dump" 2>/dev/null || true
    chown --reference="$out" "$1"
    local n
    n=$(tcpdump -n -r "$1" 2>/dev/null | wc -l)
    [ "$n" -ge "$2" ] || die "$1: only $n frames captured (at least $2 expected)"
    echo "$1: $n frames"
}

echo "=== names_dns.pcap"
# --address=/lab.test/10.0.0.1: lab.test and every name under it is 10.0.0.1 (IPv4 only: with
# no upstream, the AAAA query nslookup also sends is refused); --address=/nx.test/: "No such
# name" under nx.test;
# --host-record gives host.lab.test its A record and the PTR of 10.0.0.2.
ip netns exec "$ns_dns" dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null \
    --listen-address=127.0.0.1 --bind-interfaces --port=53 --user=root --pid-file="$tmp/dns.pid" \
    --address=/lab.test/10.0.0.1 --address=/nx.test/ \
    --host-record=host.lab.test,10.0.0.2 --cname=www.example.lab,host.lab.test \
    --mx-host=lab.test,mail.lab.test,10 --txt-record=lab.test,"wirelab fixture" \
    2> "$tmp/dnsmasq.err" &
pids+=("$!")
wait_log "$tmp/dnsmasq.err" "started" "dnsmasq did not start"
capture "$ns_dns" lo "$out/names_dns.pcap" "port 53"
inns() { ip netns exec "$ns_dns" "$@"; }
inns timeout 5 busybox nslookup lab.test 127.0.0.1 || true
inns timeout 5 busybox nslookup -type=mx lab.test 127.0.0.1 || true
inns timeout 5 busybox nslookup -type=a missing.nx.test 127.0.0.1 || true
inns timeout 5 busybox nslookup -type=cname www.example.lab 127.0.0.1 || true
inns timeout 5 python3 - <<'EOF'
# A TXT query over UDP, an A query over TCP (RFC 1035 4.2.2: a 2-byte length first) and a PTR
# query over UDP, each with a fixed transaction ID.
import socket, struct

def query(qid, name, qtype):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # recursion desired, one question
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)  # class IN

def udp(q):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q, ("127.0.0.1", 53))
        s.recv(4096)

udp(query(0x7e57, "lab.test", 16))  # TXT
with socket.create_connection(("127.0.0.1", 53), timeout=2) as s:
    q = query(0x7c90, "host.lab.test", 1)  # A, over TCP
    s.sendall(struct.pack("!H", len(q)) + q)
    n = struct.unpack("!H", s.recv(2))[0]
    while n > 0:
        n -= len(s.recv(n))
udp(query(0x9e7a, "2.0.0.10.in-addr.arpa", 12))  # PTR
EOF
stop_capture "$out/names_dns.pcap" 20

echo "=== names_dhcp.pcap"
ip link del wl-dhs 2>/dev/null || true
ip link add wl-dhs type veth peer name wl-dhc
ip link set wl-dhs netns "$ns_dhs"
ip link set wl-dhc netns "$ns_dhc"
ip -n "$ns_dhs" addr add 192.168.77.1/24 dev wl-dhs
ip -n "$ns_dhs" link set wl-dhs up
ip -n "$ns_dhc" link set wl-dhc up
# a fixed client MAC address, so that re-recording gives the same frames but for times and IDs
ip -n "$ns_dhc" link set wl-dhc address 02:00:00:77:00:10
capture "$ns_dhs" wl-dhs "$out/names_dhcp.pcap" "udp port 67 or udp port 68"
# --port=0: no DNS; --no-ping: offer at once (no ICMP check that the address is free)
ip netns exec "$ns_dhs" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --user=root \
    --pid-file="$tmp/dhcp.pid" --interface=wl-dhs --bind-interfaces --no-ping \
    --dhcp-range=192.168.77.10,192.168.77.50,255.255.255.0,12h \
    --dhcp-option=option:router,192.168.77.1 --dhcp-option=option:dns-server,192.168.77.1 \
    --dhcp-leasefile="$tmp/leases" 2> "$tmp/dhcp.err" &
pids+=("$!")
wait_log "$tmp/dhcp.err" "DHCP, IP range" "dnsmasq (DHCP) did not start"
# the client's script: puts the leased address on the interface (the Release is sent from it)
cat > "$tmp/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
    deconfig) ip addr flush dev "$interface" ;;
    bound|renew) ip addr add "$ip/${mask:-24}" dev "$interface" ;;
esac
exit 0
EOF
chmod +x "$tmp/udhcpc.sh"
# -x: send a host name (option 12); SIGUSR2 once leased: release the lease (udhcpc's -q -R
# quits without sending the Release)
ip netns exec "$ns_dhc" busybox udhcpc -i wl-dhc -f -n -t 5 -T 1 -s "$tmp/udhcpc.sh" \
    -x hostname:wirelab-client > "$tmp/udhcpc.log" 2>&1 &
client=$!
pids+=("$client")
wait_log "$tmp/udhcpc.log" "lease of" "udhcpc got no lease"
sleep 0.5
kill -USR2 "$client"
wait_log "$tmp/udhcpc.log" "entering released state" "udhcpc did not release"
kill "$client" 2>/dev/null || true
cat "$tmp/udhcpc.log"
stop_capture "$out/names_dhcp.pcap" 5
cat "$tmp/dhcp.err" >&2

oracle=$root/../shared/conformance/oracle_extract.py
if [ -f "$oracle" ]; then
    python3 "$oracle" --force "$out/names_dns.pcap" "$out/names_dhcp.pcap"
    chown --reference="$out" "$out"/names_*.oracle.*
fi
