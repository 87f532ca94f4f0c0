//! Command-line types (clap) only: what the user typed.
