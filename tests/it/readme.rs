//! The README's quick start stays true: exactly two set-up commands, one that runs the lab
//! with `cargo run`, one that runs `cargo test`, and `cargo run` knows which binary to run.

use super::util::root;

#[test]
fn readme_quick_start_has_two_commands_that_work() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("## Quick start")
        .expect("a Quick start section");
    let block = &readme[start..];
    let open = block.find("```sh\n").expect("a sh code block") + 6;
    let close = open + block[open..].find("```").expect("the block ends");
    let commands: Vec<&str> = block[open..close]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(
        commands[0].contains("cargo run --release -- lab"),
        "{}",
        commands[0]
    );
    assert!(commands[1].contains("cargo test"), "{}", commands[1]);
    // With helper binaries in src/bin/, `cargo run` needs default-run to pick wirelab.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    if root().join("src/bin").exists() {
        assert!(
            manifest.contains("default-run = \"wirelab\""),
            "Cargo.toml needs default-run = \"wirelab\""
        );
    }
    // .ci/run runs the same test command.
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim_start().starts_with("cargo test")),
        ".ci/run must run cargo test"
    );
}
