//! The file reader from the outside: FIFOs, pipes and `read -`; outputs that are the input;
//! hostile block lengths; pcapng versions, comments and missing timestamps; what `-w`
//! keeps; and the messages of `capture` and `server` (regressions r6, r7, r8, r11 of the
//! probe's issue, and the tcpdump/tshark habits).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::util::{
    Run, fixture, frames_of, have_program, parse_jsonl, require, run_within, spawn, wirelab,
};

const LIMIT: Duration = Duration::from_secs(60);

/// `wirelab ARGS` with `input` on its standard input.
fn with_stdin(args: &[&str], input: Vec<u8>) -> Run {
    let mut child = wirelab()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wirelab");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let feeder = std::thread::spawn(move || {
        // A reader that stops early closes the pipe: not an error here.
        let _ = stdin.write_all(&input);
    });
    let run = super::util::Running::new(child).wait(LIMIT, "wirelab read - hung");
    let _ = feeder.join();
    run
}

fn jsonl_of(path: &str) -> String {
    let r = run_within(wirelab().args(["read", "--format", "jsonl", path]), LIMIT);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    r.out()
}

fn temp_copy(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(fixture(name).path(), &to).expect("copy the fixture");
    to
}

/// A FIFO given by path, and `read -` from a pipe, read like the file (pcap and pcapng).
#[test]
fn r6_fifo_and_pipe_read_as_the_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for name in ["lab_tcp.pcap", "lab_ipv6.pcapng"] {
        let file = fixture(name);
        let expected = jsonl_of(&file.rel);
        assert!(expected.lines().count() > 5);
        let fifo = dir.path().join(format!("{name}.fifo"));
        let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(made.success());
        let bytes = std::fs::read(file.path()).expect("read the fixture");
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                // Blocks until wirelab opens the FIFO: once, since it opens it once.
                let mut w = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&fifo)
                    .expect("open the FIFO");
                let _ = w.write_all(&bytes);
            })
        };
        let fifo_s = fifo.to_string_lossy().into_owned();
        let r = run_within(
            wirelab().args(["read", "--format", "jsonl", &fifo_s]),
            LIMIT,
        );
        writer.join().expect("the FIFO writer");
        assert_eq!(r.code, Some(0), "{name} through a FIFO: {}", r.describe());
        assert_eq!(r.out(), expected, "{name} through a FIFO");
        let r = with_stdin(
            &["read", "--format", "jsonl", "-"],
            std::fs::read(file.path()).expect("read"),
        );
        assert_eq!(r.code, Some(0), "{name} on stdin: {}", r.describe());
        assert_eq!(r.out(), expected, "{name} on standard input");
        // /dev/stdin names the same pipe: opened once, read as a stream.
        let r = with_stdin(
            &["read", "--format", "jsonl", "/dev/stdin"],
            std::fs::read(file.path()).expect("read"),
        );
        assert_eq!(r.code, Some(0), "{name} via /dev/stdin: {}", r.describe());
        assert_eq!(r.out(), expected, "{name} via /dev/stdin");
    }
}

/// `tcpdump -r FILE -w - | wirelab read -`: tcpdump's own output format, from a pipe.
#[test]
fn read_dash_from_tcpdump_pipe() {
    if !require(have_program("tcpdump", "--version"), "tcpdump") {
        return;
    }
    let file = fixture("lab_udp.pcap");
    let expected = jsonl_of(&file.rel);
    let mut tcpdump = Command::new("tcpdump")
        .args(["-r", &file.rel, "-w", "-"])
        .current_dir(super::util::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tcpdump");
    let child = wirelab()
        .args(["read", "--format", "jsonl", "-"])
        .stdin(tcpdump.stdout.take().expect("tcpdump's stdout"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wirelab");
    let r = super::util::Running::new(child).wait(LIMIT, "tcpdump | wirelab read - hung");
    let _ = tcpdump.wait();
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(r.out(), expected);
}

/// `read -` with nothing piped in: a clear error, not a wait on the terminal.
#[test]
fn read_dash_with_an_empty_pipe_says_so() {
    let r = with_stdin(&["read", "-"], Vec::new());
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.stderr.contains("standard input") && r.stderr.contains("empty"),
        "{}",
        r.describe()
    );
}

/// `read -` on a terminal (a pseudo-terminal from `script`): refused at once, saying what to pipe.
#[test]
fn read_dash_on_a_terminal_says_what_to_pipe() {
    if !require(have_program("script", "--version"), "script (util-linux)") {
        return;
    }
    let command = format!("{} read -", env!("CARGO_BIN_EXE_wirelab"));
    let r = run_within(
        Command::new("script").args(["-qec", &command, "/dev/null"]),
        LIMIT,
    );
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.out()
            .contains("standard input is a terminal, not a capture; pipe one into it"),
        "{}",
        r.describe()
    );
}

/// `-w`, `-o` and `--svg` naming the input (by any path) are refused, and the input is untouched.
#[test]
fn r7_write_onto_input_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = temp_copy(dir.path(), "lab_tcp.pcap");
    let before = std::fs::read(&input).expect("read");
    let link = dir.path().join("other-name.pcap");
    std::os::unix::fs::symlink(&input, &link).expect("symlink");
    let i = input.to_string_lossy().into_owned();
    let l = link.to_string_lossy().into_owned();
    for (option, target) in [("-w", &i), ("-w", &l), ("-o", &i), ("--svg", &l)] {
        let r = run_within(wirelab().args(["read", &i, option, target]), LIMIT);
        assert_eq!(r.code, Some(1), "{option} {target}: {}", r.describe());
        assert!(
            r.stderr.contains("is the capture being read")
                && r.stderr.contains(option)
                && r.err_lines().len() == 1,
            "{}",
            r.describe()
        );
        assert!(r.stdout.is_empty(), "nothing is shown: {}", r.describe());
        assert_eq!(
            std::fs::read(&input).expect("read"),
            before,
            "the input changed"
        );
    }
    // Standard input redirected from the file is the file too.
    let child = wirelab()
        .args(["read", "-", "-w", &i])
        .stdin(std::fs::File::open(&input).expect("open"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let r = super::util::Running::new(child).wait(LIMIT, "hung");
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert_eq!(std::fs::read(&input).expect("read"), before);
}

/// Peak resident memory (KiB) of `wirelab ARGS`, as the kernel counted it for the child.
fn peak_kib(args: &[&str]) -> (u64, Run) {
    let code = "import resource, subprocess, sys\n\
                r = subprocess.run(sys.argv[1:], capture_output=True)\n\
                sys.stderr.write(r.stderr.decode(errors='replace'))\n\
                print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
                sys.exit(r.returncode)";
    let r = run_within(
        Command::new("python3")
            .arg("-c")
            .arg(code)
            .arg(env!("CARGO_BIN_EXE_wirelab"))
            .args(args),
        LIMIT,
    );
    let kib = r.out().trim().parse().expect("python printed the peak");
    (kib, r)
}

/// A little-endian pcapng section header (version 1.0) and one Ethernet interface of
/// microsecond resolution, no snapshot length: 48 bytes.
fn section_and_ethernet_interface() -> Vec<u8> {
    let mut bytes = Vec::new();
    for v in [0x0A0D_0D0Au32, 28, 0x1A2B_3C4D, 1] {
        bytes.extend(v.to_le_bytes());
    }
    bytes.extend((-1i64).to_le_bytes());
    bytes.extend(28u32.to_le_bytes());
    for v in [1u32, 20, 1, 0, 20] {
        bytes.extend(v.to_le_bytes());
    }
    bytes
}

/// A 72-byte pcapng whose block claims 256 MiB: damage at once, from a file and from a pipe,
/// with no room made for the block.
#[test]
fn r8_huge_block_length_is_damage_not_an_allocation() {
    if !require(have_program("python3", "--version"), "python3") {
        return;
    }
    let mut bytes = section_and_ethernet_interface();
    for v in [6u32, 256 << 20, 0, 0, 0, 0] {
        bytes.extend(v.to_le_bytes());
    }
    assert_eq!(bytes.len(), 72);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("huge.pcapng");
    std::fs::write(&path, &bytes).expect("write");
    let p = path.to_string_lossy().into_owned();
    let (kib, r) = peak_kib(&["read", &p]);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(
        r.stderr.contains("damaged at frame 1, byte offset 48")
            && r.stderr.contains("needs 268435456 bytes, 24 remain"),
        "{}",
        r.describe()
    );
    assert!(kib < 64 * 1024, "peak memory {kib} KiB for a 72-byte file");
    let r = with_stdin(&["read", "-"], bytes);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(
        r.stderr.contains("over the 16777216 bytes"),
        "{}",
        r.describe()
    );
}

/// A section header of version 2.0 is refused (as tshark refuses it), not read.
#[test]
fn r11_pcapng_version_2_is_refused() {
    let mut bytes = std::fs::read(fixture("lab_ipv6.pcapng").path()).expect("read");
    bytes[12] = 2;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("v2.pcapng");
    std::fs::write(&path, &bytes).expect("write");
    let r = run_within(wirelab().args(["read", &path.to_string_lossy()]), LIMIT);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.stderr.contains("pcapng version 2.0") && r.stdout.is_empty(),
        "{}",
        r.describe()
    );
}

/// A pcapng of Simple Packet Blocks (no timestamps): no `-9223372036854775808` anywhere.
#[test]
fn pcapng_without_timestamps_shows_no_absurd_start() {
    // One UDP datagram on Ethernet, 127.0.0.1:5000 -> 127.0.0.1:8888, "hello".
    let mut frame = vec![0u8; 12];
    frame.extend([0x08, 0x00, 0x45, 0, 0, 33, 0, 1, 0, 0, 64, 17, 0, 0]);
    frame.extend([
        127, 0, 0, 1, 127, 0, 0, 1, 0x13, 0x88, 0x22, 0xb8, 0, 13, 0, 0,
    ]);
    frame.extend(b"hello");
    let mut bytes = section_and_ethernet_interface();
    for _ in 0..2 {
        let body = (frame.len() + 3) & !3;
        let len = u32::try_from(16 + body).expect("small");
        for v in [3u32, len, u32::try_from(frame.len()).expect("small")] {
            bytes.extend(v.to_le_bytes());
        }
        bytes.extend(&frame);
        bytes.resize(bytes.len() + body - frame.len(), 0);
        bytes.extend(len.to_le_bytes());
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("spb.pcapng");
    std::fs::write(&path, &bytes).expect("write");
    let p = path.to_string_lossy().into_owned();
    for view in ["timeline", "conversations", "report", "flow"] {
        let r = run_within(
            wirelab().args(["read", "--color", "never", "--view", view, &p]),
            LIMIT,
        );
        assert_eq!(r.code, Some(0), "{view}: {}", r.describe());
        let out = r.out();
        assert!(
            out.contains("8888"),
            "{view}: the datagrams are shown:\n{out}"
        );
        assert!(!out.contains("9223372036854775808"), "{view}:\n{out}");
    }
}

/// A copy of `lab_ipv6.pcapng` in `dir` with `editcap -a` comments (`"FRAME:TEXT"`); its path.
fn commented_copy(dir: &tempfile::TempDir, comments: &[&str]) -> String {
    let commented = dir.path().join("commented.pcapng");
    let mut editcap = Command::new("editcap");
    for c in comments {
        editcap.args(["-a", c]);
    }
    let made = editcap
        .arg(fixture("lab_ipv6.pcapng").path())
        .arg(&commented)
        .status()
        .expect("editcap");
    assert!(made.success());
    commented.to_string_lossy().into_owned()
}

/// The fitted timeline (`--width 80`) shows a frame's comments under its row and note,
/// wrapped within the width, with no line wider than 80 columns.
#[test]
fn r16_fitted_timeline_shows_pcapng_comments_within_the_width() {
    if !require(have_program("editcap", "-h"), "editcap") {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let long = "a very long comment that goes on and on, far beyond the eighty columns of \
                a laptop terminal, so that it has to wrap onto lines of its own";
    let c = commented_copy(&dir, &["2:checked by hand", &format!("4:{long}")]);
    let r = run_within(
        wirelab().args(["read", "--color", "never", "--width", "80", &c]),
        LIMIT,
    );
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let out = r.out();
    let lines: Vec<&str> = out.lines().collect();
    for l in &lines {
        assert!(
            l.chars().count() <= 80,
            "wider than 80 columns: {l:?}\n{out}"
        );
    }
    // Frame 2's comment comes after its row and its note, before frame 3's row.
    let row2 = lines
        .iter()
        .position(|l| l.trim_start().starts_with("2 "))
        .unwrap_or_else(|| panic!("no row 2:\n{out}"));
    let row3 = lines
        .iter()
        .position(|l| l.trim_start().starts_with("3 "))
        .unwrap_or_else(|| panic!("no row 3:\n{out}"));
    let at = lines
        .iter()
        .position(|l| l.trim_start() == "# comment: checked by hand")
        .unwrap_or_else(|| panic!("no comment line:\n{out}"));
    assert!(
        row2 < at && at < row3,
        "frame 2's comment under its row:\n{out}"
    );
    assert!(
        lines[row2 + 1].trim_start().starts_with('↳'),
        "the note first:\n{out}"
    );
    // The long comment wraps: every word of it is there, over more than one line.
    let first = lines
        .iter()
        .position(|l| l.trim_start().starts_with("# comment: a very long comment"))
        .unwrap_or_else(|| panic!("no long comment:\n{out}"));
    let row5 = lines
        .iter()
        .position(|l| l.trim_start().starts_with("5 "))
        .unwrap_or_else(|| panic!("no row 5:\n{out}"));
    assert!(
        row5 > first + 1,
        "the long comment takes more than one line:\n{out}"
    );
    let shown: Vec<&str> = lines[first..row5]
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect();
    let want: Vec<&str> = std::iter::once("#")
        .chain(std::iter::once("comment:"))
        .chain(long.split_whitespace())
        .collect();
    assert_eq!(shown, want, "the whole comment, in order:\n{out}");
}

/// Comments written by `editcap -a` are shown (timeline, detail) and kept by `-w`.
#[test]
fn pcapng_comments_shown_and_kept() {
    if !require(have_program("editcap", "-h"), "editcap") {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let c = commented_copy(&dir, &["2:checked by hand", "4:second <look>"]);
    let r = run_within(wirelab().args(["read", "--color", "never", &c]), LIMIT);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let out = r.out();
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start() == "# comment: checked by hand")
        .unwrap_or_else(|| panic!("no comment line:\n{out}"));
    assert!(
        lines[at - 1].trim_start().starts_with("2 "),
        "under frame 2:\n{out}"
    );
    assert!(out.contains("# comment: second <look>"));
    let r = run_within(
        wirelab().args(["read", "--view", "detail", "--frame", "2", &c]),
        LIMIT,
    );
    assert!(
        r.out().contains("    Comment: checked by hand\n"),
        "{}",
        r.out()
    );
    // -w keeps them, and --comments adds the notes after them.
    let saved = dir.path().join("saved.pcapng");
    let s = saved.to_string_lossy().into_owned();
    let r = run_within(wirelab().args(["read", &c, "-w", &s, "--comments"]), LIMIT);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let t = Command::new("tshark")
        .args(["-r", &s, "-T", "fields", "-e", "frame.comment"])
        .output()
        .expect("tshark");
    let comments = String::from_utf8_lossy(&t.stdout).into_owned();
    let frame2 = comments.lines().nth(1).unwrap_or_default();
    assert!(frame2.starts_with("checked by hand,"), "{comments}");
    assert!(
        frame2.len() > "checked by hand,".len(),
        "the note follows: {comments}"
    );
}

/// `--comments` that cannot act is an error: a .pcap output, or no -w at all.
#[test]
fn comments_without_a_pcapng_output_is_an_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("x.pcap");
    let o = out.to_string_lossy().into_owned();
    let r = run_within(
        wirelab().args(["read", "fixtures/lab_udp.pcap", "-w", &o, "--comments"]),
        LIMIT,
    );
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.stderr.contains("write to a .pcapng file"),
        "{}",
        r.describe()
    );
    assert!(!out.exists(), "nothing is created");
    let r = run_within(
        wirelab().args(["read", "fixtures/lab_udp.pcap", "--comments"]),
        LIMIT,
    );
    assert_eq!(r.code, Some(2), "clap's usage error: {}", r.describe());
    assert!(r.stderr.contains("--write"), "{}", r.describe());
}

/// After -w, "N packets written to FILE"; a microsecond pcap stays microsecond, a
/// nanosecond one nanosecond, with the same times.
#[test]
fn write_keeps_precision_and_says_how_many() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, magic) in [
        ("lab_udp.pcap", 0xA1B2_C3D4u32),
        ("PcapPlusPlus__nanosecs_big_endian.pcap", 0xA1B2_3C4D),
    ] {
        let out = dir.path().join(format!("copy-{name}"));
        let o = out.to_string_lossy().into_owned();
        let input = fixture(name);
        let r = run_within(wirelab().args(["read", &input.rel, "-w", &o]), LIMIT);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let n = frames_of(&parse_jsonl(&jsonl_of(&input.rel), name)).len();
        assert!(
            r.stderr.contains(&format!("{n} packets written to {o}")),
            "{}",
            r.describe()
        );
        let bytes = std::fs::read(&out).expect("read the copy");
        assert_eq!(bytes.get(..4), Some(&magic.to_le_bytes()[..]), "{name}");
        let times = |path: &str| -> Vec<String> {
            parse_jsonl(&jsonl_of(path), path)
                .iter()
                .filter_map(|f| f.get("time").map(ToString::to_string))
                .collect()
        };
        assert_eq!(times(&o), times(&input.rel), "{name}");
    }
}

/// A Wireshark display filter given to -f: named as such, with the BPF way to say it.
#[test]
fn display_filter_given_to_f_gets_the_hint() {
    let r = run_within(
        wirelab().args(["read", "fixtures/lab_tcp.pcap", "-f", "tcp.port == 80"]),
        LIMIT,
    );
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.stderr.contains(
            "this is a Wireshark display filter; -f takes tcpdump/BPF syntax, e.g. 'tcp port 80'"
        ),
        "{}",
        r.describe()
    );
}

/// `server --bind` an address this host does not have: says so, not "pick another --port".
#[test]
fn server_bind_foreign_address_says_not_available() {
    let r = run_within(
        wirelab().args(["server", "udp", "--bind", "192.0.2.1", "--port", "18888"]),
        LIMIT,
    );
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.stderr.contains("not available on this host") && !r.stderr.contains("another --port"),
        "{}",
        r.describe()
    );
}

/// The number `wirelab interfaces` prints for `name`.
fn interface_number(name: &str) -> Option<String> {
    let r = run_within(wirelab().arg("interfaces"), LIMIT);
    r.out().lines().find_map(|l| {
        let (n, rest) = l.split_once(". ")?;
        (rest.split_whitespace().next() == Some(name)).then(|| n.to_string())
    })
}

/// `capture -i nosuch0` says "no such interface", as root and as another user (whom
/// libpcap first tells "no permission").
#[test]
fn capture_unknown_interface_says_no_such_interface() {
    let r = run_within(
        wirelab().args(["capture", "-i", "nosuch0", "--duration", "0.1"]),
        LIMIT,
    );
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.stderr.contains("nosuch0: no such interface"),
        "{}",
        r.describe()
    );
    let r = run_within(
        wirelab().args(["capture", "-i", "999", "--duration", "0.1"]),
        LIMIT,
    );
    assert!(r.stderr.contains("no such interface"), "{}", r.describe());
    if super::util::running_as_root() && have_program("setpriv", "--version") {
        let r = run_within(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(env!("CARGO_BIN_EXE_wirelab"))
                .args(["capture", "-i", "nosuch0", "--duration", "0.1"]),
            LIMIT,
        );
        assert!(
            r.stderr.contains("nosuch0: no such interface") && !r.stderr.contains("permission"),
            "as nobody: {}",
            r.describe()
        );
    }
}

/// On loopback, by its number: the banner names the link type as tcpdump does, the odd
/// counters are explained, and `-w` killed by SIGKILL or ended by SIGHUP leaves a valid file
/// with the frames so far.
#[test]
fn capture_by_number_banner_loopback_note_and_killed_writer() {
    if !super::util::running_as_root() {
        assert!(
            !super::util::in_ci(),
            "CI runs as root and must capture on lo"
        );
        eprintln!("SKIPPED: live capture on lo needs root");
        return;
    }
    let number = interface_number("lo").expect("`wirelab interfaces` lists lo");
    let dir = tempfile::tempdir().expect("temporary directory");
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = sink.local_addr().expect("address").port();
    for (sig, ext) in [(libc::SIGKILL, "pcap"), (libc::SIGHUP, "pcapng")] {
        let file = dir.path().join(format!("killed.{ext}"));
        let mut cmd = wirelab();
        cmd.args([
            "capture",
            "-i",
            &number,
            "-f",
            &format!("udp port {port}"),
            "--format",
            "jsonl",
            "-w",
        ])
        .arg(&file);
        let running = spawn(&mut cmd);
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        // Frames until the file holds some (the writer flushes within 10 ms).
        let mut sent = 0;
        while sent < 400 {
            let _ = tx.send_to(b"frame of the kill test", ("127.0.0.1", port));
            sent += 1;
            std::thread::sleep(Duration::from_millis(5));
            if sent > 100 && std::fs::metadata(&file).is_ok_and(|m| m.len() > 200) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
        let pid = i32::try_from(running.child.id()).expect("pid");
        // SAFETY: a signal to our own child, by its id.
        unsafe { libc::kill(pid, sig) };
        let r = running.wait(Duration::from_secs(30), "capture did not stop");
        assert!(
            r.stderr.contains("link-type EN10MB (Ethernet)"),
            "banner: {}",
            r.describe()
        );
        if sig == libc::SIGHUP {
            assert_eq!(
                r.code,
                Some(0),
                "SIGHUP ends it as SIGTERM does: {}",
                r.describe()
            );
            assert!(
                r.stderr
                    .contains("(loopback: the kernel counts each packet twice")
            );
            assert!(r.stderr.contains("packets written to"), "{}", r.describe());
        }
        let f = file.to_string_lossy().into_owned();
        let read = run_within(wirelab().args(["read", "--format", "jsonl", &f]), LIMIT);
        assert_eq!(
            read.code,
            Some(0),
            "signal {sig}: the file is valid: {}",
            read.describe()
        );
        let frames = frames_of(&parse_jsonl(&read.out(), "saved")).len();
        assert!(
            frames >= 50,
            "signal {sig}: only {frames} frames saved of {sent}"
        );
    }
}
