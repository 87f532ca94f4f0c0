//! Capture-file helpers shared by the integration tests and by `tests/decode_prefixes.rs`
//! (a separate test binary, which includes this file with `#[path]`): which files are
//! captures, and the fixed-size numbers of capture headers in either byte order.

use std::path::{Path, PathBuf};

/// True for a capture file name (not an oracle or a README).
pub fn is_capture_name(name: &str) -> bool {
    !name.contains(".oracle.")
        && [".pcap", ".pcapng", ".cap"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// The captures directly in `dir`, sorted by path (none when `dir` cannot be read).
pub fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    collect_captures(dir, false, &mut v);
    v.sort();
    v
}

/// The captures in `dir` and in every folder below it, sorted by path.
pub fn captures_under(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    collect_captures(dir, true, &mut v);
    v.sort();
    v
}

fn collect_captures(dir: &Path, recurse: bool, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for p in rd.filter_map(|e| e.ok()).map(|e| e.path()) {
        if p.is_dir() {
            if recurse {
                collect_captures(&p, true, out);
            }
        } else if p.is_file()
            && p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_capture_name)
        {
            out.push(p);
        }
    }
}

/// The `N` bytes at byte `at` of `bytes`, in big-endian order (reversed when `big` is
/// false); None past the end.
fn be_bytes_at<const N: usize>(bytes: &[u8], at: usize, big: bool) -> Option<[u8; N]> {
    let mut b: [u8; N] = bytes.get(at..at.checked_add(N)?)?.try_into().ok()?;
    if !big {
        b.reverse();
    }
    Some(b)
}

/// The 32-bit number at byte `at` of `bytes`, big-endian when `big`; None past the end.
pub fn u32_at(bytes: &[u8], at: usize, big: bool) -> Option<u32> {
    be_bytes_at(bytes, at, big).map(u32::from_be_bytes)
}

/// The 16-bit number at byte `at` of `bytes`, big-endian when `big`; None past the end.
#[allow(dead_code)] // used by tests/decode_prefixes.rs only
pub fn u16_at(bytes: &[u8], at: usize, big: bool) -> Option<u16> {
    be_bytes_at(bytes, at, big).map(u16::from_be_bytes)
}
