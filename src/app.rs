//! Turns validated arguments into a pipeline and runs it; the only module that knows all others.

/// Runs the program; returns the process exit code.
pub fn main() -> i32 {
    0
}
