//! NetBIOS Name Service (RFC 1001/1002, UDP 137): DNS-format messages whose names are
//! NetBIOS names in "first-level encoding" (each byte as two letters A–P). The message
//! itself is read by [`super::dns`]; this file decodes the names and names the opcodes
//! and response codes as tshark does. Allocation-free.

use std::fmt::Write as _;

use super::dns::{Error, Name};

/// Bytes of a NetBIOS name (15 characters and a type byte).
pub const NAME_LEN: usize = 16;

/// Writes a NetBIOS name as tshark does: the 15 characters (trailing spaces dropped,
/// unprintable ones as `<xx>`), the type byte as `<xx>`, then the scope (`.example.com`).
/// A name that is not first-level encoded is written as tshark's "Illegal NetBIOS name
/// (...)" text.
pub fn write_name(out: &mut String, name: &Name<'_>, msg: &[u8]) -> Result<(), Error> {
    let at = name.offset();
    let len = usize::from(*msg.get(at).ok_or(Error::Short { at })?);
    if len & 0xc0 != 0 {
        // A pointer or an extended label: not a first-level encoded name.
        return name.write(out).map(|_| ());
    }
    let label = msg.get(at + 1..at + 1 + len).ok_or(Error::Short { at })?;
    // The scope: the labels after the first, as a DNS name.
    let mut scope = String::new();
    let rest = Name::at(msg, at + 1 + len);
    rest.write(&mut scope)?;
    if len != 2 * NAME_LEN {
        let _ = write!(out, "Illegal NetBIOS name ({} bytes long)", len / 2);
        return Ok(());
    }
    let mut decoded = [0u8; NAME_LEN];
    for (slot, pair) in decoded.iter_mut().zip(label.chunks_exact(2)) {
        let (hi, lo) = match pair {
            [hi, lo] => (*hi, *lo),
            _ => return Err(Error::Short { at }),
        };
        let check = |c: u8| c.is_ascii_uppercase();
        if !check(hi) {
            out.push_str(
                "Illegal NetBIOS name (1st character not between A and Z in first-level encoding)",
            );
            return Ok(());
        }
        if !check(lo) {
            out.push_str(
                "Illegal NetBIOS name (2nd character not between A and Z in first-level encoding)",
            );
            return Ok(());
        }
        *slot = ((hi - b'A') << 4) | ((lo - b'A') & 0x0f);
    }
    let (chars, kind) = decoded.split_at(NAME_LEN - 1);
    let shown = chars
        .iter()
        .rposition(|c| *c != b' ')
        .map_or(&[][..], |end| chars.get(..=end).unwrap_or(chars));
    for &c in shown {
        if (b' '..=b'~').contains(&c) {
            out.push(char::from(c));
        } else {
            let _ = write!(out, "<{c:02x}>");
        }
    }
    let _ = write!(out, "<{:02x}>", kind.first().copied().unwrap_or(0));
    if scope != "<Root>" {
        out.push('.');
        out.push_str(&scope);
    }
    Ok(())
}

/// tshark's name of an NBNS opcode.
pub fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0 => "Name query",
        5 => "Registration",
        6 => "Release",
        7 => "Wait for acknowledgment",
        8 => "Refresh",
        9 => "Refresh (alternate opcode)",
        15 => "Multi-homed registration",
        _ => "Unknown operation",
    }
}

/// tshark's name of an NBNS response code.
pub fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        0 => "No error",
        1 => "Request was invalidly formatted",
        2 => "Server failure",
        3 => "Requested name does not exist",
        4 => "Request is not implemented",
        5 => "Request was refused",
        6 => "Name is owned by another node",
        7 => "Name is in conflict",
        _ => "Unknown error",
    }
}

/// tshark's name of an NBNS record type.
pub fn type_name(rtype: u16) -> &'static str {
    match rtype {
        1 => "A",
        2 => "NS",
        10 => "NULL",
        32 => "NB",
        33 => "NBSTAT",
        _ => "unknown",
    }
}

/// What a NetBIOS name's type byte means (the 16th byte), for the note.
pub fn suffix_meaning(kind: u8) -> &'static str {
    match kind {
        0x00 => "a workstation",
        0x03 => "the messenger service",
        0x1b => "the domain master browser",
        0x1c => "the domain controllers",
        0x1d => "the master browser",
        0x1e => "the browser elections",
        0x20 => "a file server",
        _ => "a NetBIOS service",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(name: &str, kind: u8) -> Vec<u8> {
        let mut raw: Vec<u8> = format!("{name:<15}").into_bytes();
        raw.push(kind);
        let mut v = vec![32u8];
        for c in raw {
            v.push(b'A' + (c >> 4));
            v.push(b'A' + (c & 15));
        }
        v.push(0);
        v
    }

    #[test]
    fn test_name_decodes_with_type() {
        let m = encoded("WORKGROUP", 0x1c);
        let mut s = String::new();
        write_name(&mut s, &Name::at(&m, 0), &m).expect("name");
        assert_eq!(s, "WORKGROUP<1c>");
    }

    #[test]
    fn test_illegal_first_level_encoding() {
        let mut m = encoded("X", 0x20);
        m[1] = b'e';
        let mut s = String::new();
        write_name(&mut s, &Name::at(&m, 0), &m).expect("name");
        assert_eq!(
            s,
            "Illegal NetBIOS name (1st character not between A and Z in first-level encoding)"
        );
    }

    #[test]
    fn test_every_prefix_no_panic() {
        let m = encoded("WORKGROUP", 0x1c);
        for n in 0..=m.len() {
            let b = m.get(..n).unwrap_or(&[]);
            let _ = write_name(&mut String::new(), &Name::at(b, 0), b);
        }
    }
}
