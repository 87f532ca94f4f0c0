//! The socket lab's programs only: the uppercase UDP and TCP server and client, and the
//! network namespaces of `--two-hosts`. Starting capture, server and client in the right
//! order is the lab runner's job (`app::lab`); judging what was captured is the lab
//! model's (`explain`). The uppercase itself and the escaping of what the lab shows live in
//! [`crate::text`].

pub mod checks;
pub mod client;
pub mod netns;
pub mod server;
