//! Bad input: a capture cut short, a file that is not a capture, a missing file, an
//! unreadable one. Each gives the frames before the damage (if any), exactly one line on
//! standard error naming the file (and, when cut, the frame number and the byte offset),
//! and a non-zero exit status; never a panic.

use std::path::Path;

use super::util::{
    Run, fixture, frame_numbers, pcap_records, read_jsonl, running_as_root, u32_at, wirelab_run,
};

/// Asserts the common shape of an error: non-zero exit, one stderr line naming `path`.
fn assert_one_error_line(r: &Run, path: &str) -> String {
    assert!(
        !r.stderr.contains("panicked"),
        "wirelab panicked:\n{}",
        r.describe()
    );
    assert!(
        matches!(r.code, Some(c) if c != 0),
        "expected a non-zero exit status:\n{}",
        r.describe()
    );
    let lines = r.err_lines();
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one line on stderr:\n{}",
        r.describe()
    );
    let line = lines[0].to_string();
    assert!(
        line.contains(path),
        "the error line does not name {path}: {line}"
    );
    line
}

/// True when `line` holds `n` as a whole number (not as part of a longer one).
fn has_number(line: &str, n: usize) -> bool {
    line.split(|c: char| !c.is_ascii_digit())
        .any(|w| w == n.to_string())
}

/// Writes the first `len` bytes of fixture `name` to DIR/cut-NAME; returns the path.
fn cut_copy(dir: &Path, name: &str, len: usize) -> String {
    let bytes = std::fs::read(fixture(name).path()).expect("read fixture");
    let path = dir.join(format!("cut-{name}"));
    std::fs::write(&path, bytes.get(..len).expect("cut inside the file")).expect("write cut copy");
    path.to_string_lossy().into_owned()
}

/// Runs `wirelab read P` on a file it must refuse: one error line naming `p`; with
/// `nothing_for` (what the file is), also nothing on standard output.
fn read_refused(p: &str, nothing_for: Option<&str>) {
    let r = wirelab_run(&["read", p]);
    assert_one_error_line(&r, p);
    if let Some(what) = nothing_for {
        assert!(
            r.stdout.is_empty(),
            "nothing may be printed for {what}:\n{}",
            r.describe()
        );
    }
}

/// Checks a capture cut inside frame `frame` whose record starts at byte `record_at`.
fn check_cut(path: &str, frame: usize, record_at: usize, cut_at: usize) {
    let (frames, r) = read_jsonl(path, &[]);
    let line = assert_one_error_line(&r, path);
    let want: Vec<u64> = (1..frame as u64).collect();
    assert_eq!(
        frame_numbers(&frames),
        want,
        "the frames before the damage must be printed:\n{}",
        r.describe()
    );
    assert!(
        has_number(&line, frame),
        "the error line does not name frame {frame}: {line}"
    );
    assert!(
        has_number(&line, record_at) || has_number(&line, cut_at),
        "the error line names neither byte offset {record_at} (start of the damaged record) nor {cut_at} (end of the file): {line}"
    );
    // the timeline view stops at the same place with the same line
    let t = wirelab_run(&["read", "--color", "never", path]);
    assert_eq!(
        assert_one_error_line(&t, path),
        line,
        "timeline and jsonl report the damage differently"
    );
}

/// Cuts classic-pcap fixture `name` inside frame `frame`, at `cut(start of its record,
/// captured length)`, and checks what reading the cut copy gives.
fn check_pcap_cut(name: &str, frame: usize, cut: impl Fn(usize, usize) -> usize) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bytes = std::fs::read(fixture(name).path()).expect("read fixture");
    let (at, _, _, caplen) = pcap_records(&bytes)[frame - 1];
    let cut_at = cut(at, caplen);
    let path = cut_copy(dir.path(), name, cut_at);
    check_cut(&path, frame, at, cut_at);
}

#[test]
fn bad_input_pcap_cut_in_the_middle_of_a_record() {
    check_pcap_cut("lab_tcp.pcap", 6, |at, caplen| at + 16 + caplen / 2);
}

#[test]
fn bad_input_pcap_cut_in_a_record_header() {
    check_pcap_cut("lab_udp.pcap", 4, |at, _| at + 7);
}

#[test]
fn bad_input_pcapng_cut_in_the_middle_of_a_block() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bytes = std::fs::read(fixture("lab_ipv6.pcapng").path()).expect("read fixture");
    // walk the blocks (little-endian): SHB, IDB, then one EPB per frame
    let mut at = 0usize;
    let mut packets = Vec::new();
    while let (Some(kind), Some(len)) = (u32_at(&bytes, at, false), u32_at(&bytes, at + 4, false)) {
        let len = len as usize;
        if kind == 6 {
            packets.push((at, len));
        }
        assert!(len >= 12, "bad block length in the fixture");
        at += len;
    }
    let (at, len) = packets[3]; // frame 4
    let cut_at = at + len / 2;
    let path = cut_copy(dir.path(), "lab_ipv6.pcapng", cut_at);
    check_cut(&path, 4, at, cut_at);
}

#[test]
fn bad_input_not_a_capture() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "Input lowercase sentence: hello\nFrom Server:  HELLO\n",
    )
    .expect("write");
    read_refused(&path.to_string_lossy(), Some("a non-capture"));
}

#[test]
fn bad_input_empty_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("empty.pcap");
    std::fs::write(&path, b"").expect("write");
    read_refused(&path.to_string_lossy(), None);
}

#[test]
fn bad_input_missing_file() {
    read_refused("fixtures/no-such-capture.pcap", Some("a missing file"));
}

#[test]
fn bad_input_directory_instead_of_a_file() {
    // root can read any file, but nobody can read a directory as a capture
    let dir = tempfile::tempdir().expect("temporary directory");
    read_refused(&dir.path().to_string_lossy(), None);
}

#[test]
fn bad_input_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    if running_as_root() {
        eprintln!(
            "SKIPPED: running as root, which reads a chmod 000 file anyway (the directory case covers root)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("locked.pcap");
    std::fs::copy(fixture("lab_udp.pcap").path(), &path).expect("copy");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    read_refused(&path.to_string_lossy(), Some("an unreadable file"));
}
