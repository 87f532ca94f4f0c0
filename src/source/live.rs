//! Live capture from an interface with libpcap: immediate mode, a BPF filter,
//! permission advice that names the exact fix, and dropping root after opening
//! when started with sudo (as tcpdump does).

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use pcap::{Active, Capture, Device, Precision};

use super::{Comments, Frame, LinkType, Timestamp};
use crate::error::FilterError;

/// Snap length for live captures: whole frames.
pub const SNAPLEN: i32 = 262_144;

/// Errors opening or reading a live capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// No capture rights.
    #[error(
        "{iface}: no permission to capture ({reason}); run `sudo setcap cap_net_raw,cap_net_admin=eip {}` once, or run wirelab with sudo",
        crate::text::show_path(exe)
    )]
    Permission {
        iface: String,
        reason: String,
        exe: PathBuf,
    },
    /// The interface does not exist.
    #[error(
        "{iface}: no such interface; pick one of {available} with -i NAME, or -i N as `wirelab interfaces` numbers them"
    )]
    NoSuchInterface { iface: String, available: String },
    /// The filter does not compile.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// Anything else libpcap says.
    #[error("{iface}: {reason}")]
    Pcap { iface: String, reason: String },
}

/// The kernel's counters at the end of a capture.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub received: u32,
    pub dropped: u32,
    pub if_dropped: u32,
}

/// An open live capture.
pub struct LiveSource {
    cap: Capture<Active>,
    iface: String,
    linktype: LinkType,
    loopback: bool,
    count: u64,
    /// The last read returned a frame: more may be buffered, read before polling again.
    pending: bool,
}

/// What [`LiveSource::next_frame`] saw.
pub enum Next<'a> {
    Frame(Frame<'a>),
    /// Nothing arrived within the poll interval.
    Idle,
}

fn interface_names() -> String {
    match Device::list() {
        Ok(list) => list
            .into_iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => format!("(cannot list interfaces: {e})"),
    }
}

/// True when `iface` names an interface libpcap lists (or the kernel has).
fn interface_exists(iface: &str) -> bool {
    iface == "any"
        || Device::list().is_ok_and(|l| l.iter().any(|d| d.name == iface))
        || (!iface.contains('/') && Path::new("/sys/class/net").join(iface).exists())
}

/// The interface `-i` names: a name, or a number as [`list_interfaces`] numbers them
/// (as tcpdump takes `-i 2`), unless an interface is called by that number.
pub fn resolve_interface(arg: &str) -> Result<String, CaptureError> {
    let Ok(n) = arg.parse::<usize>() else {
        return Ok(arg.to_string());
    };
    if interface_exists(arg) {
        return Ok(arg.to_string());
    }
    let devices = Device::list().map_err(|e| classify("(list)", e))?;
    match n.checked_sub(1).and_then(|i| devices.get(i)) {
        Some(d) => Ok(d.name.clone()),
        None => Err(CaptureError::NoSuchInterface {
            iface: format!("interface number {n}"),
            available: format!("1 to {} ({})", devices.len(), interface_names()),
        }),
    }
}

fn classify(iface: &str, e: pcap::Error) -> CaptureError {
    let reason = e
        .to_string()
        .trim_start_matches("libpcap error: ")
        .to_string();
    let lower = reason.to_lowercase();
    // Without capture rights libpcap fails before it looks the interface up.
    if !iface.starts_with('(') && !interface_exists(iface) {
        CaptureError::NoSuchInterface {
            iface: iface.to_string(),
            available: interface_names(),
        }
    } else if lower.contains("permi") || lower.contains("not permitted") {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("wirelab"));
        CaptureError::Permission {
            iface: iface.to_string(),
            reason,
            exe,
        }
    } else if lower.contains("no such device")
        || lower.contains("doesn't exist")
        || lower.contains("not found")
    {
        CaptureError::NoSuchInterface {
            iface: iface.to_string(),
            available: interface_names(),
        }
    } else {
        CaptureError::Pcap {
            iface: iface.to_string(),
            reason,
        }
    }
}

/// The interface tcpdump would pick when none is given.
pub fn default_interface() -> Result<String, CaptureError> {
    match Device::lookup() {
        Ok(Some(d)) => Ok(d.name),
        Ok(None) => Err(CaptureError::Pcap {
            iface: "(default)".into(),
            reason: "no interface to capture on".into(),
        }),
        Err(e) => Err(classify("(default)", e)),
    }
}

impl LiveSource {
    /// Opens `iface` in immediate mode, with `filter` applied in the kernel.
    pub fn open(iface: &str, filter: Option<&str>) -> Result<Self, CaptureError> {
        Self::open_with(iface, filter, true)
    }

    /// Opens `iface`; `immediate` delivers each frame at once (for a person watching, and for
    /// the lab, which must see the teardown), otherwise the kernel hands frames over in blocks
    /// at most 100 ms old, which keeps up with floods.
    pub fn open_with(
        iface: &str,
        filter: Option<&str>,
        immediate: bool,
    ) -> Result<Self, CaptureError> {
        let inactive = Capture::from_device(iface).map_err(|e| classify(iface, e))?;
        let mut cap = inactive
            .immediate_mode(immediate)
            .snaplen(SNAPLEN)
            .buffer_size(32 << 20)
            .timeout(100)
            .precision(Precision::Nano)
            .open()
            .map_err(|e| classify(iface, e))?;
        if let Some(expr) = filter {
            cap.filter(expr, true).map_err(|e| {
                FilterError::new(
                    expr,
                    e.to_string()
                        .trim_start_matches("libpcap error: ")
                        .to_string(),
                )
            })?;
        }
        let linktype = LinkType::from_dlt(cap.get_datalink().0);
        let loopback = Device::list()
            .is_ok_and(|l| l.iter().any(|d| d.name == iface && d.flags.is_loopback()));
        // Non-blocking, and we poll the descriptor ourselves: on Linux a blocking
        // pcap_next_ex does not return when its timeout expires without traffic.
        let cap = cap.setnonblock().map_err(|e| classify(iface, e))?;
        Ok(LiveSource {
            cap,
            iface: iface.to_string(),
            linktype,
            loopback,
            count: 0,
            pending: false,
        })
    }

    /// The interface's link type.
    pub fn linktype(&self) -> LinkType {
        self.linktype
    }

    /// True for a loopback interface (whose kernel counters count each packet twice).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The interface name.
    pub fn interface(&self) -> &str {
        &self.iface
    }

    /// Waits up to the poll interval (100 ms) for the next frame.
    pub fn next_frame(&mut self) -> Result<Next<'_>, CaptureError> {
        if !self.pending {
            use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
            let mut fds = [PollFd::new(self.cap.as_fd(), PollFlags::POLLIN)];
            let ready = poll(&mut fds, PollTimeout::from(100u16)).unwrap_or(0);
            if ready <= 0 {
                return Ok(Next::Idle);
            }
        }
        match self.cap.next_packet() {
            Ok(p) => {
                self.pending = true;
                self.count += 1;
                Ok(Next::Frame(Frame {
                    number: self.count,
                    ts: Timestamp {
                        secs: p.header.ts.tv_sec,
                        nanos: u32::try_from(p.header.ts.tv_usec).unwrap_or(0),
                    },
                    linktype: self.linktype,
                    orig_len: p.header.len,
                    data: p.data,
                    comments: Comments::NONE,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => {
                self.pending = false;
                Ok(Next::Idle)
            }
            Err(e) => Err(classify(&self.iface, e)),
        }
    }

    /// The kernel's counters so far.
    pub fn stats(&mut self) -> Stats {
        match self.cap.stats() {
            Ok(s) => Stats {
                received: s.received,
                dropped: s.dropped,
                if_dropped: s.if_dropped,
            },
            Err(_) => Stats::default(),
        }
    }
}

/// Lists interfaces as `tshark -D` does: `N. name (description)` plus addresses and flags.
pub fn list_interfaces() -> Result<Vec<String>, CaptureError> {
    let devices = Device::list().map_err(|e| classify("(list)", e))?;
    let mut lines = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let mut line = format!("{}. {}", i + 1, d.name);
        if let Some(desc) = &d.desc {
            line.push_str(&format!(" ({desc})"));
        }
        let mut flags = Vec::new();
        if d.flags.is_loopback() {
            flags.push("loopback");
        }
        if d.flags.is_up() {
            flags.push("up");
        }
        if d.flags.is_running() {
            flags.push("running");
        }
        if d.flags.is_wireless() {
            flags.push("wireless");
        }
        if !flags.is_empty() {
            line.push_str(&format!(" [{}]", flags.join(", ")));
        }
        let addrs: Vec<String> = d.addresses.iter().map(|a| a.addr.to_string()).collect();
        if !addrs.is_empty() {
            line.push_str(&format!(" {}", addrs.join(" ")));
        }
        lines.push(line);
    }
    Ok(lines)
}
