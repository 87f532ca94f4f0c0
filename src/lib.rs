//! wirelab: packet capture and protocol analysis for the networking socket lab.
//!
//! The pipeline runs `source → decode → track → explain → present`, in capture
//! order, for live captures and saved files alike. Each stage only sees the
//! types of the stage before it; see the README for the whole picture.

pub mod app;
pub mod cli;
pub mod decode;
pub mod error;
pub mod explain;
pub mod lab;
pub mod present;
pub mod source;
pub mod track;
pub mod width;
