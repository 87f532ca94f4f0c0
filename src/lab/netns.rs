//! Network namespaces for the lab: a private user and network namespace (capture
//! without root, entered while the process has one thread), and the two lab
//! hosts of `--two-hosts` (two namespaces joined by a veth pair, removed on drop).

use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;
use std::process::Command;

/// Enters a new user namespace (mapping the current user to root) and a new network
/// namespace, then brings its loopback interface up.
pub fn enter_private_namespace() -> io::Result<()> {
    // SAFETY: plain system calls; the process is single-threaded at this point (checked by the caller).
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    // SAFETY: unshare has no memory-safety preconditions.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1"))?;
    loopback_up()
}

/// Sets IFF_UP on `lo` in the current network namespace.
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

/// Moves the calling thread into the network namespace at `path` (e.g. /run/netns/NAME).
pub fn enter_netns(path: &std::path::Path) -> io::Result<()> {
    let f = File::open(path)?;
    // SAFETY: setns on a valid namespace file descriptor; affects only the calling thread.
    if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
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
        let id = std::process::id();
        let hosts = TwoHosts {
            client_ns: format!("wirelab-{id}-client"),
            server_ns: format!("wirelab-{id}-server"),
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
    }
}
