//! Zeek-style connection summary: the `history` letters and the `conn_state`
//! code of Zeek's conn.log, computed from per-endpoint states. Facts only.

use crate::decode::TcpFlags;

/// Zeek's view of one TCP endpoint (`TCP_ENDPOINT_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ZeekEndpoint {
    /// Nothing sent yet.
    #[default]
    Inactive,
    /// Sent a SYN, no SYN-ACK seen yet.
    SynSent,
    /// Sent a SYN-ACK without having seen the peer's SYN.
    SynAckSent,
    /// Sent traffic without a SYN (picked up mid-stream).
    Partial,
    /// The handshake completed.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

/// Zeek's history string: each letter once per direction, in the order first seen,
/// upper case for the originator (client), lower case for the responder.
/// Stored inline (at most 6 letters per direction): no heap per conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    letters: [u8; 12],
    len: u8,
    /// Letters already recorded (bit per letter and direction).
    seen: u16,
}

impl History {
    /// Records `letter` (upper-case form) for the originator or the responder.
    pub fn add(&mut self, letter: char, from_orig: bool) {
        let (index, upper) = match letter {
            'S' => (0, b'S'),
            'H' => (1, b'H'),
            'A' => (2, b'A'),
            'D' => (3, b'D'),
            'F' => (4, b'F'),
            'R' => (5, b'R'),
            _ => return,
        };
        let bit = 1u16 << (index * 2 + u16::from(!from_orig));
        if self.seen & bit != 0 {
            return;
        }
        // Each (letter, direction) is recorded once: at most 12 letters fit.
        let Some(slot) = self.letters.get_mut(usize::from(self.len)) else {
            return;
        };
        self.seen |= bit;
        *slot = if from_orig {
            upper
        } else {
            upper.to_ascii_lowercase()
        };
        self.len += 1;
    }

    /// Records the letters one TCP segment contributes.
    pub fn add_tcp(&mut self, flags: TcpFlags, payload_len: u32, from_orig: bool) {
        let syn = flags.has(TcpFlags::SYN);
        let ack = flags.has(TcpFlags::ACK);
        let fin = flags.has(TcpFlags::FIN);
        let rst = flags.has(TcpFlags::RST);
        if syn {
            self.add(if ack { 'H' } else { 'S' }, from_orig);
        }
        if fin {
            self.add('F', from_orig);
        }
        if rst {
            self.add('R', from_orig);
        }
        if payload_len > 0 {
            self.add('D', from_orig);
        } else if ack && !syn && !fin && !rst {
            self.add('A', from_orig);
        }
    }

    /// The history string.
    pub fn as_str(&self) -> &str {
        let letters = self.letters.get(..usize::from(self.len)).unwrap_or(&[]);
        // Only ASCII letters are ever stored.
        std::str::from_utf8(letters).unwrap_or("")
    }
}

/// Zeek's endpoint states of one TCP connection, originator and responder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeekTcp {
    pub orig: ZeekEndpoint,
    pub resp: ZeekEndpoint,
    /// Payload bytes sent by the originator and by the responder.
    pub orig_size: u64,
    pub resp_size: u64,
}

impl ZeekTcp {
    /// Updates the endpoint states for one segment.
    pub fn observe(&mut self, flags: TcpFlags, payload_len: u32, from_orig: bool) {
        let (me, peer) = if from_orig {
            self.orig_size += u64::from(payload_len);
            (&mut self.orig, &mut self.resp)
        } else {
            self.resp_size += u64::from(payload_len);
            (&mut self.resp, &mut self.orig)
        };
        let syn = flags.has(TcpFlags::SYN);
        let ack = flags.has(TcpFlags::ACK);
        if flags.has(TcpFlags::RST) {
            *me = ZeekEndpoint::Reset;
        } else if flags.has(TcpFlags::FIN) {
            if *me != ZeekEndpoint::Reset {
                *me = ZeekEndpoint::Closed;
            }
        } else if syn && !ack {
            if *me == ZeekEndpoint::Inactive {
                *me = ZeekEndpoint::SynSent;
            }
        } else if syn {
            if matches!(
                *me,
                ZeekEndpoint::Inactive | ZeekEndpoint::SynSent | ZeekEndpoint::SynAckSent
            ) {
                if *peer == ZeekEndpoint::SynSent {
                    *me = ZeekEndpoint::Established;
                    *peer = ZeekEndpoint::Established;
                } else {
                    *me = ZeekEndpoint::SynAckSent;
                }
            }
        } else if *me == ZeekEndpoint::Inactive {
            *me = ZeekEndpoint::Partial;
        } else if *me == ZeekEndpoint::SynAckSent && *peer == ZeekEndpoint::Established {
            *me = ZeekEndpoint::Established;
        }
    }

    /// Zeek's `conn_state` for this connection, given its history string.
    pub fn conn_state(&self, history: &str) -> &'static str {
        use ZeekEndpoint as E;
        let (os, rs) = (self.orig, self.resp);
        let o_inactive = matches!(os, E::Inactive | E::Partial);
        let r_inactive = matches!(rs, E::Inactive | E::Partial);
        if rs == E::Reset {
            if matches!(os, E::SynSent | E::SynAckSent)
                || (os == E::Reset && self.orig_size == 0 && self.resp_size == 0)
            {
                "REJ"
            } else if o_inactive {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == E::Reset {
            if r_inactive {
                if syn_then_reset(history) {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == E::Closed && os == E::Closed {
            "SF"
        } else if os == E::Closed {
            if r_inactive { "SH" } else { "S2" }
        } else if rs == E::Closed {
            if o_inactive { "SHR" } else { "S3" }
        } else if os == E::SynSent && rs == E::Inactive {
            "S0"
        } else if os == E::Established && rs == E::Established {
            "S1"
        } else {
            "OTH"
        }
    }
}

/// Zeek's `/\^?S[^HAFGIQ]*R.*/`: the originator's SYN, then its RST, with no
/// handshake, ACK or FIN from it in between.
fn syn_then_reset(history: &str) -> bool {
    let h = history.strip_prefix('^').unwrap_or(history);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if matches!(c, 'H' | 'A' | 'F' | 'G' | 'I' | 'Q') {
            return false;
        }
    }
    false
}

/// Zeek's `conn_state` for UDP: who sent anything.
pub fn udp_conn_state(orig_active: bool, resp_active: bool) -> &'static str {
    match (orig_active, resp_active) {
        (true, true) => "SF",
        (true, false) => "S0",
        (false, true) => "SHR",
        (false, false) => "OTH",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: TcpFlags = TcpFlags(TcpFlags::SYN);
    const SA: TcpFlags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
    const A: TcpFlags = TcpFlags(TcpFlags::ACK);
    const PA: TcpFlags = TcpFlags(TcpFlags::PSH | TcpFlags::ACK);
    const FA: TcpFlags = TcpFlags(TcpFlags::FIN | TcpFlags::ACK);
    const R: TcpFlags = TcpFlags(TcpFlags::RST);
    const RA: TcpFlags = TcpFlags(TcpFlags::RST | TcpFlags::ACK);

    fn run(segments: &[(TcpFlags, u32, bool)]) -> (String, &'static str) {
        let mut h = History::default();
        let mut z = ZeekTcp::default();
        for &(f, len, orig) in segments {
            h.add_tcp(f, len, orig);
            z.observe(f, len, orig);
        }
        let state = z.conn_state(h.as_str());
        (h.as_str().to_string(), state)
    }

    #[test]
    fn test_established_fin_both_sf() {
        let (h, s) = run(&[
            (S, 0, true),
            (SA, 0, false),
            (A, 0, true),
            (PA, 5, true),
            (A, 0, false),
            (PA, 5, false),
            (FA, 0, true),
            (FA, 0, false),
            (A, 0, true),
        ]);
        assert_eq!(h, "ShADadFf");
        assert_eq!(s, "SF");
    }

    #[test]
    fn test_syn_sent_rst_reply_rej() {
        let (h, s) = run(&[(S, 0, true), (RA, 0, false)]);
        assert_eq!(h, "Sr");
        assert_eq!(s, "REJ");
    }

    #[test]
    fn test_syn_sent_no_reply_s0() {
        assert_eq!(run(&[(S, 0, true), (S, 0, true)]).1, "S0");
    }

    #[test]
    fn test_syn_sent_orig_reset_rstos0() {
        assert_eq!(run(&[(S, 0, true), (R, 0, true)]).1, "RSTOS0");
    }

    #[test]
    fn test_established_orig_reset_rsto() {
        assert_eq!(
            run(&[(S, 0, true), (SA, 0, false), (A, 0, true), (R, 0, true)]).1,
            "RSTO"
        );
    }

    #[test]
    fn test_established_no_close_s1() {
        assert_eq!(run(&[(S, 0, true), (SA, 0, false), (A, 0, true)]).1, "S1");
    }

    #[test]
    fn test_established_orig_fin_s2() {
        assert_eq!(run(&[(S, 0, true), (SA, 0, false), (FA, 0, true)]).1, "S2");
    }

    #[test]
    fn test_midstream_data_oth() {
        let (h, s) = run(&[(PA, 3, true), (A, 0, false)]);
        assert_eq!(h, "Da");
        assert_eq!(s, "OTH");
    }

    #[test]
    fn test_udp_state_answered_sf() {
        assert_eq!(udp_conn_state(true, true), "SF");
        assert_eq!(udp_conn_state(true, false), "S0");
    }
}
