//! One UDP conversation (one `udp.stream`): pairs each reply from the server
//! with the request it answers. Facts only, bounded state.

use super::zeek::ZeekFlow;

/// A UDP conversation's pairing state and Zeek's view of it.
#[derive(Debug, Clone, Default)]
pub struct UdpConv {
    /// The client's last datagram that has no reply yet.
    pending_request: Option<u64>,
    /// Client datagrams that got a reply.
    pub answered: u64,
    /// Zeek's view (history, activity, bytes, orientation).
    pub zeek: ZeekFlow,
}

impl UdpConv {
    /// A conversation with Zeek's orientation given.
    pub fn new(zeek: ZeekFlow) -> Self {
        UdpConv {
            zeek,
            ..UdpConv::default()
        }
    }

    /// Takes one datagram; returns the request frame it answers, if it is a reply.
    pub fn observe(&mut self, frame: u64, from_client: bool, payload_len: u32) -> Option<u64> {
        self.zeek.observe(from_client, payload_len, true);
        if from_client {
            // A newer request supersedes an unanswered older one.
            self.pending_request = Some(frame);
            None
        } else {
            let answered = self.pending_request.take();
            if answered.is_some() {
                self.answered += 1;
            }
            answered
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_request_pending_reply_pairs() {
        let mut c = UdpConv::default();
        assert_eq!(c.observe(1, true, 5), None);
        assert_eq!(c.observe(2, false, 5), Some(1));
        assert_eq!(c.answered, 1);
        assert_eq!(c.zeek.history.as_str(), "Dd");
    }

    #[test]
    fn test_no_pending_reply_unpaired() {
        let mut c = UdpConv::default();
        assert_eq!(c.observe(1, false, 5), None);
        assert_eq!(c.answered, 0);
    }

    #[test]
    fn test_two_requests_reply_answers_last() {
        let mut c = UdpConv::default();
        c.observe(1, true, 5);
        c.observe(2, true, 5);
        assert_eq!(c.observe(3, false, 5), Some(2));
        assert_eq!(c.observe(4, false, 5), None);
    }
}
