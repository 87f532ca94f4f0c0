//! wirelab: packet capture and protocol analysis for the networking socket lab.
//!
//! The pipeline runs `source → decode → track → explain → present`, in capture order, for
//! live captures, saved files and the lab alike, driven by one loop in `app` (which also
//! holds the validated configuration and the lab runner). Each stage imports only the
//! stages before it; `lab` holds the socket programs and imports none of them; `fmt` (number,
//! address and time writers) and `error` serve every stage. See the README for the whole
//! picture.

pub mod app;
mod cache;
pub mod cli;
pub mod decode;
pub mod error;
pub mod explain;
pub mod fmt;
mod hints;
pub mod lab;
pub mod present;
pub mod source;
pub mod text;
pub mod track;
pub mod width;
