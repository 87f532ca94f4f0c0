//! The integration test modules; see `tests/tests.rs`.

pub mod files;
pub mod known;
pub mod util;

mod bad_input;
mod cli_read;
mod conformance;
mod detail_app;
mod detail_layers;
mod golden;
mod hostile;
mod lab;
mod labmodel;
mod privileges;
mod quic;
mod reader;
mod readme;
mod robust;
mod serve_ipv6;
mod term;
mod threaded;
pub mod tshark;
mod views;
mod zeek;
