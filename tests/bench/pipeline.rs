//! The benchmark of issue 5: `cargo bench --bench pipeline`.
//!
//! In one run and on the same generated capture of 2,000,000 frames (made once by
//! `wirelab-gen --frames 2000000 --seed 1` into `$CARGO_TARGET_DIR/wirelab-bench/`,
//! never into the repository), it times the release build of `wirelab read`
//! (timeline, output to /dev/null), `wirelab read --format jsonl`, the conversations
//! view alone, `tshark -r FILE`, `tshark -r FILE -q -z conv,tcp`, `tcpdump -nn -r FILE`
//! and a bare libpcap read loop (this program run again as a child with `--bare-loop`),
//! each as a child process whose peak memory comes from `wait4`'s rusage, in rounds that
//! run the commands in turn (so that a machine whose speed drifts weighs on all of them
//! alike; the ratios to the bare loop pair each run with the bare loop's run just before
//! it, in the same round). Then it checks
//! peak memory on a 200,000-frame file, and prints a Markdown table with the machine,
//! the ratios and the targets of issue 5 (also written to `wirelab-bench/results.md`).
//!
//! Not a test: nothing here fails a build. (The file is `tests/bench/pipeline.rs`, not
//! `main.rs`, so that cargo does not also take it for an integration test.)
//!
//! Environment knobs, for quicker runs while optimizing:
//! - `WIRELAB_BENCH_FRAMES` (default 2000000), `WIRELAB_BENCH_SMALL` (default 200000),
//! - `WIRELAB_BENCH_ONLY=bare,timeline,jsonl,conversations,tshark,tshark-conv,tcpdump,small`
//!   (a comma list of rows to run; default all),
//! - `WIRELAB_BENCH_REPEAT` (default 5): rounds, each running every command once in
//!   turn (tshark and tcpdump in every other round, from the first); medians kept,
//! - `WIRELAB_BENCH_DIR`: where the generated captures and results go.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The wirelab binary (release profile under `cargo bench`).
const WIRELAB: &str = env!("CARGO_BIN_EXE_wirelab");
/// The capture generator.
const GENERATOR: &str = env!("CARGO_BIN_EXE_wirelab-gen");

/// Issue 5's targets.
const TARGET_TIMELINE_VS_TSHARK: f64 = 20.0;
const TARGET_TIMELINE_VS_TCPDUMP: f64 = 5.0;
const TARGET_TIMELINE_VS_BARE: f64 = 3.0;
const TARGET_JSONL_VS_TSHARK: f64 = 10.0;
const TARGET_CONV_VS_BARE: f64 = 2.0;
const TARGET_PEAK_MIB: f64 = 64.0;

/// What one child process cost.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: u64,
    ok: bool,
}

/// One row of the table.
#[derive(Debug, Clone)]
struct Measured {
    key: &'static str,
    label: String,
    cost: Cost,
    runs: usize,
    /// Every run's round and wall time.
    walls: Vec<(usize, Duration)>,
}

/// Runs `program args`, stdout to /dev/null, stderr to `err_log`; waits with wait4 for its rusage.
fn run_child(program: &str, args: &[&str], err_log: &Path) -> io::Result<Cost> {
    let null = File::create("/dev/null")?;
    let err = File::create(err_log)?;
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(null)
        .stderr(err)
        .spawn()?;
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child we just spawned; `status` and `ru` outlive the call.
    let r = loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed();
    if r != pid {
        return Err(io::Error::last_os_error());
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    std::mem::forget(child); // already reaped by wait4
    Ok(Cost {
        wall,
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        max_rss_kib: ru.ru_maxrss as u64,
        ok,
    })
}

/// A command to time.
struct Job {
    key: &'static str,
    label: String,
    program: String,
    args: Vec<String>,
    /// Runs in every `every`-th round only, from the first (the peers take tens of seconds).
    every: usize,
}

/// Runs the commands in `repeat` rounds, each command once per round in turn (a command
/// with `every` > 1 in some rounds only), so that a machine that slows down or speeds up
/// during the benchmark weighs on every command alike; keeps each one's median wall time
/// and highest peak memory.
fn measure_rounds(jobs: &[Job], repeat: usize, dir: &Path) -> Vec<Measured> {
    let mut costs: Vec<Option<Vec<(usize, Cost)>>> =
        jobs.iter().map(|_| Some(Vec::new())).collect();
    let mut failed: Vec<Option<String>> = jobs.iter().map(|_| None).collect();
    for round in 0..repeat.max(1) {
        for (i, job) in jobs.iter().enumerate() {
            if round % job.every.max(1) != 0 {
                continue;
            }
            let Some(list) = costs.get_mut(i).and_then(Option::as_mut) else {
                continue;
            };
            let log = dir.join(format!("{}.stderr", job.key));
            let args: Vec<&str> = job.args.iter().map(String::as_str).collect();
            match run_child(&job.program, &args, &log) {
                Ok(c) => {
                    if !c.ok {
                        let mut text = String::new();
                        let _ = File::open(&log).and_then(|mut f| f.read_to_string(&mut text));
                        eprintln!(
                            "bench: {} failed: {}",
                            job.label,
                            text.lines().last().unwrap_or("")
                        );
                    }
                    list.push((round, c));
                }
                Err(e) => {
                    eprintln!("bench: cannot run {}: {e}", job.program);
                    if let Some(slot) = costs.get_mut(i) {
                        *slot = None;
                    }
                    if let Some(slot) = failed.get_mut(i) {
                        *slot = Some(e.to_string());
                    }
                }
            }
        }
    }
    jobs.iter()
        .zip(costs)
        .zip(failed)
        .map(|((job, list), failure)| match list {
            Some(list) if !list.is_empty() => summarize(job, list),
            _ => not_run(job, failure.as_deref().unwrap_or("nothing measured")),
        })
        .collect()
}

/// A row that could not be measured.
fn not_run(job: &Job, why: &str) -> Measured {
    Measured {
        key: job.key,
        label: format!("{} (not run: {why})", job.label),
        cost: Cost::default(),
        runs: 0,
        walls: Vec::new(),
    }
}

/// One row from its runs (with their rounds): the median wall time, the highest peak memory.
fn summarize(job: &Job, runs: Vec<(usize, Cost)>) -> Measured {
    let walls: Vec<(usize, Duration)> = runs.iter().map(|(r, c)| (*r, c.wall)).collect();
    let mut sorted: Vec<Cost> = runs.iter().map(|(_, c)| *c).collect();
    sorted.sort_by_key(|c| c.wall);
    let peak = sorted.iter().map(|c| c.max_rss_kib).max().unwrap_or(0);
    let mut cost = sorted[sorted.len() / 2];
    cost.max_rss_kib = peak;
    cost.ok = sorted.iter().all(|c| c.ok);
    eprintln!(
        "bench: {}: {:.3} s, {:.1} MiB",
        job.label,
        cost.wall.as_secs_f64(),
        peak as f64 / 1024.0
    );
    Measured {
        key: job.key,
        label: job.label.clone(),
        cost,
        runs: runs.len(),
        walls,
    }
}

/// The floor: libpcap reads every record and we only add up the bytes.
fn bare_loop(path: &str) -> i32 {
    let mut cap = match pcap::Capture::from_file(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bare loop: {path}: {e}");
            return 1;
        }
    };
    let (mut frames, mut bytes) = (0u64, 0u64);
    loop {
        match cap.next_packet() {
            Ok(p) => {
                frames += 1;
                bytes += p.data.len() as u64;
            }
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => {
                eprintln!("bare loop: {path}: {e}");
                return 1;
            }
        }
    }
    println!("{frames} frames, {bytes} bytes");
    0
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Makes (once) the generated capture of `frames` frames.
fn capture_file(dir: &Path, frames: u64) -> io::Result<PathBuf> {
    let path = dir.join(format!("gen-{frames}-seed1.pcap"));
    if !path.exists() {
        eprintln!("bench: generating {}", path.display());
        let tmp = dir.join(format!("gen-{frames}-seed1.pcap.part"));
        let status = Command::new(GENERATOR)
            .args(["--frames", &frames.to_string(), "--seed", "1", "-o"])
            .arg(&tmp)
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!("wirelab-gen failed: {status}")));
        }
        std::fs::rename(&tmp, &path)?;
    }
    // Warm the page cache so that the first command timed does not pay for the disk.
    let mut f = File::open(&path)?;
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(path)
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// First line of `program --version` (tcpdump also names its libpcap).
fn version(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(o) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .take(2)
                .collect::<Vec<_>>()
                .join("; ")
        }
        Err(_) => "not installed".into(),
    }
}

/// nproc, CPU model and memory, from /proc.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_string(), |(_, v)| v.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpus} CPUs ({model}), {:.1} GiB memory, Linux {}",
        mem_kib as f64 / 1024.0 / 1024.0,
        kernel.trim()
    )
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// `12.3×`, or `–` when either side is missing.
fn ratio(x: Option<f64>) -> String {
    match x {
        Some(r) if r.is_finite() => {
            if r >= 100.0 {
                format!("{r:.0}×")
            } else {
                format!("{r:.1}×")
            }
        }
        _ => "–".into(),
    }
}

/// Frames per second with thousands separators.
fn fps_text(fps: f64) -> String {
    let n = fps.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bare-loop") {
        let code = match args.get(i + 1) {
            Some(p) => bare_loop(p),
            None => 2,
        };
        std::process::exit(code);
    }
    if let Err(e) = bench(&args) {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

fn bench(args: &[String]) -> io::Result<()> {
    let frames = env_num("WIRELAB_BENCH_FRAMES", 2_000_000);
    let small = env_num("WIRELAB_BENCH_SMALL", 200_000);
    let repeat = env_num("WIRELAB_BENCH_REPEAT", 5) as usize;
    let only: Option<Vec<String>> = std::env::var("WIRELAB_BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let wanted = |k: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == k));
    let dir = match std::env::var_os("WIRELAB_BENCH_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(WIRELAB)
            .parent()
            .and_then(Path::parent)
            .map_or_else(
                || PathBuf::from("/tmp/wirelab-bench"),
                |t| t.join("wirelab-bench"),
            ),
    };
    std::fs::create_dir_all(&dir)?;
    let self_exe = std::env::current_exe()
        .map(|p| p.to_string_lossy().to_string())
        .or_else(|_| {
            args.first()
                .cloned()
                .ok_or(io::Error::other("no program name"))
        })?;
    let big = capture_file(&dir, frames)?;
    let big_s = big.to_string_lossy().to_string();
    let size = std::fs::metadata(&big)?.len();

    // The conversations view, or the closest thing while it is not there yet.
    let help = Command::new(WIRELAB).args(["read", "--help"]).output()?;
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    let conv_args: Vec<String> = if help.contains("conversations") {
        vec![
            "read".into(),
            "--color".into(),
            "never".into(),
            "--view".into(),
            "conversations".into(),
            big_s.clone(),
        ]
    } else {
        // Decode and track every frame, show none: what the conversations view must do, minus its table.
        vec![
            "read".into(),
            "--color".into(),
            "never".into(),
            "--stream".into(),
            "tcp:18446744073709551615".into(),
            big_s.clone(),
        ]
    };
    let conv_label = if help.contains("conversations") {
        "`wirelab read --view conversations`".to_string()
    } else {
        "`wirelab read --stream tcp:<none>` (decode + track only; no `--view conversations` yet)"
            .to_string()
    };

    let w = |extra: &[&str], file: &str| -> Vec<String> {
        let mut v: Vec<String> = vec!["read".into(), "--color".into(), "never".into()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push(file.to_string());
        v
    };
    let job = |key: &'static str, label: &str, program: &str, args: Vec<String>| Job {
        key,
        label: label.to_string(),
        program: program.to_string(),
        args,
        every: 1,
    };
    let peer = |key: &'static str, label: &str, program: &str, args: Vec<String>| Job {
        every: 2,
        ..job(key, label, program, args)
    };
    // Every row timed in rounds (see `measure_rounds`): the bare loop and wirelab's rows
    // in every round, the peers in every other one.
    let mut jobs = Vec::new();
    if wanted("bare") {
        jobs.push(job(
            "bare",
            "bare libpcap loop (floor)",
            &self_exe,
            vec!["--bare-loop".into(), big_s.clone()],
        ));
    }
    if wanted("timeline") {
        jobs.push(job(
            "timeline",
            "`wirelab read` (timeline)",
            WIRELAB,
            w(&[], &big_s),
        ));
    }
    if wanted("jsonl") {
        jobs.push(job(
            "jsonl",
            "`wirelab read --format jsonl`",
            WIRELAB,
            w(&["--format", "jsonl"], &big_s),
        ));
    }
    if wanted("conversations") {
        jobs.push(job(
            "conversations",
            &conv_label,
            WIRELAB,
            conv_args.clone(),
        ));
    }
    if wanted("tcpdump") && have("tcpdump") {
        jobs.push(peer(
            "tcpdump",
            "`tcpdump -nn -r`",
            "tcpdump",
            vec!["-nn".into(), "-r".into(), big_s.clone()],
        ));
    }
    if wanted("tshark") && have("tshark") {
        jobs.push(peer(
            "tshark",
            "`tshark -r`",
            "tshark",
            vec!["-r".into(), big_s.clone()],
        ));
    }
    if wanted("tshark-conv") && have("tshark") {
        let args = vec![
            "-r".into(),
            big_s.clone(),
            "-q".into(),
            "-z".into(),
            "conv,tcp".into(),
        ];
        jobs.push(peer(
            "tshark-conv",
            "`tshark -r -q -z conv,tcp`",
            "tshark",
            args,
        ));
    }
    // One untimed pass first, so that no round pays for reading the file from disk.
    if !jobs.is_empty() {
        let _ = run_child(
            &self_exe,
            &["--bare-loop", &big_s],
            &dir.join("warm-up.stderr"),
        );
    }
    let rows = measure_rounds(&jobs, repeat, &dir);
    let mut small_rows: Vec<Measured> = Vec::new();
    if wanted("small") && small > 0 {
        let sf = capture_file(&dir, small)?;
        let sf_s = sf.to_string_lossy().to_string();
        let mut conv_small = conv_args.clone();
        if let Some(last) = conv_small.last_mut() {
            *last = sf_s.clone();
        }
        let jobs = [
            job(
                "timeline",
                "`wirelab read` (timeline)",
                WIRELAB,
                w(&[], &sf_s),
            ),
            job(
                "jsonl",
                "`wirelab read --format jsonl`",
                WIRELAB,
                w(&["--format", "jsonl"], &sf_s),
            ),
            job("conversations", &conv_label, WIRELAB, conv_small),
        ];
        small_rows = measure_rounds(&jobs, 1, &dir);
    }
    let report = render(&Report {
        machine: machine(),
        tools: vec![
            (
                "tshark",
                version("tshark", &["--version"])
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            ),
            ("tcpdump", version("tcpdump", &["--version"])),
        ],
        frames,
        small,
        size,
        rows,
        small_rows,
        repeat,
    });
    print!("{report}");
    io::stdout().flush()?;
    std::fs::write(dir.join("results.md"), &report)?;
    eprintln!(
        "bench: table written to {}",
        dir.join("results.md").display()
    );
    Ok(())
}

/// Everything the Markdown report shows.
struct Report {
    machine: String,
    tools: Vec<(&'static str, String)>,
    frames: u64,
    small: u64,
    size: u64,
    rows: Vec<Measured>,
    small_rows: Vec<Measured>,
    repeat: usize,
}

/// `a`'s wall time over `b`'s: the median of the ratios of their runs in the same round
/// (over the rounds both ran in), or the ratio of their medians when they shared none.
/// For the bare loop, whose run comes right before wirelab's in each round.
fn paired(a: &Measured, b: &Measured) -> f64 {
    let mut ratios: Vec<f64> = a
        .walls
        .iter()
        .filter_map(|(round, wa)| {
            let (_, wb) = b.walls.iter().find(|(r, _)| r == round)?;
            Some(wa.as_secs_f64() / wb.as_secs_f64())
        })
        .collect();
    if ratios.is_empty() {
        return a.cost.wall.as_secs_f64() / b.cost.wall.as_secs_f64();
    }
    ratios.sort_by(f64::total_cmp);
    // The lower median of an even count: the middle of the sorted ratios.
    ratios[(ratios.len() - 1) / 2]
}

fn render(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let find = |k: &str| {
        r.rows
            .iter()
            .find(|m| m.key == k && m.runs > 0 && m.cost.ok)
    };
    let fps = |m: &Measured| r.frames as f64 / m.cost.wall.as_secs_f64();
    let bare = find("bare");
    let tshark = find("tshark");
    let tshark_conv = find("tshark-conv");
    let tcpdump = find("tcpdump");
    let _ = writeln!(
        s,
        "### Benchmark: {} frames ({:.2} GB), generated by `wirelab-gen --frames {} --seed 1`",
        fps_text(r.frames as f64),
        r.size as f64 / 1e9,
        r.frames
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "Machine: {}.", r.machine);
    for (name, v) in &r.tools {
        let _ = writeln!(s, "{name}: {v}.");
    }
    let _ = writeln!(
        s,
        "wirelab: release build, `--color never`, stdout to /dev/null. {} rounds, each running every command once in turn (tshark and tcpdump in every other round: {} runs each), after one untimed pass that puts the file in the page cache; each row shows its median run.",
        r.repeat,
        r.repeat.div_ceil(2)
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| Command | Wall time | CPU time | Frames/s | Peak memory | × tshark | × tcpdump | time ÷ bare loop |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for m in &r.rows {
        if m.runs == 0 {
            let _ = writeln!(s, "| {} | – | – | – | – | – | – | – |", m.label);
            continue;
        }
        let f = fps(m);
        // Conversation rows compare with tshark's conversation statistics, the others with its packet list.
        let ts = if m.key == "conversations" || m.key == "tshark-conv" {
            tshark_conv
        } else {
            tshark
        };
        // Frames per second over theirs, from the medians: a peer's run lasts tens of
        // seconds, far from the wirelab run of its round.
        let vs_tshark = ts.map(|t| f / fps(t));
        let vs_tcpdump = tcpdump.map(|t| f / fps(t));
        let vs_bare = bare.map(|b| paired(m, b));
        let _ = writeln!(
            s,
            "| {}{} | {:.2} s | {:.2} s | {} | {:.1} MiB | {} | {} | {} |",
            m.label,
            if m.cost.ok { "" } else { " (failed)" },
            m.cost.wall.as_secs_f64(),
            m.cost.cpu.as_secs_f64(),
            fps_text(f),
            mib(m.cost.max_rss_kib),
            ratio(vs_tshark),
            ratio(vs_tcpdump),
            ratio(vs_bare)
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "× tshark and × tcpdump: median frames per second over theirs (the conversations rows over `tshark -z conv,tcp`). Time ÷ bare loop: each run's wall time over the bare libpcap loop's run just before it in the same round, median over the rounds."
    );
    if !r.small_rows.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Peak memory against the number of frames (issue 5: it must not grow with them):"
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "| Command | Peak memory, {} frames | Peak memory, {} frames |",
            fps_text(r.small as f64),
            fps_text(r.frames as f64)
        );
        let _ = writeln!(s, "|---|---:|---:|");
        for m in &r.small_rows {
            let big = r
                .rows
                .iter()
                .find(|b| b.key == m.key)
                .map_or("–".to_string(), |b| {
                    format!("{:.1} MiB", mib(b.cost.max_rss_kib))
                });
            let _ = writeln!(
                s,
                "| {} | {:.1} MiB | {big} |",
                m.label,
                mib(m.cost.max_rss_kib)
            );
        }
    }
    // The targets of issue 5.
    let _ = writeln!(s);
    let _ = writeln!(s, "| Target (issue 5) | Measured | |");
    let _ = writeln!(s, "|---|---:|---|");
    let mut target = |name: String, value: Option<f64>, good: &dyn Fn(f64) -> bool, unit: &str| {
        let (shown, ok) = match value {
            Some(v) => (format!("{v:.1}{unit}"), good(v)),
            None => ("–".to_string(), false),
        };
        let _ = writeln!(
            s,
            "| {name} | {shown} | {} |",
            if value.is_some() {
                verdict(ok)
            } else {
                "not measured"
            }
        );
    };
    let timeline = find("timeline");
    let jsonl = find("jsonl");
    let conv = find("conversations");
    let fr = |a: Option<&Measured>, b: Option<&Measured>| match (a, b) {
        (Some(a), Some(b)) => Some(fps(a) / fps(b)),
        _ => None,
    };
    let tr = |a: Option<&Measured>, b: Option<&Measured>| match (a, b) {
        (Some(a), Some(b)) => Some(paired(a, b)),
        _ => None,
    };
    target(
        format!("timeline ≥ {TARGET_TIMELINE_VS_TSHARK}× tshark's frames/s"),
        fr(timeline, tshark),
        &|v| v >= TARGET_TIMELINE_VS_TSHARK,
        "×",
    );
    target(
        format!("timeline ≥ {TARGET_TIMELINE_VS_TCPDUMP}× `tcpdump -nn -r`'s frames/s"),
        fr(timeline, tcpdump),
        &|v| v >= TARGET_TIMELINE_VS_TCPDUMP,
        "×",
    );
    target(
        format!("timeline within {TARGET_TIMELINE_VS_BARE}× the bare loop's time"),
        tr(timeline, bare),
        &|v| v <= TARGET_TIMELINE_VS_BARE,
        "×",
    );
    target(
        format!("JSON Lines ≥ {TARGET_JSONL_VS_TSHARK}× tshark's frames/s"),
        fr(jsonl, tshark),
        &|v| v >= TARGET_JSONL_VS_TSHARK,
        "×",
    );
    target(
        format!("conversations view within {TARGET_CONV_VS_BARE}× the bare loop's time"),
        tr(conv, bare),
        &|v| v <= TARGET_CONV_VS_BARE,
        "×",
    );
    let peak = |rows: &[Measured]| {
        rows.iter()
            .filter(|m| matches!(m.key, "timeline" | "jsonl" | "conversations") && m.runs > 0)
            .map(|m| mib(m.cost.max_rss_kib))
            .reduce(f64::max)
    };
    // the big file's peak always; the small file's when it was measured
    let mut peaks = vec![(r.frames, &r.rows)];
    if !r.small_rows.is_empty() {
        peaks.push((r.small, &r.small_rows));
    }
    for (frames, rows) in peaks {
        target(
            format!(
                "peak memory < {TARGET_PEAK_MIB} MiB, {} frames",
                fps_text(frames as f64)
            ),
            peak(rows),
            &|v| v < TARGET_PEAK_MIB,
            " MiB",
        );
    }
    s
}
