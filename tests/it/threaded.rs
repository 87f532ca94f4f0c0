//! `wirelab read` on two threads gives the same output, errors and exit code as on one
//! (`WIRELAB_THREADS=1`), on files that cross many blocks: records cut by the end of a
//! block, a record longer than a block, a record libpcap must cut (longer than the
//! snapshot length, read by libpcap from there on) and a file cut short.

use super::util::{Run, fixture, pcap_records, wirelab};

/// A classic pcap header (little-endian, microseconds, Ethernet).
fn header(snaplen: u32) -> Vec<u8> {
    let mut h = Vec::new();
    for v in [0xA1B2_C3D4u32, 0x0004_0002, 0, 0, snaplen, 1] {
        h.extend(v.to_le_bytes());
    }
    h
}

/// A record of `len` bytes, each `fill`, at second `secs`.
fn record(secs: u32, len: usize, fill: u8) -> Vec<u8> {
    let mut r = Vec::new();
    for v in [secs, 0, len as u32, len as u32] {
        r.extend(v.to_le_bytes());
    }
    r.extend(std::iter::repeat_n(fill, len));
    r
}

/// The lab TCP fixture's records, `times` over (about 1 MB for 1,500).
fn repeated_lab_records(times: usize) -> Vec<u8> {
    let lab = std::fs::read(fixture("lab_tcp.pcap").path()).unwrap();
    let body = lab.get(24..).unwrap();
    assert!(!pcap_records(&lab).is_empty());
    body.repeat(times)
}

fn read(path: &std::path::Path, one_thread: bool, args: &[&str]) -> Run {
    let mut cmd = wirelab();
    cmd.arg("read").args(args).arg(path);
    if one_thread {
        cmd.env("WIRELAB_THREADS", "1");
    } else {
        cmd.env_remove("WIRELAB_THREADS");
    }
    super::util::run(&mut cmd)
}

fn assert_same(path: &std::path::Path) {
    for args in [
        &["--color", "never"][..],
        &["--format", "jsonl"],
        &["--view", "conversations"],
        &["-c", "2500"],
        &["--stream", "tcp:0"],
    ] {
        let two = read(path, false, args);
        let one = read(path, true, args);
        assert!(!two.stderr.contains("panicked"), "{}", two.describe());
        assert!(two.stdout.len() > 1000, "{args:?}: {}", two.describe());
        assert_eq!(two.code, one.code, "{args:?}");
        assert_eq!(two.stderr, one.stderr, "{args:?}");
        assert!(
            two.stdout == one.stdout,
            "{args:?}: two threads and one differ"
        );
    }
}

#[test]
fn threaded_read_same_as_one_thread_across_blocks() {
    let dir = tempfile::tempdir().unwrap();
    // Long records (one longer than a 256 KiB block) between runs of lab frames.
    let mut bytes = header(262_144);
    bytes.extend(repeated_lab_records(700));
    bytes.extend(record(1, 262_144, 0));
    bytes.extend(repeated_lab_records(300));
    bytes.extend(record(2, 200_000, 0x45));
    bytes.extend(repeated_lab_records(700));
    let long = dir.path().join("long.pcap");
    std::fs::write(&long, &bytes).unwrap();
    assert_same(&long);

    // A record longer than the snapshot length (libpcap cuts it and reads on), then a cut-off end.
    let mut bytes = header(65_535);
    bytes.extend(repeated_lab_records(500));
    bytes.extend(record(3, 70_000, 0));
    bytes.extend(repeated_lab_records(500));
    let cut = bytes.len() - 20;
    bytes.truncate(cut);
    let odd = dir.path().join("odd.pcap");
    std::fs::write(&odd, &bytes).unwrap();
    let r = read(&odd, false, &["--color", "never"]);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stderr.contains("cut short"), "{}", r.describe());
    assert_same(&odd);
}

/// On two threads, where the web's dissector runs on the reading thread (every frame
/// comes to the view: nothing narrows the selection), every fixture reads as on one
/// thread (timeline, JSON Lines and conversations, HTTP, TLS, SSH and QUIC included); and
/// so with a selection (`-c`), where the dissector stays with the other stages.
#[test]
fn web_dissector_on_the_reading_thread_same_output_as_one_thread() {
    let mut web = 0;
    for fx in super::util::fixtures() {
        for args in [
            &["--color", "never"][..],
            &["--format", "jsonl"],
            &["--view", "conversations"],
            &["--view", "conversations", "-c", "7"],
            &["--color", "never", "-c", "7"],
        ] {
            let two = read(&fx.path(), false, args);
            let one = read(&fx.path(), true, args);
            assert_eq!(two.code, one.code, "{} {args:?}", fx.name);
            assert_eq!(two.stderr, one.stderr, "{} {args:?}", fx.name);
            assert!(
                two.stdout == one.stdout,
                "{} {args:?}: two threads and one differ",
                fx.name
            );
            let out = String::from_utf8_lossy(&two.stdout);
            web += usize::from(
                ["HTTP", "TLS", "SSH", "QUIC"]
                    .iter()
                    .any(|p| out.contains(p)),
            );
        }
    }
    assert!(web > 10, "only {web} outputs name a web protocol");
}
