//! Network namespaces for the lab: a private user and network namespace (capture
//! without root, entered while the process has one thread), and the two lab
//! hosts of `--two-hosts` (two namespaces joined by a veth pair, removed on drop, and by a
//! reaper process should wirelab be killed; a later run removes what a killed run left).

use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Namespaces are Linux's: elsewhere each call says so.
#[cfg(not(target_os = "linux"))]
fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "network namespaces are Linux's: use --server/--serve with a partner host instead",
    )
}

/// Enters a new user namespace (mapping the current user to root) and a new network
/// namespace, then brings its loopback interface up.
#[cfg(not(target_os = "linux"))]
pub fn enter_private_namespace() -> io::Result<()> {
    Err(unsupported())
}

/// Enters a new user namespace (mapping the current user to root) and a new network
/// namespace, then brings its loopback interface up.
#[cfg(target_os = "linux")]
pub fn enter_private_namespace() -> io::Result<()> {
    use nix::sched::{CloneFlags, unshare};
    let (uid, gid) = (nix::unistd::geteuid(), nix::unistd::getegid());
    // The caller checked that the process has one thread: a user namespace needs it.
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET).map_err(io::Error::from)?;
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1"))?;
    loopback_up()
}

/// Sets IFF_UP on `lo` in the current network namespace. (The one hand-written `unsafe`
/// left here: neither nix nor rustix wraps the SIOCGIFFLAGS/SIOCSIFFLAGS ioctls.)
#[cfg(target_os = "linux")]
pub fn loopback_up() -> io::Result<()> {
    // SAFETY: socket/ioctl/close on a zeroed ifreq whose name is a valid C string.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        let mut result = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req);
        if result == 0 {
            req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            result = libc::ioctl(fd, libc::SIOCSIFFLAGS, &req);
        }
        let err = io::Error::last_os_error();
        libc::close(fd);
        if result != 0 {
            return Err(err);
        }
    }
    Ok(())
}

/// Number of threads of this process (from /proc/self/status).
pub fn thread_count() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Threads:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
        })
        .unwrap_or(0)
}

/// Sets IFF_UP on `lo` in the current network namespace.
#[cfg(not(target_os = "linux"))]
pub fn loopback_up() -> io::Result<()> {
    Err(unsupported())
}

/// Moves the calling thread into the network namespace at `path` (e.g. /run/netns/NAME).
#[cfg(not(target_os = "linux"))]
pub fn enter_netns(_path: &std::path::Path) -> io::Result<()> {
    Err(unsupported())
}

/// Moves the calling thread into the network namespace at `path` (e.g. /run/netns/NAME).
#[cfg(target_os = "linux")]
pub fn enter_netns(path: &std::path::Path) -> io::Result<()> {
    let f = File::open(path)?;
    // Affects only the calling thread.
    nix::sched::setns(&f, nix::sched::CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
}

/// Runs `f` on a new thread inside the namespace (or here, for `None`) and returns its result.
pub fn in_netns<T: Send + 'static>(
    ns: Option<PathBuf>,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    match ns {
        None => f(),
        Some(path) => std::thread::spawn(move || {
            enter_netns(&path)?;
            f()
        })
        .join()
        .map_err(|_| io::Error::other("a namespace thread panicked"))?,
    }
}

/// Two lab hosts: network namespaces `client` and `server` joined by a veth pair.
/// Dropping it removes both namespaces (and with them the veth pair).
#[derive(Debug)]
pub struct TwoHosts {
    pub client_ns: String,
    pub server_ns: String,
    pub client_if: String,
    pub server_if: String,
    pub client_ip: IpAddr,
    pub server_ip: IpAddr,
    /// Removes the namespaces when this process ends, however it ends (see [`reaper`]).
    reaper: Option<Child>,
    /// Namespaces of killed earlier runs that were removed first.
    pub removed_stale: Vec<String>,
}

/// Prefix of every namespace wirelab makes: `wirelab-PID-client`, `wirelab-PID-server`.
const PREFIX: &str = "wirelab-";

/// Starts a root process that waits for its standard input (a pipe from this process) to
/// close, then removes the namespaces. The pipe closes when this process ends, even by
/// SIGKILL, so the namespaces never outlive it. The reaper is in its own process group and
/// ignores INT, HUP and TERM: Ctrl-C or a closed terminal cannot end it first. The names
/// are made by [`TwoHosts::create`] (letters, digits and dashes), safe in a shell word.
fn reaper(namespaces: &[&str], link: &str) -> io::Result<Child> {
    let mut script = String::from("trap '' INT HUP TERM; read -r _;");
    for ns in namespaces {
        script.push_str(&format!(" ip netns del {ns} 2>/dev/null;"));
    }
    script.push_str(&format!(" ip link del {link} 2>/dev/null; exit 0"));
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

/// True when `pid` is a running wirelab.
fn wirelab_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "wirelab")
}

/// Removes the namespaces (`wirelab-PID-client|server`) of earlier runs whose process is
/// gone (killed before its clean-up); returns their names.
pub fn remove_stale() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/run/netns") else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| {
                rest.strip_suffix("-client")
                    .or(rest.strip_suffix("-server"))
            })
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !wirelab_alive(pid) && ip(&["netns", "del", &name]).is_ok()
        {
            removed.push(name);
        }
    }
    removed.sort();
    removed
}

fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output().map_err(|e| {
        io::Error::new(e.kind(), format!("cannot run `ip` ({e}); install iproute2"))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

impl TwoHosts {
    /// Creates the namespaces and the veth pair, with addresses 10.0.0.1/24 and
    /// 10.0.0.2/24 (or fd00::1/64 and fd00::2/64 for IPv6). Needs root.
    pub fn create(ipv6: bool) -> io::Result<Self> {
        let removed_stale = remove_stale();
        let id = std::process::id();
        let mut hosts = TwoHosts {
            reaper: None,
            removed_stale,
            client_ns: format!("{PREFIX}{id}-client"),
            server_ns: format!("{PREFIX}{id}-server"),
            client_if: format!("wl{id}c"),
            server_if: format!("wl{id}s"),
            client_ip: if ipv6 {
                "fd00::1".parse().map_err(io::Error::other)?
            } else {
                "10.0.0.1".parse().map_err(io::Error::other)?
            },
            server_ip: if ipv6 {
                "fd00::2".parse().map_err(io::Error::other)?
            } else {
                "10.0.0.2".parse().map_err(io::Error::other)?
            },
        };
        // From here on, Drop cleans up whatever was made.
        let (c, s) = (hosts.client_ns.clone(), hosts.server_ns.clone());
        let (ci, si) = (hosts.client_if.clone(), hosts.server_if.clone());
        hosts.reaper = Some(reaper(&[&c, &s], &ci)?);
        ip(&["netns", "add", &c])?;
        ip(&["netns", "add", &s])?;
        ip(&["link", "add", &ci, "type", "veth", "peer", "name", &si])?;
        ip(&["link", "set", &ci, "netns", &c])?;
        ip(&["link", "set", &si, "netns", &s])?;
        let (prefix, extra): (&str, &[&str]) = if ipv6 {
            ("64", &["nodad"])
        } else {
            ("24", &[])
        };
        let ca = format!("{}/{prefix}", hosts.client_ip);
        let sa = format!("{}/{prefix}", hosts.server_ip);
        let mut add_c = vec!["-n", &c, "addr", "add", &ca, "dev", &ci];
        add_c.extend_from_slice(extra);
        let mut add_s = vec!["-n", &s, "addr", "add", &sa, "dev", &si];
        add_s.extend_from_slice(extra);
        ip(&add_c)?;
        ip(&add_s)?;
        for (ns, dev) in [(&c, &ci), (&s, &si)] {
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
        }
        Ok(hosts)
    }

    /// Path of a namespace made by `ip netns add`.
    pub fn path(name: &str) -> PathBuf {
        PathBuf::from("/run/netns").join(name)
    }
}

impl Drop for TwoHosts {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.client_ns]);
        let _ = ip(&["netns", "del", &self.server_ns]);
        // Only still there if setup failed before moving it into a namespace.
        let _ = Command::new("ip")
            .args(["link", "del", &self.client_if])
            .stderr(std::process::Stdio::null())
            .status();
        // Root may have been dropped since, so the commands above may have failed: the
        // reaper (still root) removes what is left once its pipe closes.
        if let Some(mut child) = self.reaper.take() {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
}
