#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets from ../../fixtures (run from tests/fuzz/).

corpus/read_file: every fixture capture, cut at a record (or block) boundary to at most
4 KiB.  corpus/decode: up to 8 frames of each classic pcap fixture, each prefixed with the
byte that picks its link type (the index in LINKTYPES of src/lib.rs, kept the same here).
"""
import hashlib, os, struct, sys

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
