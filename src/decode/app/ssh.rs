//! SSH (RFC 4253): the protocol banner, the binary packets of the key exchange
//! (their message names, which depend on the key-exchange method both sides'
//! KEXINIT settle on), and the encrypted packets after New Keys. SSH 1 banners
//! and packets too. Bytes in, typed items out; the conversation's progress is a
//! [`SshSession`] the caller keeps. Never panics.

/// The TCP port Wireshark gives to SSH.
pub const TCP_PORT: u16 = 22;

/// Largest packet length Wireshark accepts (`SSH_MAX_PACKET_LEN`, 256 KiB).
pub const MAX_PACKET_LEN: u32 = 256 * 1024;

/// The encryption Wireshark 4.0 can decrypt: with it, an encrypted packet's Info is
/// empty ("Client: "); with any other, `Encrypted packet (len=N)`.
const DECRYPTABLE: [&str; 1] = ["chacha20-poly1305@openssh.com"];

/// How the key exchange is named (RFC 4253 DH, RFC 4419 group exchange, RFC 5656 ECDH).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KexFamily {
    /// Not known yet (both KEXINITs not seen).
    #[default]
    Unknown,
    /// `diffie-hellman-group1-sha1`, `...group14...`, `...group16/18...`.
    Dh,
    /// `diffie-hellman-group-exchange-*`.
    DhGex,
    /// `ecdh-sha2-*`, `curve25519-*`, `sntrup761x25519-*`, `mlkem768x25519-*`.
    Ecdh,
}

/// One side's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshSide {
    /// The banner (`SSH-2.0-OpenSSH_9.6`), once seen.
    pub banner: Option<String>,
    /// The KEXINIT lists this side sent: kex methods, and ciphers it sends with.
    pub kex_methods: Option<String>,
    /// Ciphers (the list for this side's direction).
    pub ciphers: Option<String>,
    /// New Keys sent: what follows is encrypted.
    pub new_keys: bool,
    /// Any data seen from this side.
    pub started: bool,
    /// Encrypted packets (segments) and their bytes.
    pub encrypted: (u64, u64),
}

/// One conversation's SSH progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshSession {
    /// Protocol major version, from the client's banner (1 or 2).
    pub version: Option<u8>,
    /// Client (0) and server (1).
    pub sides: [SshSide; 2],
    /// The key exchange both KEXINITs settle on.
    pub kex: KexFamily,
    /// Its name.
    pub kex_name: Option<String>,
    /// The cipher settled for each direction (client to server, server to client).
    pub cipher: [Option<String>; 2],
}

/// One item of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshItem {
    /// The protocol banner line.
    Banner(String),
    /// A binary packet in clear, its message code.
    Message(u8),
    /// An encrypted packet of this many bytes (when Wireshark 4.0 says so).
    Encrypted(usize),
    /// An encrypted packet Wireshark 4.0 tries to decrypt (nothing shown).
    Undecrypted(usize),
}

/// What one frame (or reassembled PDU) holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshFrame {
    /// Sent by the server (source port 22).
    pub from_server: bool,
    /// The Protocol column: `SSH` until the client's banner said the version.
    pub protocol: &'static str,
    /// Items in order.
    pub items: Vec<SshItem>,
    /// The key exchange in use (names messages 30 to 34).
    pub kex: KexFamily,
}

/// True when `data` starts an SSH banner.
pub fn is_banner(data: &[u8]) -> bool {
    data.starts_with(b"SSH-")
}

/// A big-endian u32 at `at`.
fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([
        *b.first()?,
        *b.get(1)?,
        *b.get(2)?,
        *b.get(3)?,
    ]))
}

/// An SSH `string` at `at`: its bytes and the offset after it.
fn string_at(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = usize::try_from(be32(data, at)?).ok()?;
    let start = at.checked_add(4)?;
    let end = start.checked_add(len)?;
    Some((data.get(start..end)?, end))
}

/// Wireshark's name of an SSH 2 message, given the key exchange in use.
pub fn message_name(code: u8, kex: KexFamily) -> &'static str {
    match (code, kex) {
        (1, _) => "Disconnect",
        (2, _) => "Ignore",
        (3, _) => "Unimplemented",
        (4, _) => "Debug",
        (5, _) => "Service Request",
        (6, _) => "Service Accept",
        (7, _) => "Extension Information",
        (20, _) => "Key Exchange Init",
        (21, _) => "New Keys",
        (30, KexFamily::Dh) => "Diffie-Hellman Key Exchange Init",
        (31, KexFamily::Dh) => "Diffie-Hellman Key Exchange Reply",
        (30, KexFamily::DhGex) => "Diffie-Hellman Group Exchange Request (Old)",
        (31, KexFamily::DhGex) => "Diffie-Hellman Group Exchange Group",
        (32, KexFamily::DhGex) => "Diffie-Hellman Group Exchange Init",
        (33, KexFamily::DhGex) => "Diffie-Hellman Group Exchange Reply",
        (34, KexFamily::DhGex) => "Diffie-Hellman Group Exchange Request",
        (30, KexFamily::Ecdh) => "Elliptic Curve Diffie-Hellman Key Exchange Init",
        (31, KexFamily::Ecdh) => "Elliptic Curve Diffie-Hellman Key Exchange Reply",
        (50, _) => "User Authentication Request",
        (51, _) => "User Authentication Failure",
        (52, _) => "User Authentication Success",
        (53, _) => "User Authentication Banner",
        (80, _) => "Global Request",
        (81, _) => "Request Success",
        (82, _) => "Request Failure",
        (90, _) => "Channel Open",
        (91, _) => "Channel Open Confirmation",
        (92, _) => "Channel Open Failure",
        (93, _) => "Window Adjust",
        (94, _) => "Channel Data",
        (95, _) => "Channel Extended Data",
        (96, _) => "Channel EOF",
        (97, _) => "Channel Close",
        (98, _) => "Channel Request",
        (99, _) => "Channel Success",
        (100, _) => "Channel Failure",
        _ => "Unknown",
    }
}

/// Wireshark's name of an SSH 1 message (`ssh1_msg_vals`).
pub fn v1_message_name(code: u8) -> &'static str {
    match code {
        0 => "No Message",
        1 => "Disconnect",
        2 => "Public Key",
        3 => "Session Key",
        4 => "User",
        _ => "Unknown",
    }
}

/// The plain meaning of a message, for a student.
pub fn message_meaning(code: u8) -> &'static str {
    match code {
        20 => "lists the key-exchange methods, ciphers and MACs this side accepts",
        21 => "from here on this side encrypts everything it sends",
        30 | 32 | 34 => "sends this side's half of the key exchange",
        31 | 33 => "sends the server's half of the key exchange and its host key",
        1 => "closes the connection",
        _ => "an SSH message",
    }
}

/// The family of a key-exchange method name.
fn kex_family(name: &str) -> KexFamily {
    if name.starts_with("diffie-hellman-group-exchange") {
        KexFamily::DhGex
    } else if name.starts_with("diffie-hellman-group") {
        KexFamily::Dh
    } else if name.starts_with("ecdh-sha2-")
        || name.starts_with("curve25519")
        || name.starts_with("curve448")
        || name.starts_with("sntrup")
        || name.starts_with("mlkem")
    {
        KexFamily::Ecdh
    } else {
        KexFamily::Unknown
    }
}

/// The first name of `client`'s list that `server`'s list also holds (RFC 4253 7.1).
fn negotiate(client: &str, server: &str) -> Option<String> {
    client
        .split(',')
        .find(|c| server.split(',').any(|s| s == *c))
        .map(str::to_string)
}

impl SshSession {
    /// Dissects `data` from one side: the banner, or whole binary packets. Returns
    /// the bytes used and, when the data ends inside a packet, the bytes that
    /// packet needs in all from the end of the used bytes.
    pub fn dissect(
        &mut self,
        data: &[u8],
        from_server: bool,
        out: &mut SshFrame,
    ) -> (usize, Option<usize>) {
        let r = self.dissect_packets(data, from_server, out);
        out.kex = self.kex;
        r
    }

    /// [`SshSession::dissect`] but for the key exchange's name.
    fn dissect_packets(
        &mut self,
        data: &[u8],
        from_server: bool,
        out: &mut SshFrame,
    ) -> (usize, Option<usize>) {
        let s = usize::from(from_server);
        out.from_server = from_server;
        out.protocol = match self.version {
            Some(1) => "SSHv1",
            Some(_) => "SSHv2",
            None => "SSH",
        };
        let mut used = 0usize;
        loop {
            let rest = data.get(used..).unwrap_or(&[]);
            if rest.is_empty() {
                return (used, None);
            }
            let Some(side) = self.sides.get(s) else {
                return (used, None);
            };
            let started = side.started;
            let new_keys = side.new_keys;
            if let Some(side) = self.sides.get_mut(s) {
                side.started = true;
            }
            if is_banner(rest) || (!started && rest.len() < 4 && b"SSH-".starts_with(rest)) {
                // the banner: one line
                let Some(end) = rest.iter().position(|b| *b == b'\n') else {
                    return (used, Some(rest.len() + 1));
                };
                let line = rest.get(..end).unwrap_or(rest);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let banner = String::from_utf8_lossy(line).into_owned();
                if !from_server && self.version.is_none() {
                    self.version = if banner.starts_with("SSH-2.") || banner.starts_with("SSH-1.99")
                    {
                        Some(2)
                    } else if banner.starts_with("SSH-1.") {
                        Some(1)
                    } else {
                        None
                    };
                }
                if let Some(side) = self.sides.get_mut(s) {
                    side.banner = Some(banner.clone());
                }
                out.items.push(SshItem::Banner(banner));
                used += end + 1;
                continue;
            }
            if !started || new_keys || self.sides.get(s).is_some_and(|x| x.banner.is_none()) {
                // encrypted from here (or a side whose start was not captured): the
                // rest of the segment as one encrypted packet, as Wireshark shows it
                let cipher = self.cipher.get(s).cloned().flatten();
                let item = if cipher.as_deref().is_some_and(|c| DECRYPTABLE.contains(&c)) {
                    SshItem::Undecrypted(rest.len())
                } else {
                    SshItem::Encrypted(rest.len())
                };
                if let Some(side) = self.sides.get_mut(s) {
                    side.encrypted.0 += 1;
                    side.encrypted.1 += u64::try_from(rest.len()).unwrap_or(0);
                }
                out.items.push(item);
                return (data.len(), None);
            }
            if self.version == Some(1) {
                // SSH 1: length, padding to 8, type, data, CRC
                let Some(len) = be32(rest, 0) else {
                    return (used, Some(4));
                };
                if len > MAX_PACKET_LEN {
                    return (used, None);
                }
                let pad = 8 - (len % 8);
                let total = 4 + usize::try_from(len + pad).unwrap_or(usize::MAX);
                if rest.len() < total {
                    return (used, Some(total));
                }
                let code = rest
                    .get(4 + usize::try_from(pad).unwrap_or(0))
                    .copied()
                    .unwrap_or(0);
                out.items.push(SshItem::Message(code));
                if code == 3 {
                    // after the session key both sides encrypt
                    for side in &mut self.sides {
                        side.new_keys = true;
                    }
                }
                used += total;
                continue;
            }
            // SSH 2 binary packet: length, padding length, payload, padding (no MAC
            // before New Keys)
            let Some(len) = be32(rest, 0) else {
                return (used, Some(4));
            };
            if len < 5 {
                // not a packet in clear: Wireshark shows the rest as encrypted
                out.items.push(SshItem::Encrypted(rest.len()));
                return (data.len(), None);
            }
            let total = 4 + usize::try_from(len).unwrap_or(usize::MAX);
            let Some(packet) = rest.get(..total) else {
                return (used, Some(total));
            };
            let code = packet.get(5).copied().unwrap_or(0);
            let payload = packet.get(5..).unwrap_or(&[]);
            self.message(s, code, payload);
            out.items.push(SshItem::Message(code));
            used += total;
        }
    }

    /// Learns from one message in clear.
    fn message(&mut self, s: usize, code: u8, payload: &[u8]) {
        match code {
            20 => {
                // code, cookie (16), then name-lists: kex, host key, ciphers c2s, s2c
                let lists = (|| {
                    let (kex, at) = string_at(payload, 17)?;
                    let (_, at) = string_at(payload, at)?;
                    let (c2s, at) = string_at(payload, at)?;
                    let (s2c, _) = string_at(payload, at)?;
                    Some((kex, c2s, s2c))
                })();
                if let (Some((kex, c2s, s2c)), Some(side)) = (lists, self.sides.get_mut(s)) {
                    side.kex_methods = Some(String::from_utf8_lossy(kex).into_owned());
                    side.ciphers = Some(format!(
                        "{}\n{}",
                        String::from_utf8_lossy(c2s),
                        String::from_utf8_lossy(s2c)
                    ));
                }
                let [c, sv] = &self.sides;

                if let (Some(ck), Some(sk)) = (&c.kex_methods, &sv.kex_methods) {
                    self.kex_name = negotiate(ck, sk);
                    self.kex = self
                        .kex_name
                        .as_deref()
                        .map_or(KexFamily::Unknown, kex_family);
                    if let (Some(cc), Some(sc)) = (&c.ciphers, &sv.ciphers) {
                        let mut cl = cc.split('\n');
                        let mut sl = sc.split('\n');
                        let (cc2s, cs2c) = (cl.next().unwrap_or(""), cl.next().unwrap_or(""));
                        let (sc2s, ss2c) = (sl.next().unwrap_or(""), sl.next().unwrap_or(""));
                        self.cipher = [negotiate(cc2s, sc2s), negotiate(cs2c, ss2c)];
                    }
                }
            }
            21 => {
                if let Some(side) = self.sides.get_mut(s) {
                    side.new_keys = true;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SSH 2 packet in clear: length, padding length 4, payload, 4 padding bytes.
    fn packet(payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len() + 1 + 4).unwrap();
        let mut p = len.to_be_bytes().to_vec();
        p.push(4);
        p.extend_from_slice(payload);
        p.extend_from_slice(&[0; 4]);
        p
    }

    fn kexinit(kex: &str, cipher: &str) -> Vec<u8> {
        let mut p = vec![20];
        p.extend_from_slice(&[0; 16]);
        for list in [
            kex,
            "ssh-ed25519",
            cipher,
            cipher,
            "hmac-sha2-256",
            "hmac-sha2-256",
            "none",
            "none",
            "",
            "",
        ] {
            p.extend_from_slice(&u32::try_from(list.len()).unwrap().to_be_bytes());
            p.extend_from_slice(list.as_bytes());
        }
        p.extend_from_slice(&[0, 0, 0, 0, 0]);
        packet(&p)
    }

    #[test]
    fn test_banner_then_kex_then_encrypted() {
        let mut s = SshSession::default();
        let mut f = SshFrame::default();
        let banner = b"SSH-2.0-OpenSSH_9.6\r\n";
        assert_eq!(s.dissect(banner, false, &mut f), (banner.len(), None));
        assert_eq!(f.protocol, "SSH");
        assert_eq!(f.items, vec![SshItem::Banner("SSH-2.0-OpenSSH_9.6".into())]);
        assert_eq!(s.version, Some(2));
        let mut f = SshFrame::default();
        s.dissect(b"SSH-2.0-OpenSSH_8.0\r\n", true, &mut f);
        assert_eq!(f.protocol, "SSHv2");

        let ck = kexinit(
            "curve25519-sha256,diffie-hellman-group14-sha256",
            "aes128-ctr",
        );
        let sk = kexinit(
            "diffie-hellman-group14-sha256,curve25519-sha256",
            "aes128-ctr",
        );
        let mut f = SshFrame::default();
        s.dissect(&ck, false, &mut f);
        s.dissect(&sk, true, &mut f);
        assert_eq!(s.kex, KexFamily::Ecdh);
        assert_eq!(s.cipher[0].as_deref(), Some("aes128-ctr"));
        assert_eq!(
            message_name(30, s.kex),
            "Elliptic Curve Diffie-Hellman Key Exchange Init"
        );

        let mut f = SshFrame::default();
        let mut two = packet(&[31, 1, 2, 3]);
        two.extend(packet(&[21]));
        s.dissect(&two, true, &mut f);
        assert_eq!(f.items, vec![SshItem::Message(31), SshItem::Message(21)]);
        let mut f = SshFrame::default();
        s.dissect(&[9; 48], true, &mut f);
        assert_eq!(f.items, vec![SshItem::Encrypted(48)]);
    }

    #[test]
    fn test_packet_across_segments_asks_for_its_length() {
        let mut s = SshSession::default();
        let mut f = SshFrame::default();
        s.dissect(b"SSH-2.0-x\r\n", false, &mut f);
        let ck = kexinit("curve25519-sha256", "chacha20-poly1305@openssh.com");
        assert_eq!(s.dissect(&ck[..50], false, &mut f), (0, Some(ck.len())));
        assert_eq!(s.dissect(&ck[..2], false, &mut f), (0, Some(4)));
    }

    #[test]
    fn test_side_without_banner_is_encrypted() {
        let mut s = SshSession::default();
        let mut f = SshFrame::default();
        s.dissect(&[1, 2, 3, 4, 5, 6, 7, 8], true, &mut f);
        assert_eq!(f.items, vec![SshItem::Encrypted(8)]);
    }

    #[test]
    fn test_ssh1_banner_and_public_key() {
        let mut s = SshSession::default();
        let mut f = SshFrame::default();
        s.dissect(b"SSH-1.5-1.2.27\n", false, &mut f);
        assert_eq!(s.version, Some(1));
        s.dissect(b"SSH-1.5-1.2.27\n", true, &mut f);
        // length 5: padding 3, type 2, 4 data... (len counts type + data + crc)
        let mut p = 5u32.to_be_bytes().to_vec();
        p.extend_from_slice(&[0, 0, 0, 2, 0xaa, 0, 0, 0]);
        let mut f = SshFrame::default();
        assert_eq!(s.dissect(&p, true, &mut f), (p.len(), None));
        assert_eq!(f.protocol, "SSHv1");
        assert_eq!(f.items, vec![SshItem::Message(2)]);
    }
}
