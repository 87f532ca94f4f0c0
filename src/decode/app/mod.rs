//! Application protocols above TCP and UDP: one file per protocol, each with its
//! port and content checks, as Wireshark's dissector tables and heuristics do.

pub mod http;
pub mod quic;
pub mod ssh;
pub mod tls;
pub mod web;
