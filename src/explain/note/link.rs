//! Notes for the link layer: ARP.

use super::*;

pub(super) fn arp_note(arp: &crate::decode::Arp, out: &mut String) {
    let mut sender = String::new();
    let mut target = String::new();
    let ip = |o: &mut String, b: &[u8]| match <[u8; 4]>::try_from(b) {
        Ok(a) => {
            let _ = write!(o, "{}", std::net::Ipv4Addr::from(a));
        }
        Err(_) => info::write_mac(o, b),
    };
    ip(&mut sender, &arp.sender_proto);
    ip(&mut target, &arp.target_proto);
    match arp.operation {
        1 if sender == target && arp.target_hw.iter().all(|b| *b == 0) => {
            let _ = write!(
                out,
                "ARP announcement: {sender} tells the network it now uses this address, with MAC "
            );
            info::write_mac(out, &arp.sender_hw);
        }
        1 if sender == target => {
            let _ = write!(out, "gratuitous ARP: {sender} announces its MAC address");
        }
        1 if arp.sender_proto.iter().all(|b| *b == 0) => {
            let _ = write!(
                out,
                "ARP probe: before using {target}, a host checks that nobody answers for it"
            );
        }
        1 => {
            let _ = write!(
                out,
                "ARP request (broadcast): who has {target}? {sender} needs its MAC address"
            );
        }
        2 => {
            let _ = write!(out, "ARP reply: {sender} answers with its MAC address ");
            info::write_mac(out, &arp.sender_hw);
        }
        op => {
            let _ = write!(out, "ARP operation {op}");
        }
    }
}
