//! Work one thread of the threaded reader did for the other: the hash of a packet's
//! conversation key, a TCP segment's Info column. Crate-private and optional, so that no
//! stage's public API carries a speed trick: every stage gives the same result without it.

/// What is already known about one frame.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Hints<'a> {
    /// The packet's conversation key hash, as `track::Tracker::key_hash` computes it.
    pub key_hash: Option<u32>,
    /// The TCP segment's Info column, as `explain::tcp_info` writes it.
    pub tcp_info: Option<&'a str>,
}
