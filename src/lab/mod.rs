//! The socket lab itself: the uppercase UDP and TCP server and client, and the
//! `lab` runner that starts capture, server and client in the right order. The
//! uppercase itself and the escaping of what the lab shows live in [`crate::text`].

pub mod checks;
pub mod client;
pub mod netns;
pub mod runner;
pub mod server;
