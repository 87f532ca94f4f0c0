#!/usr/bin/env python3
"""Writes fixtures/web_quic.pcap, QUIC and Google QUIC datagrams built byte by byte.

    python3 tests/write_quic_fixtures.py             # rewrites fixtures/web_quic.pcap
    python3 ../shared/conformance/oracle_extract.py --force fixtures/web_quic.pcap
    WIRELAB_BLESS=1 cargo test --test tests golden   # then review the golden diffs

Needs the Python package `cryptography` (HKDF, AES-GCM, AES-ECB) to protect the Initial
packets as RFC 9001 section 5 says (keys from the client's first Destination Connection
ID; the drafts' and Google's versions with the salts tshark 4.0 uses for them). Packets
whose keys come from TLS secrets (Handshake, 0-RTT, 1-RTT) carry opaque bytes: no one
without the secrets can read them, tshark included. The Client Hello of connection A has
a 1,216-byte X25519Kyber768 key share, as Chrome sends, so it spans two Initial packets.
Addresses are documentation ones (192.0.2.1 client, 192.0.2.2 server, port 443); each
connection has its own client port. Deterministic: the same bytes each run. Writes files
only (no network). tshark judges the file at test time (tests/it/tshark.rs).
"""

import hashlib
import struct

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

import write_link_fixtures as w

V1, V2 = 0x00000001, 0x6B3343CF
Q050, T050, T051 = 0x51303530, 0x54303530, 0x54303531
# Initial salts: RFC 9001 5.2, RFC 9369 3.3.1, draft-ietf-quic-tls-29 5.2, Google's
SALTS = {
    V1: "38762cf7f55934b34d179ae6a4c80cadccbb7f0a",
    V2: "0dede3def700a6db819381be6e269dcbf9bd2ed9",
    0xFF00001D: "afbfec289993d24c9e9786f19c6111e04390a899",
    Q050: "504574efd066fe2f9d945cfcdbd3a7f0d3b56b45",
    T051: "7a4edef4e7ccee5fa4506c19124fc8ccda6e033d",
}
CLIENT, SERVER = "192.0.2.1", "192.0.2.2"


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    h = hmac.HMAC(salt, hashes.SHA256())
    h.update(ikm)
    return h.finalize()


def expand_label(secret: bytes, label: bytes, n: int) -> bytes:
    """HKDF-Expand-Label of TLS 1.3 (RFC 8446 7.1), empty context."""
    full = b"tls13 " + label
    info = struct.pack("!HB", n, len(full)) + full + b"\0"
    return HKDFExpand(hashes.SHA256(), n, info).derive(secret)


def initial_keys(version: int, dcid: bytes, client: bool):
    """(key, iv, hp) of one side's Initial packets (RFC 9001 5.2)."""
    prk = hkdf_extract(bytes.fromhex(SALTS[version]), dcid)
    secret = expand_label(prk, b"client in" if client else b"server in", 32)
    p = b"quicv2 " if version == V2 else b"quic "
    return (
        expand_label(secret, p + b"key", 16),
        expand_label(secret, p + b"iv", 12),
        expand_label(secret, p + b"hp", 16),
    )


def varint(v: int) -> bytes:
    """A QUIC variable-length integer (RFC 9000 16), shortest form up to 4 bytes."""
    if v < 64:
        return bytes([v])
    if v < 16384:
        return struct.pack("!H", 0x4000 | v)
    return struct.pack("!I", 0x80000000 | v)


def opaque(seed: bytes, n: int) -> bytes:
    """n deterministic bytes that look like ciphertext."""
    out = b""
    while len(out) < n:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return out[:n]


TYPES_V1 = {"initial": 0, "0rtt": 1, "handshake": 2, "retry": 3}
TYPES_V2 = {"initial": 1, "0rtt": 2, "handshake": 3, "retry": 0}  # RFC 9369 3.2


def long_packet(version, kind, dcid, scid, pn, payload, keys=None, token=b"", pad_to=None):
    """A long header packet with a 2-byte packet number; protected with keys
    (key, iv, hp) as RFC 9001 5.3-5.4 says, or opaque bytes when keys is None."""
    bits = (TYPES_V2 if version == V2 else TYPES_V1)[kind]
    first = 0xC0 | bits << 4 | 0x01  # long header, fixed bit, type, PN length 2
    hdr = bytes([first]) + struct.pack("!I", version)  # version
    hdr += bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid  # CIDs
    if kind == "initial":
        hdr += varint(len(token)) + token  # token
    if pad_to is not None:  # PADDING frames up to a datagram of pad_to bytes
        payload += bytes(max(0, pad_to - (len(hdr) + 2 + 2 + len(payload) + 16)))
    hdr += struct.pack("!H", 0x4000 | (2 + len(payload) + 16))  # Length (2-byte varint)
    pn_bytes = struct.pack("!H", pn)  # packet number
    if keys is None:
        return hdr + pn_bytes + opaque(hdr, len(payload) + 16)
    key, iv, hp = keys
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
    pkt = bytearray(hdr + pn_bytes + AESGCM(key).encrypt(nonce, payload, hdr + pn_bytes))
    at = len(hdr)  # header protection: mask from the sample 4 bytes after the PN
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(bytes(pkt[at + 4 : at + 20])) + enc.finalize()
    pkt[0] ^= mask[0] & 0x0F
    pkt[at] ^= mask[1]
    pkt[at + 1] ^= mask[2]
    return bytes(pkt)


def short_packet(dcid: bytes, n: int, seed: bytes) -> bytes:
    """A 1-RTT packet: first byte 0x41 (fixed bit, PN length 2), DCID, opaque bytes."""
    return b"\x41" + dcid + opaque(seed, n)


def crypto(off: int, data: bytes) -> bytes:
    return b"\x06" + varint(off) + varint(len(data)) + data  # CRYPTO frame


def ack(largest: int) -> bytes:
    return b"\x02" + varint(largest) + b"\x00\x00\x00"  # ACK: delay 0, no ranges


def ext(t: int, body: bytes) -> bytes:
    return struct.pack("!HH", t, len(body)) + body


def client_hello(sni: str, pq: bool = False) -> bytes:
    """A TLS 1.3 Client Hello for QUIC: SNI, groups, signature algorithms, ALPN h3,
    supported_versions, key_share (X25519, and X25519Kyber768 if pq), transport params."""
    name = sni.encode()
    exts = ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    exts += ext(10, struct.pack("!HH", 2, 0x001D))
    exts += ext(13, struct.pack("!HHH", 4, 0x0403, 0x0804))
    exts += ext(16, struct.pack("!H", 3) + b"\x02h3")
    exts += ext(43, b"\x02\x03\x04")
    share = struct.pack("!HH", 0x001D, 32) + bytes(32)
    if pq:
        share = struct.pack("!HH", 0x6399, 1216) + opaque(b"kyber", 1216) + share
    exts += ext(51, struct.pack("!H", len(share)) + share)
    exts += ext(57, b"\x04\x04\x80\x10\x00\x00")  # initial_max_data
    body = b"\x03\x03" + bytes(range(32)) + b"\x00"  # version, random, session id
    body += struct.pack("!HH", 2, 0x1301) + b"\x01\x00"  # one suite, null compression
    body += struct.pack("!H", len(exts)) + exts
    return b"\x01" + len(body).to_bytes(3, "big") + body


def server_hello() -> bytes:
    exts = ext(43, b"\x03\x04") + ext(51, struct.pack("!HH", 0x001D, 32) + bytes(32))
    body = b"\x03\x03" + bytes(range(32, 64)) + b"\x00\x13\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    return b"\x02" + len(body).to_bytes(3, "big") + body


def chlo(version: bytes) -> bytes:
    """A Google QUIC crypto handshake message CHLO with SNI, VER and PAD tags."""
    tags = [(b"SNI\0", b"www.google.com"), (b"VER\0", version), (b"PAD\0", bytes(64))]
    out, end, vals = b"CHLO" + struct.pack("<HH", len(tags), 0), 0, b""
    for t, v in tags:
        end += len(v)
        vals += v
        out += t + struct.pack("<I", end)  # tag, end offset of its value
    return out + vals


def gquic_stream1(msg: bytes) -> bytes:
    """A Google QUIC STREAM frame (0xa0: data length, 1-byte stream ID) on stream 1."""
    return bytes([0xA0, 1]) + struct.pack(">H", len(msg)) + msg


def frame(src: str, dst: str, sport: int, dport: int, data: bytes, ident: int) -> bytes:
    mac = {CLIENT: w.MAC_A, SERVER: w.MAC_B}
    ip = w.ipv4(src, dst, 17, w.udp(w.ip4(src), w.ip4(dst), sport, dport, data), ident)
    return w.ether(mac[dst], mac[src], 0x0800, ip)


def frames() -> list:
    out = []

    def c2s(port, data):
        out.append(frame(CLIENT, SERVER, port, 443, data, len(out) + 1))

    def s2c(port, data):
        out.append(frame(SERVER, CLIENT, 443, port, data, len(out) + 1))

    # A (port 50000): v1 handshake, the Client Hello over two Initials, coalesced replies
    odcid, ccid, scid = bytes.fromhex("8394c8f03e515708"), b"\xc1" * 4, b"\x5e" * 8
    ck, sk = initial_keys(V1, odcid, True), initial_keys(V1, odcid, False)
    ch = client_hello("www.example.com", pq=True)
    c2s(50000, long_packet(V1, "initial", odcid, ccid, 0, crypto(0, ch[:1000]), ck, pad_to=1200))
    c2s(50000, long_packet(V1, "initial", odcid, ccid, 1, crypto(1000, ch[1000:]), ck, pad_to=1200))
    s2c(50000, long_packet(V1, "initial", ccid, scid, 0, ack(1) + crypto(0, server_hello()), sk)
        + long_packet(V1, "handshake", ccid, scid, 0, bytes(300)))
    s2c(50000, long_packet(V1, "handshake", ccid, scid, 1, bytes(200)) + short_packet(ccid, 60, b"a1"))
    c2s(50000, long_packet(V1, "initial", scid, ccid, 2, ack(0), ck)
        + long_packet(V1, "handshake", scid, ccid, 0, bytes(100)) + bytes(400))
    c2s(50000, short_packet(scid, 80, b"a2"))
    s2c(50000, short_packet(ccid, 80, b"a3"))
    # B (50001): Initial + 0-RTT in one datagram, empty SCID
    d = bytes.fromhex("0011223344556677")
    c2s(50001, long_packet(V1, "initial", d, b"", 0, crypto(0, client_hello("b.example")), initial_keys(V1, d, True))
        + long_packet(V1, "0rtt", d, b"", 0, bytes(500)))
    # C (50002): two Initials in one datagram, the Client Hello across them
    d = bytes.fromhex("a0a1a2a3a4a5a6a7a8")
    k = initial_keys(V1, d, True)
    ch = client_hello("c.example", pq=True)
    c2s(50002, long_packet(V1, "initial", d, b"\x01\x02", 0, crypto(0, ch[:700]), k)
        + long_packet(V1, "initial", d, b"\x01\x02", 1, crypto(700, ch[700:]), k))
    # D (50003): the Client Hello's second half first
    d = bytes.fromhex("b0b1b2b3b4b5b6b7")
    k = initial_keys(V1, d, True)
    c2s(50003, long_packet(V1, "initial", d, b"", 1, crypto(900, ch[900:]), k, pad_to=1200))
    c2s(50003, long_packet(V1, "initial", d, b"", 0, crypto(0, ch[:900]), k, pad_to=1200))
    # E (50004): Initial, then bytes of another DCID in the same datagram (not a packet)
    d = b"\x11" * 8
    k = initial_keys(V1, d, True)
    c2s(50004, long_packet(V1, "initial", d, b"\xcc" * 4, 0, crypto(0, client_hello("e.example")), k)
        + b"\x47" + opaque(b"e", 40))
    # F (50005): Version Negotiation, then (50006) Retry and the Initial with its token
    d = b"\x22" * 8
    c2s(50005, long_packet(V1, "initial", d, b"\xdd" * 5, 0, crypto(0, client_hello("f.example")), initial_keys(V1, d, True), pad_to=1200))
    s2c(50005, b"\xba\x00\x00\x00\x00\x05" + b"\xdd" * 5 + b"\x08" + d + struct.pack("!II", V1, V2))
    d = b"\x33" * 8
    c2s(50006, long_packet(V1, "initial", d, b"\xee" * 3, 0, crypto(0, client_hello("g.example")), initial_keys(V1, d, True), pad_to=1200))
    s2c(50006, b"\xf0" + struct.pack("!I", V1) + b"\x03" + b"\xee" * 3 + b"\x08" + b"\x99" * 8 + b"retry-token" + bytes(16))
    c2s(50006, long_packet(V1, "initial", b"\x99" * 8, b"\xee" * 3, 1, crypto(0, client_hello("g.example")),
                           initial_keys(V1, b"\x99" * 8, True), token=b"retry-token", pad_to=1200))
    # G (50007): QUIC version 2, server Initial + Handshake
    d = b"\x44" * 8
    c2s(50007, long_packet(V2, "initial", d, b"", 0, crypto(0, client_hello("v2.example")), initial_keys(V2, d, True), pad_to=1200))
    s2c(50007, long_packet(V2, "initial", b"", b"\x42" * 8, 0, ack(0) + crypto(0, server_hello()), initial_keys(V2, d, False))
        + long_packet(V2, "handshake", b"", b"\x42" * 8, 0, bytes(50)))
    # H (50008): draft-29
    d = b"\x66" * 8
    c2s(50008, long_packet(0xFF00001D, "initial", d, b"\x0c" * 8, 0, crypto(0, client_hello("d29.example")), initial_keys(0xFF00001D, d, True), pad_to=1200))
    # M (50009): a server Initial whose client Initial was not captured: tshark takes
    # its sender for the client (keys and packet number from that side)
    d = b"\x55" * 8
    s2c(50009, long_packet(V1, "initial", b"\x0a" * 4, b"\x0b" * 8, 0, ack(0) + crypto(0, server_hello()), initial_keys(V1, d, False)))
    # I (52000): Google QUIC Q043, public header: CHLO, encrypted both ways, VN, reset
    cid = bytes.fromhex("1122334455667788")
    c2s(52000, b"\x09" + cid + b"Q043" + b"\x01" + bytes(12) + gquic_stream1(chlo(b"Q043")))
    s2c(52000, b"\x00" + b"\x01" + opaque(b"i1", 60))
    c2s(52000, b"\x08" + cid + b"\x02" + opaque(b"i2", 60))
    s2c(52000, b"\x09" + cid + b"Q043Q046Q050")
    s2c(52000, b"\x0a" + cid + b"PRST" + struct.pack("<HH", 1, 0) + b"RNON" + struct.pack("<I", 8) + bytes(8))
    # J (52001): Q025 (little-endian numbers, private flags byte)
    c2s(52001, b"\x19" + cid + b"Q025" + struct.pack("<H", 0x0102) + bytes(13) + gquic_stream1(chlo(b"Q025")))
    # K (52002): Q046 long and short headers, the server's rejection
    cid = bytes.fromhex("a1a2a3a4a5a6a7a8")
    c2s(52002, b"\xc3Q046\x50" + cid + struct.pack(">I", 1) + bytes(12) + gquic_stream1(chlo(b"Q046")))
    s2c(52002, b"\x43" + struct.pack(">I", 1) + opaque(b"k1", 50))
    c2s(52002, b"\x43" + cid + struct.pack(">I", 2) + opaque(b"k2", 50))
    s2c(52002, b"\xc3Q046\x05" + cid + struct.pack(">I", 2) + bytes(12) + bytes([0xA0, 1]) + struct.pack(">H", 8) + b"REJ\0" + bytes(4))
    # L (52003, 52004): Q050 and T051, IETF long headers carrying Google QUIC frames
    for port, version in ((52003, Q050), (52004, T051)):
        d = bytes([port & 0xFF]) * 8
        c2s(port, long_packet(version, "initial", d, b"\x0c" * 8, 0, gquic_stream1(chlo(b"Q050")), initial_keys(version, d, True), pad_to=1200))
    # N (50010): picked up after the Initials: no client Initial, so tshark follows no
    # connection: no keys, and short headers show no DCID
    s2c(50010, long_packet(V1, "handshake", b"\xc2" * 4, b"\x5f" * 8, 1, bytes(200)))
    c2s(50010, short_packet(b"\x5f" * 8, 80, b"n1"))
    s2c(50010, short_packet(b"\xc2" * 4, 80, b"n2"))
    return out


def main() -> None:
    w.write_pcap("web_quic.pcap", 1, frames())


if __name__ == "__main__":
    main()
