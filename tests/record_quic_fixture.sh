#!/usr/bin/env bash
# Records fixtures/web_quic_aioquic.pcap: two real QUIC v1 connections made by aioquic
# (the Python QUIC library: pip install aioquic) on the loopback interface, captured by
# tcpdump. Each client opens one stream, sends "hello over quic", and the server
# answers it in upper case. Port 4433: a plain handshake (aioquic coalesces the
# server's Initial and Handshake, and the client's Initial, Handshake and 1-RTT);
# port 4434: the client offers eight 201-byte ALPN names besides h3, so its Client Hello
# spans two Initial packets. Ports other than 443: tshark finds QUIC by its heuristic.
#
#   sudo PYTHON=/path/to/python-with-aioquic tests/record_quic_fixture.sh [OUTDIR]
#   python3 ../shared/conformance/oracle_extract.py --force fixtures/web_quic_aioquic.pcap
#   WIRELAB_BLESS=1 cargo test --test tests golden   # then review the golden diffs
#
# Needs: root (tcpdump), tcpdump, openssl, a Python with aioquic. Traffic: 127.0.0.1 only;
# every wait is bounded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fixtures}
py=${PYTHON:-python3}
die() { echo "record_quic_fixture.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (tcpdump)"
command -v tcpdump >/dev/null || die "tcpdump is not installed"
command -v openssl >/dev/null || die "openssl is not installed"
"$py" -c 'import aioquic' 2>/dev/null || die "$py has no aioquic (pip install aioquic)"
tmp=$(mktemp -d)
dump=
cleanup() {
    if [ -n "$dump" ]; then kill "$dump" 2>/dev/null || true; wait "$dump" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" -days 3650 -nodes -subj "/CN=quic.example" 2>/dev/null
cat > "$tmp/run.py" <<'PY'
import asyncio, ssl, sys
from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived

class Upper(QuicConnectionProtocol):
    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived):
            self._quic.send_stream_data(event.stream_id, event.data.upper(), end_stream=True)
            self.transmit()

async def main(port, many_alpn, cert, key):
    alpns = ["h3"] + (["x" * 200 + str(i) for i in range(8)] if many_alpn else [])
    sc = QuicConfiguration(is_client=False, alpn_protocols=["h3"])
    sc.load_cert_chain(cert, key)
    server = await serve("127.0.0.1", port, configuration=sc, create_protocol=Upper)
    cc = QuicConfiguration(is_client=True, alpn_protocols=alpns, server_name="quic.example")
    cc.verify_mode = ssl.CERT_NONE
    async with connect("127.0.0.1", port, configuration=cc) as client:
        r, w = await client.create_stream()
        w.write(b"hello over quic")
        w.write_eof()
        print(await asyncio.wait_for(r.read(), 5))
    server.close()

asyncio.run(main(int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3], sys.argv[4]))
PY
tcpdump -i lo -n -U -w "$out/web_quic_aioquic.pcap" 'udp port 4433 or udp port 4434' 2>/dev/null &
dump=$!
sleep 1
timeout 10 "$py" "$tmp/run.py" 4433 0 "$tmp/cert.pem" "$tmp/key.pem"
timeout 10 "$py" "$tmp/run.py" 4434 1 "$tmp/cert.pem" "$tmp/key.pem"
sleep 1
kill -INT "$dump"
wait "$dump" 2>/dev/null || true
dump=
echo "wrote $out/web_quic_aioquic.pcap"
