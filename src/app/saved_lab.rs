//! The lab's settings, saved by `wirelab lab -w` as the pcapng section's comment and read
//! back by `read` and `check`: the lab's server ports (its scope) and what it expected
//! (runs per protocol, the message), so that the file gives the checks the lab gave. How
//! the lab stopped (interrupted or not, after how many frames) is known only at its end:
//! it is the comment of the Interface Statistics Block the file ends with, as dumpcap
//! ends a capture. A file cut short (the lab killed) has none and is judged as complete.
//! A classic pcap file has room for neither.

use crate::explain::lab::{Expect, Scope};
use crate::source::{InterfaceStatistics, LinkType, Timestamp};

/// The comment's first line.
const HEAD: &str = "wirelab lab\n";
/// The message's key: it comes last, and its value is the rest of the comment.
const MESSAGE: &str = "message: ";
/// The end comment of an interrupted lab, before its frame count.
const INTERRUPTED: &str = "wirelab lab: interrupted after ";
/// The end comment of a lab that ran to its end, before its frame count.
const FINISHED: &str = "wirelab lab: finished after ";

/// How a lab stopped, for the statistics its file ends with.
#[derive(Debug, Clone, Copy)]
pub struct LabEnd {
    /// Frames captured (and written).
    pub frames: u64,
    /// Stopped by a signal before its runs were done.
    pub interrupted: bool,
    /// The capture's interface.
    pub linktype: LinkType,
    /// When the capture started and ended.
    pub start: Timestamp,
    /// See `start`.
    pub end: Timestamp,
    /// libpcap's counts: received by filter, dropped by kernel.
    pub received: u64,
    /// See `received`.
    pub dropped: u64,
}

/// The statistics a lab's file ends with: times, counts, and a comment saying whether
/// it was interrupted after how many frames (read back by [`interrupted_after`]).
pub fn end_statistics(end: &LabEnd) -> InterfaceStatistics {
    let head = if end.interrupted {
        INTERRUPTED
    } else {
        FINISHED
    };
    InterfaceStatistics {
        linktype: end.linktype,
        ts: end.end,
        start: Some(end.start),
        end: Some(end.end),
        received: Some(end.received),
        dropped: Some(end.dropped),
        comments: vec![format!("{head}{} frames", end.frames)],
    }
}

/// After how many frames the lab that wrote the file was interrupted, if the statistics
/// it ends with say so.
pub fn interrupted_after(stats: &[InterfaceStatistics]) -> Option<u64> {
    stats.iter().flat_map(|s| &s.comments).find_map(|c| {
        c.strip_prefix(INTERRUPTED)?
            .strip_suffix(" frames")?
            .parse()
            .ok()
    })
}

/// The section comment of a lab judging the conversations on `ports` as `expect` says.
/// A message that would make it longer than a pcapng option (65,535 bytes) is left out.
pub fn comment(ports: &[u16], expect: &Expect) -> String {
    let mut s = String::from(HEAD);
    for p in ports {
        s.push_str(&format!("lab-port: {p}\n"));
    }
    for (name, runs) in [("udp", expect.runs.0), ("tcp", expect.runs.1)] {
        if let Some(n) = runs {
            s.push_str(&format!("{name}-runs: {n}\n"));
        }
    }
    if let Some(m) = expect
        .message
        .as_deref()
        .and_then(|m| std::str::from_utf8(m).ok())
        && s.len() + MESSAGE.len() + m.len() <= usize::from(u16::MAX)
    {
        s.push_str(MESSAGE);
        s.push_str(m);
    }
    s
}

/// The lab's settings in a file's section comments, when `wirelab lab -w` saved them.
pub fn read(comments: &[String]) -> Option<(Scope, Expect)> {
    let mut rest = comments.iter().find_map(|c| c.strip_prefix(HEAD))?;
    let (mut ports, mut expect) = (Vec::new(), Expect::default());
    while !rest.is_empty() {
        if let Some(m) = rest.strip_prefix(MESSAGE) {
            expect.message = Some(m.as_bytes().to_vec());
            break;
        }
        let (line, tail) = rest.split_once('\n').unwrap_or((rest, ""));
        rest = tail;
        let (key, value) = line.split_once(": ")?;
        match key {
            "lab-port" => ports.push(value.parse().ok()?),
            "udp-runs" => expect.runs.0 = Some(value.parse().ok()?),
            "tcp-runs" => expect.runs.1 = Some(value.parse().ok()?),
            // A setting of a later version: not this one's to judge by.
            _ => {}
        }
    }
    (!ports.is_empty()).then_some((Scope::Ports(ports), expect))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_end_read_back_only_when_interrupted() {
        let mut end = LabEnd {
            frames: 7,
            interrupted: true,
            linktype: LinkType::ETHERNET,
            start: Timestamp::default(),
            end: Timestamp::default(),
            received: 9,
            dropped: 0,
        };
        let stats = end_statistics(&end);
        assert_eq!(stats.comments, ["wirelab lab: interrupted after 7 frames"]);
        assert_eq!(interrupted_after(&[stats]), Some(7));
        end.interrupted = false;
        assert_eq!(interrupted_after(&[end_statistics(&end)]), None);
        let mut odd = end_statistics(&end);
        odd.comments = vec!["wirelab lab: interrupted after x frames".into()];
        assert_eq!(interrupted_after(&[odd]), None);
        assert_eq!(interrupted_after(&[]), None);
    }

    #[test]
    fn test_settings_read_back_as_written() {
        let expect = Expect {
            message: Some("hello\nlab-port: 1\n".as_bytes().to_vec()),
            runs: (Some(3), None),
            interrupted_after: None,
        };
        let c = comment(&[15000, 15001], &expect);
        assert_eq!(
            read(&["other".into(), c]),
            Some((Scope::Ports(vec![15000, 15001]), expect))
        );
    }

    #[test]
    fn test_no_settings_in_other_comments_or_without_ports() {
        assert_eq!(read(&["a comment of Wireshark's".into()]), None);
        assert_eq!(read(&[comment(&[], &Expect::default())]), None);
        assert_eq!(read(&["wirelab lab\nlab-port: x\n".into()]), None);
    }

    #[test]
    fn test_message_too_long_for_an_option_left_out() {
        let expect = Expect {
            message: Some(vec![b'a'; 70_000]),
            runs: (None, Some(1)),
            interrupted_after: None,
        };
        let c = comment(&[15000], &expect);
        assert!(c.len() < 100, "{c}");
        let (_, back) = read(&[c]).unwrap_or((Scope::Auto, Expect::default()));
        assert_eq!((back.message, back.runs), (None, (None, Some(1))));
    }
}
