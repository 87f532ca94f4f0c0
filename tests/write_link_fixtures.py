#!/usr/bin/env python3
"""Writes the link-type and tunnel fixtures of issue 15, byte by byte.

    python3 tests/write_link_fixtures.py            # rewrites fixtures/{tunnels,link_*}.pcap
    python3 ../shared/conformance/oracle_extract.py --force fixtures/tunnels.pcap ...
    WIRELAB_BLESS=1 cargo test                       # then review the golden diffs

Every frame is built field by field below (a comment per field); IPv4 header, UDP and
TCP checksums are computed. The ports (40000-40099, 23456) are ones tshark has no
dissector for, so tshark shows plain TCP/UDP/ICMP Info. Deterministic: the same bytes
each run. Writes files only (no network).
"""

import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures")


def csum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def ip6(a: str) -> bytes:
    import ipaddress

    return ipaddress.IPv6Address(a).packed


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int = 1) -> bytes:
    """IPv4 header (20 bytes, DF, TTL 64) + payload."""
    h = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,  # version 4, IHL 5
        0,  # DSCP/ECN
        20 + len(payload),  # total length
        ident,  # identification
        0x4000,  # DF, offset 0
        64,  # TTL
        proto,  # protocol
        0,  # checksum (computed below)
        ip4(src),
        ip4(dst),
    )
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src: str, dst: str, nxt: int, payload: bytes) -> bytes:
    """IPv6 header (40 bytes, hop limit 64) + payload."""
    return (
        struct.pack(
            "!IHBB16s16s",
            0x60000000,  # version 6, traffic class 0, flow label 0
            len(payload),  # payload length
            nxt,  # next header
            64,  # hop limit
            ip6(src),
            ip6(dst),
        )
        + payload
    )


def pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def udp(src: bytes, dst: bytes, sport: int, dport: int, data: bytes) -> bytes:
    """UDP header + data, checksum over the pseudo-header (src, dst: packed IPs)."""
    length = 8 + len(data)
    h = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo(src, dst, 17, length) + h + data) or 0xFFFF
    return h[:6] + struct.pack("!H", c) + data


def tcp_syn(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack=None) -> bytes:
    """A TCP SYN (or SYN-ACK when ack is given) with an MSS option."""
    flags = 0x12 if ack is not None else 0x02
    h = struct.pack(
        "!HHIIBBHHH",
        sport,
        dport,
        seq,  # sequence number
        ack or 0,  # acknowledgment number
        6 << 4,  # data offset 6 (24 bytes)
        flags,  # SYN or SYN+ACK
        64240,  # window
        0,  # checksum (computed below)
        0,  # urgent pointer
    ) + bytes([2, 4, 0x05, 0xB4])  # option: MSS 1460
    c = csum(pseudo(src, dst, 6, len(h)) + h)
    return h[:16] + struct.pack("!H", c) + h[18:]


def icmp_echo(kind: int, ident: int, seq: int, data: bytes) -> bytes:
    """ICMP echo request (8) or reply (0)."""
    h = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def ether(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload


MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
MAC_C = bytes.fromhex("0200000000c1")
MAC_D = bytes.fromhex("0200000000d2")
OUTER_A, OUTER_B = "192.0.2.1", "192.0.2.2"


def udp4(src, dst, sport, dport, data, ident=1):
    return ipv4(src, dst, 17, udp(ip4(src), ip4(dst), sport, dport, data), ident)


def udp6(src, dst, sport, dport, data):
    return ipv6(src, dst, 17, udp(ip6(src), ip6(dst), sport, dport, data))


def outer(proto: int, payload: bytes, ident: int) -> bytes:
    """The outer Ethernet + IPv4 header of a tunnel from OUTER_A to OUTER_B."""
    return ether(MAC_B, MAC_A, 0x0800, ipv4(OUTER_A, OUTER_B, proto, payload, ident))


def gre(protocol: int, inner: bytes, key=None) -> bytes:
    """GRE version 0: flags (K when a key is given), protocol type, [key]."""
    flags = 0x2000 if key is not None else 0
    h = struct.pack("!HH", flags, protocol)
    if key is not None:
        h += struct.pack("!I", key)
    return h + inner


def vxlan(vni: int, inner_frame: bytes) -> bytes:
    """VXLAN header: flags 0x08 (VNI valid), reserved, VNI, reserved."""
    return struct.pack("!BxxxI", 0x08, vni << 8) + inner_frame


def l2tp_data(tunnel: int, session: int, ppp: bytes) -> bytes:
    """L2TPv2 data message with the length bit: flags/version 0x4002, length,
    tunnel id, session id; then a PPP frame."""
    return struct.pack("!HHHH", 0x4002, 8 + len(ppp), tunnel, session) + ppp


def tunnels() -> list:
    a4, b4 = "10.0.0.1", "10.0.0.2"
    a6, b6 = "2001:db8::1", "2001:db8::2"
    ca, cb = ip4("10.1.0.1"), ip4("10.1.0.2")
    frames = [
        # 1: IPv4 in IPv4 (IP protocol 4), UDP inside
        outer(4, udp4(a4, b4, 40001, 40002, b"ip in ip"), 1),
        # 2: 6in4 (IP protocol 41), UDP over IPv6 inside
        outer(41, udp6(a6, b6, 40003, 40004, b"six in four"), 2),
        # 3, 4: GRE with a key, IPv4 inside: a TCP SYN and its SYN-ACK
        outer(47, gre(0x0800, ipv4("10.1.0.1", "10.1.0.2", 6, tcp_syn(ca, cb, 40005, 23456, 1000)), key=7), 3),
        ether(MAC_A, MAC_B, 0x0800, ipv4(OUTER_B, OUTER_A, 47, gre(0x0800, ipv4("10.1.0.2", "10.1.0.1", 6, tcp_syn(cb, ca, 23456, 40005, 5000, ack=1001)), key=7), 4)),
        # 5: GRE carrying Ethernet (transparent bridging, 0x6558): an ICMP echo request
        outer(47, gre(0x6558, ether(MAC_D, MAC_C, 0x0800, ipv4("10.2.0.1", "10.2.0.2", 1, icmp_echo(8, 0x1234, 1, b"abcdefgh")))), 5),
        # 6: GRE, IPv6 inside (0x86dd), UDP
        outer(47, gre(0x86DD, udp6(a6, b6, 40006, 40007, b"gre six")), 6),
        # 7: VXLAN (UDP 4789), VNI 42: Ethernet, an ICMP echo reply
        outer(17, udp(ip4(OUTER_A), ip4(OUTER_B), 40010, 4789, vxlan(42, ether(MAC_C, MAC_D, 0x0800, ipv4("10.2.0.2", "10.2.0.1", 1, icmp_echo(0, 0x1234, 1, b"abcdefgh"))))), 7),
        # 8: VXLAN, IPv6 UDP inside
        outer(17, udp(ip4(OUTER_A), ip4(OUTER_B), 40011, 4789, vxlan(42, ether(MAC_D, MAC_C, 0x86DD, udp6(a6, b6, 40012, 40013, b"vxlan six")))), 8),
        # 9: L2TPv2 data (UDP 1701 both ways): PPP (ff 03, protocol 0x0021), IPv4 UDP
        outer(17, udp(ip4(OUTER_A), ip4(OUTER_B), 1701, 1701, l2tp_data(5, 9, b"\xff\x03\x00\x21" + udp4("10.3.0.1", "10.3.0.2", 40020, 40021, b"l2tp"))), 9),
        # 10: L2TPv2 data: PPP LCP Echo-Request (code 9, id 1, length 8, magic number)
        outer(17, udp(ip4(OUTER_A), ip4(OUTER_B), 1701, 1701, l2tp_data(5, 9, b"\xff\x03\xc0\x21" + bytes([9, 1, 0, 8]) + b"\x12\x34\x56\x78")), 10),
    ]
    return frames


def llc_snap(ethertype: int, payload: bytes) -> bytes:
    """802.2 LLC (DSAP 0xaa, SSAP 0xaa, control 0x03) + SNAP (OUI 0, EtherType)."""
    return bytes([0xAA, 0xAA, 0x03, 0, 0, 0]) + struct.pack("!H", ethertype) + payload


def wlan_data(to_ds: bool, from_ds: bool, qos: bool, a1, a2, a3, seq: int, body: bytes) -> bytes:
    """An 802.11 data frame: frame control, duration, three addresses, sequence
    control, QoS control when qos."""
    subtype = 8 if qos else 0
    fc0 = (subtype << 4) | (2 << 2)  # subtype, type 2 (data), version 0
    fc1 = (1 if to_ds else 0) | (2 if from_ds else 0)
    h = bytes([fc0, fc1]) + struct.pack("<H", 44)  # duration 44 µs
    h += a1 + a2 + a3 + struct.pack("<H", seq << 4)  # addresses, sequence (fragment 0)
    if qos:
        h += struct.pack("<H", 0)  # QoS control: TID 0
    return h + body


def radiotap(flags: int, tsft: bool) -> bytes:
    """A radiotap header: version 0, pad, length, present (TSFT?, Flags), fields."""
    present = 0x2 | (0x1 if tsft else 0)
    fields = b""
    if tsft:
        fields += struct.pack("<Q", 123456789)  # TSFT, aligned to 8 (the header is 8 bytes)
    fields += bytes([flags])  # Flags (0x10: FCS at the end)
    length = 8 + len(fields)
    return struct.pack("<BBHI", 0, 0, length, present) + fields


def wlan_frames(with_radiotap: bool) -> list:
    ap, sta, host = bytes.fromhex("0200000000aa"), bytes.fromhex("0200000000bb"), bytes.fromhex("0200000000cc")
    f1 = wlan_data(True, False, True, ap, sta, host, 1, llc_snap(0x0800, udp4("10.4.0.1", "10.4.0.2", 40030, 40031, b"wifi")))
    f2 = wlan_data(False, True, False, sta, ap, host, 2, llc_snap(0x86DD, udp6("2001:db8::a", "2001:db8::b", 40032, 40033, b"wifi six")))
    a, b, c = ip4("10.4.0.1"), ip4("10.4.0.2"), None
    f3 = wlan_data(True, False, True, ap, sta, host, 3, llc_snap(0x0800, ipv4("10.4.0.1", "10.4.0.2", 6, tcp_syn(a, b, 40034, 23456, 77))))
    if not with_radiotap:
        return [f1, f2, f3]
    fcs = struct.pack("<I", 0)  # an FCS (not checked by default)
    return [radiotap(0, False) + f1, radiotap(0x10, True) + f2 + fcs, radiotap(0, True) + f3]


def nflog(family: int, prefix: bytes, packet: bytes) -> bytes:
    """NFLOG: family, version 0, resource id (group 5, big-endian), then TLVs of
    (length, type) little-endian, each padded to 4 bytes."""

    def tlv(kind: int, value: bytes) -> bytes:
        t = struct.pack("<HH", 4 + len(value), kind) + value
        return t + b"\0" * ((4 - len(t) % 4) % 4)

    hdr = bytes([family, 0]) + struct.pack("!H", 5)
    body = tlv(1, struct.pack("!HBx", 0x0800 if family == 2 else 0x86DD, 3))  # packet header: hw protocol, hook 3
    body += tlv(10, prefix + b"\0")  # prefix
    body += tlv(15, struct.pack("!H", 1))  # hardware type
    body += tlv(9, packet)  # payload: the logged packet
    return hdr + body


def nflog_frames() -> list:
    a, b = ip4("10.5.0.1"), ip4("10.5.0.2")
    return [
        nflog(2, b"wirelab-in", ipv4("10.5.0.1", "10.5.0.2", 6, tcp_syn(a, b, 40040, 23456, 9))),
        nflog(10, b"wirelab-six", udp6("2001:db8::5", "2001:db8::6", 40041, 40042, b"logged")),
        nflog(2, b"wirelab-udp", udp4("10.5.0.2", "10.5.0.1", 40043, 40044, b"logged too")),
    ]


def chdlc_frames() -> list:
    return [
        # address 0x0f (unicast), control 0, protocol 0x0800
        bytes([0x0F, 0]) + struct.pack("!H", 0x0800) + udp4("10.6.0.1", "10.6.0.2", 40050, 40051, b"cisco hdlc"),
        bytes([0x0F, 0]) + struct.pack("!H", 0x86DD) + udp6("2001:db8::c", "2001:db8::d", 40052, 40053, b"chdlc six"),
        bytes([0x8F, 0]) + struct.pack("!H", 0x0800) + ipv4("10.6.0.1", "10.6.0.255", 1, icmp_echo(8, 7, 1, b"bcast")),
    ]


def ppp_hdlc_frames() -> list:
    a, b = ip4("10.7.0.1"), ip4("10.7.0.2")
    return [
        # address 0xff, control 0x03, protocol 0x0021 (IPv4)
        b"\xff\x03\x00\x21" + udp4("10.7.0.1", "10.7.0.2", 40060, 40061, b"ppp hdlc"),
        b"\xff\x03\x00\x57" + udp6("2001:db8::e", "2001:db8::f", 40062, 40063, b"ppp six"),
        b"\xff\x03\x00\x21" + ipv4("10.7.0.1", "10.7.0.2", 6, tcp_syn(a, b, 40064, 23456, 3)),
        # LCP Configure-Request: code 1, id 1, length 8, option MRU (1, 4, 1500)
        b"\xff\x03\xc0\x21" + bytes([1, 1, 0, 8, 1, 4]) + struct.pack("!H", 1500),
    ]


def write_pcap(name: str, linktype: int, frames: list) -> None:
    """A classic little-endian microsecond pcap, one frame every 10 ms."""
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, frame in enumerate(frames):
            secs, usecs = 1700000000 + i // 100, (i % 100) * 10000
            f.write(struct.pack("<IIII", secs, usecs, len(frame), len(frame)))
            f.write(frame)
    print(f"wrote {path}: {len(frames)} frames, link type {linktype}")


def main() -> None:
    write_pcap("tunnels.pcap", 1, tunnels())
    write_pcap("link_ieee802_11_radiotap.pcap", 127, wlan_frames(True))
    write_pcap("link_ieee802_11.pcap", 105, wlan_frames(False))
    write_pcap("link_nflog.pcap", 239, nflog_frames())
    write_pcap("link_chdlc.pcap", 104, chdlc_frames())
    write_pcap("link_ppp_hdlc.pcap", 50, ppp_hdlc_frames())


if __name__ == "__main__":
    main()
