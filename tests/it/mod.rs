//! The integration test modules; see `tests/tests.rs`.

pub mod known;
pub mod files;
pub mod util;

mod bad_input;
mod cli_read;
mod conformance;
mod golden;
mod views;
mod lab;
pub mod tshark;
mod robust;
mod serve_ipv6;
mod readme;
mod threaded;
