#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets from ../../fixtures (run from tests/fuzz/).

corpus/read_file: every fixture capture, cut at a record (or block) boundary to at most
4 KiB.  corpus/decode: up to 8 frames of each classic pcap fixture, each prefixed with the
byte that picks its link type (the index in LINKTYPES of src/lib.rs, kept the same here).
corpus/app: the DNS, mDNS, LLMNR, NBNS and DHCP payloads of the Ethernet/IPv4 fixtures,
each prefixed with the byte that picks its port (the index in APP_PORTS of src/lib.rs).
"""
import hashlib, os, struct, sys

APP_PORTS = [(53, False), (53, True), (5353, False), (5355, False), (137, False), (67, False), (68, False)]
LINKTYPES = [0, 1, 9, 12, 14, 50, 101, 104, 105, 108, 113, 127, 228, 229, 239, 276, 107, 0xFFFFFFFF]
MAX = 4096
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures")

def captures():
    for sub in ("", "public"):
        d = os.path.join(root, sub)
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if os.path.isfile(p) and ".oracle." not in n and (n.endswith(".pcap") or n.endswith(".pcapng")):
                yield p

def pcap_records(b):
    if len(b) < 24:
        return None, None, []
    m = b[:4]
    if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"): e = "<"
    elif m in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"): e = ">"
    else: return None, None, []
    lt = struct.unpack(e + "I", b[20:24])[0] & 0x0FFFFFFF
    at, recs = 24, []
    while at + 16 <= len(b):
        cap = struct.unpack(e + "I", b[at + 8:at + 12])[0]
        if at + 16 + cap > len(b): break
        recs.append((at, at + 16 + cap))
        at += 16 + cap
    return e, lt, recs

def pcapng_cut(b):
    e = "<" if b[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    at = 0
    while at + 12 <= len(b):
        ln = struct.unpack(e + "I", b[at + 4:at + 8])[0]
        if ln < 12 or at + ln > len(b) or at + ln > MAX: break
        at += ln
    return b[:max(at, min(len(b), 28))]

def put(kind, data):
    d = os.path.join("corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

for p in captures():
    b = open(p, "rb").read()
    if b[:4] == b"\x0a\x0d\x0d\x0a":
        put("read_file", pcapng_cut(b))
        continue
    e, lt, recs = pcap_records(b)
    if e is None:
        put("read_file", b[:MAX])
        continue
    end = 24
    for (_, stop) in recs:
        if stop > MAX: break
        end = stop
    put("read_file", b[:max(end, min(len(b), 24 + 16 + 64))])
    pick = LINKTYPES.index(lt) if lt in LINKTYPES else len(LINKTYPES) - 1
    for (start, stop) in recs[:8]:
        put("decode", bytes([pick]) + b[start + 16:stop])

def app_payload(lt, frame):
    """The (pick, payload) of an Ethernet/IPv4 UDP or TCP frame on an APP_PORTS port."""
    if lt != 1 or len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    proto, l4 = ip[9], ip[ihl:]
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack(">HH", l4[:4])
        body, tcp = l4[8:], False
    elif proto == 6 and len(l4) >= 20:
        sport, dport = struct.unpack(">HH", l4[:4])
        body, tcp = l4[(l4[12] >> 4) * 4:], True
    else:
        return None
    for i, (port, over_tcp) in enumerate(APP_PORTS):
        if over_tcp == tcp and port in (sport, dport) and body:
            return i, body
    return None

for p in captures():
    b = open(p, "rb").read()
    e, lt, recs = pcap_records(b)
    for (start, stop) in recs:
        got = app_payload(lt, b[start + 16:stop])
        if got:
            put("app", bytes([got[0]]) + got[1][:MAX])
