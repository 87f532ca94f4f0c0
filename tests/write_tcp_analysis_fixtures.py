#!/usr/bin/env python3
"""Writes the TCP analysis fixtures of issue 15 ("tshark's TCP analysis"), byte by byte.

    python3 tests/write_tcp_analysis_fixtures.py     # rewrites fixtures/tcp_analysis_*.pcap
    python3 ../shared/conformance/oracle_extract.py --force fixtures/tcp_analysis_*.pcap
    WIRELAB_BLESS=1 cargo test --test tests golden   # then review the new golden files

Each capture is a case where wirelab's TCP analysis differed from tshark 4.0's (found by
comparing both on constructed conversations); the differential test (tests/it/tshark.rs)
runs tshark on them at test time. Client 10.0.0.1:40000, server 10.0.0.2:23456 (a port
tshark has no dissector for, so its Info is plain TCP), one frame every 10 ms. The packet
builders (IPv4 with checksum, Ethernet, pcap writer) are write_link_fixtures.py's; the TCP
header is built here with options and payload, its checksum computed. Deterministic; writes
files only (no network).
"""

import struct

from write_link_fixtures import csum, ether, ip4, ipv4, pseudo, write_pcap

CLIENT = ("10.0.0.1", 40000)
SERVER = ("10.0.0.2", 23456)
FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}
# Window scale option: kind 3, length 3, shift 7 (x128); a NOP pads it to 4 bytes.
WSCALE_7 = bytes([3, 3, 7, 1])


def seg(src, dst, flags: str, seq: int, ack: int, win: int, data: bytes = b"", opts: bytes = b"") -> bytes:
    """One Ethernet/IPv4/TCP frame from src to dst ((address, port) pairs)."""
    h = struct.pack(
        "!HHIIBBHHH",
        src[1],  # source port
        dst[1],  # destination port
        seq,  # sequence number (raw)
        ack,  # acknowledgment number (raw)
        (20 + len(opts)) // 4 << 4,  # data offset
        sum(FLAGS[c] for c in flags),  # flags
        win,  # window field (unscaled)
        0,  # checksum (computed below)
        0,  # urgent pointer
    ) + opts
    tcp = h + data
    c = csum(pseudo(ip4(src[0]), ip4(dst[0]), 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    return ether(b"\x02\0\0\0\0\x02", b"\x02\0\0\0\0\x01", 0x0800, ipv4(src[0], dst[0], 6, tcp))


def c2s(*a, **k) -> bytes:
    return seg(CLIENT, SERVER, *a, **k)


def s2c(*a, **k) -> bytes:
    return seg(SERVER, CLIENT, *a, **k)


def scaled_window() -> list:
    """Dup ACK, not Window Update, on a gap after a scaled handshake; Window Full.

    tshark's analysis compares the window fields as they are, unscaled: the server's ACKs
    that repeat its SYN-ACK's field (512) are duplicate ACKs (wirelab compared the scaled
    65,536 with the SYN-ACK's unscaled 512 and called the first a window update, then
    missed the fast retransmission); the window-full edge is the peer's field shifted once.
    """
    return [
        c2s("S", 1000, 0, 64240, opts=WSCALE_7),  # 1 SYN, scale 7
        s2c("SA", 5000, 1001, 512, opts=WSCALE_7),  # 2 SYN-ACK, scale 7, field 512
        c2s("A", 1001, 5001, 502),  # 3 ACK
        c2s("PA", 1011, 5001, 502, b"x" * 10),  # 4 bytes 11-20: 1-10 not captured
        s2c("A", 5001, 1001, 512),  # 5 Dup ACK 2#1 (field 512 again)
        s2c("A", 5001, 1001, 512),  # 6 Dup ACK 2#2
        c2s("PA", 1001, 5001, 502, b"x" * 10),  # 7 fast retransmission of 1-10
        s2c("A", 5001, 1021, 1),  # 8 ACK of 1-20, window field 1 (128 bytes)
        c2s("PA", 1021, 5001, 502, b"y" * 128),  # 9 128 bytes: window full
        s2c("A", 5001, 1149, 512),  # 10 ACK
    ]


def acked_unseen_once() -> list:
    """ACKed unseen segment, as tshark 4.0 reports it: once per hole.

    An ACK beyond what the peer sent is reported when the peer sent beyond a hole (and the
    bar is raised to what it sent); when there is no hole, only if the peer's duplicate-ACK
    count is zero, and the count is then set to -1 until the peer acknowledges something
    new: the report is not repeated, the peer's next duplicate ACK counts as #1, and as
    tshark's count is unsigned, -1 counts as many duplicate ACKs for a fast retransmission.
    """
    return [
        c2s("S", 1000, 0, 1000),  # 1 SYN
        s2c("SA", 5000, 1001, 1000),  # 2 SYN-ACK
        c2s("A", 1001, 5001, 1000),  # 3 ACK
        s2c("A", 5001, 1001, 1000),  # 4 Dup ACK 2#1
        c2s("A", 1001, 5006, 1000),  # 5 ACKs 5 bytes the server never sent: the server
        #                              has a dup ACK counted, so tshark raises nothing
        s2c("A", 5001, 1001, 1000),  # 6 Dup ACK 2#1 (its count was set to -1)
        c2s("A", 1001, 5006, 1000),  # 7 the same ACK again: a Dup ACK, not reported again
        c2s("PA", 1001, 5006, 1000, b"abc"),  # 8 data, same ACK
        s2c("PA", 5001, 1004, 1000, b"0123456789"),  # 9 the server's 10 bytes
        c2s("A", 1004, 5011, 1000),  # 10 ACK of them
        s2c("PA", 5021, 1004, 1000, b"0123456789"),  # 11 bytes 21-30: 11-20 not captured
        c2s("A", 1004, 5031, 1000),  # 12 ACKed unseen segment (beyond the hole)
        c2s("A", 1004, 5031, 1000),  # 13 Dup ACK 12#1, not reported again
        s2c("A", 5031, 1010, 1000),  # 14 ACKs 6 bytes the client never sent: nothing, the
        #                              client has a dup ACK counted (now -1)
        s2c("A", 5031, 1004, 1000),  # 15 back to what was sent
        s2c("A", 5031, 1004, 1000),  # 16 Dup ACK 15#1
        c2s("PA", 1004, 5031, 1000, b"def"),  # 17 data (the client's count stays -1)
        s2c("A", 5031, 1012, 1000),  # 18 ACKs 5 unsent bytes: nothing
        s2c("PA", 5031, 1007, 1000, b"xy"),  # 19 two bytes
        c2s("PA", 1007, 5031, 1000, b"ghi"),  # 20 data, still Ack 31: the count stays -1
        s2c("PA", 5031, 1010, 1000, b"xy"),  # 21 the two bytes again, 10 ms later: a fast
        #                                      retransmission (-1 counts as many)
    ]


def synack_new_isn() -> list:
    """A SYN-ACK with another initial sequence number than its side had.

    tshark marks the ports reused but keeps the stream (it looks for the conversation of
    the reversed addresses, the same one) and numbers the SYN-ACK's side from the new
    number, the other side from its old one; wirelab kept the old base (Seq=2000).
    """
    return [
        c2s("S", 1000, 0, 1000),  # 1 SYN
        s2c("SA", 5000, 1001, 1000),  # 2 SYN-ACK
        c2s("A", 1001, 5001, 1000),  # 3 ACK
        c2s("FA", 1001, 5001, 1000),  # 4 FIN
        s2c("FA", 5001, 1002, 1000),  # 5 FIN
        c2s("A", 1002, 5002, 1000),  # 6 ACK: closed
        # A new connection whose SYN was not captured: only its SYN-ACK, ISN 7000.
        s2c("SA", 7000, 9001, 1000),  # 7 port reused, previous segment not captured,
        #                               ACKed unseen segment; Seq=0
        c2s("A", 9001, 7001, 1000),  # 8 Ack=1 (from the new ISN)
        c2s("PA", 9001, 7001, 1000, b"hello"),  # 9
        s2c("A", 7001, 9006, 1000),  # 10 Seq=1
        # Within one connection: the SYN-ACK repeated with another ISN.
        seg(("10.0.0.1", 40001), SERVER, "S", 2000, 0, 1000),  # 11 SYN
        seg(SERVER, ("10.0.0.1", 40001), "SA", 3000, 2001, 1000),  # 12 SYN-ACK
        seg(SERVER, ("10.0.0.1", 40001), "SA", 4000, 2001, 1000),  # 13 another ISN: Seq=0
        seg(("10.0.0.1", 40001), SERVER, "A", 2001, 4001, 1000),  # 14 Ack=1
    ]


def main() -> None:
    write_pcap("tcp_analysis_scaled_window.pcap", 1, scaled_window())
    write_pcap("tcp_analysis_acked_unseen.pcap", 1, acked_unseen_once())
    write_pcap("tcp_analysis_synack_new_isn.pcap", 1, synack_new_isn())


if __name__ == "__main__":
    main()
