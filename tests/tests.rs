//! Integration tests: every test here runs the real `wirelab` binary, as a user would.
//!
//! One test binary (as ripgrep does); the modules live in `tests/it/`, the shared helpers
//! in `tests/it/util.rs`. `WIRELAB_BLESS=1 cargo test` rewrites the golden files in
//! `tests/golden/`; review the diff before committing them.

mod it;
