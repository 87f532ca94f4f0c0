//! The lab's settings, saved by `wirelab lab -w` as the pcapng section's comment and read
//! back by `read` and `check`: the lab's server ports (its scope) and what it expected
//! (runs per protocol, the message), so that the file gives the checks the lab gave. A
//! classic pcap file has no room for them, and an interruption is not saved (the comment
//! is written before the first frame).

use crate::explain::lab::{Expect, Scope};

/// The comment's first line.
const HEAD: &str = "wirelab lab\n";
/// The message's key: it comes last, and its value is the rest of the comment.
const MESSAGE: &str = "message: ";

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
