//! The uppercase UDP and TCP servers (the seed's UDPServer.py and TCPServer.py in
//! Rust): they keep serving whatever a client does. TCP connections are served
//! concurrently, each with a read timeout, so an idle client blocks no one.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::io::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::upper::uppercase;
use super::{python_bytes_repr, show_text};

/// The largest UDP payload over IPv4 (65,535 − 20 − 8).
pub const MAX_UDP_PAYLOAD: usize = 65_507;
/// How long a TCP connection may stay silent before the server gives up on it.
pub const TCP_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A first read at least this long may be part of a longer message.
const LONG_MESSAGE: usize = 16 * 1024;
/// How long the rest of a long message may keep the server waiting between pieces.
const QUIET: Duration = Duration::from_millis(50);
/// The longest message gathered (1 MiB).
const MAX_MESSAGE: usize = 1 << 20;
/// At most this many TCP connections are served at once; more wait in the backlog.
pub const MAX_TCP_CONNECTIONS: usize = 512;

/// Serves UDP on `socket` until `stop` is set. Logs one line per datagram to `log`.
pub fn serve_udp(
    socket: &UdpSocket,
    stop: &AtomicBool,
    log: &mut (dyn Write + Send),
) -> io::Result<()> {
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            // A previous reply bounced (ICMP port unreachable) or similar: log and go on.
            Err(e) => {
                let _ = writeln!(log, "receive error: {e} (still serving)");
                continue;
            }
        };
        let request = buf.get(..n).unwrap_or_default();
        let reply = uppercase(request);
        let _ = writeln!(
            log,
            "Received message:  {} from {}",
            python_bytes_repr(request),
            peer
        );
        match socket.send_to(&reply, peer) {
            Ok(_) => {
                let _ = writeln!(log, "Modified message:  {} to {}", show_text(&reply), peer);
            }
            Err(e) => {
                let _ = writeln!(log, "could not reply to {peer}: {e} (still serving)");
            }
        }
        let _ = log.flush();
    }
    Ok(())
}

/// Serves TCP on `listener` until `stop` is set: one thread per connection (at most
/// [`MAX_TCP_CONNECTIONS`] at once), each reading one message, replying, and closing.
pub fn serve_tcp(
    listener: &TcpListener,
    stop: &AtomicBool,
    log: Arc<std::sync::Mutex<Box<dyn Write + Send>>>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        if active.load(Ordering::Relaxed) >= MAX_TCP_CONNECTIONS {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        match listener.accept() {
            Ok((stream, peer)) => {
                active.fetch_add(1, Ordering::Relaxed);
                let conn_active = Arc::clone(&active);
                let conn_log = Arc::clone(&log);
                let spawned = std::thread::Builder::new()
                    .name(format!("tcp {peer}"))
                    .spawn(move || {
                        let line = serve_connection(stream, peer);
                        if let Ok(mut l) = conn_log.lock() {
                            let _ = l.write_all(line.as_bytes());
                            let _ = l.flush();
                        }
                        conn_active.fetch_sub(1, Ordering::Relaxed);
                    });
                if spawned.is_err() {
                    active.fetch_sub(1, Ordering::Relaxed);
                    // Out of threads: the connection is dropped (closed); keep serving.
                    if let Ok(mut l) = log.lock() {
                        let _ = writeln!(l, "could not start a thread for {peer} (still serving)");
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait_readable(listener.as_raw_fd(), 100)
            }
            Err(e) => {
                if let Ok(mut l) = log.lock() {
                    let _ = writeln!(l, "accept error: {e} (still serving)");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    Ok(())
}

/// Waits until `fd` is readable (a connection to accept) or `ms` milliseconds pass.
fn wait_readable(fd: std::os::unix::io::RawFd, ms: i32) {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

/// One connection: read one message (one `recv`, as TCPServer.py), send its uppercase, close.
/// Returns the log lines.
fn serve_connection(mut stream: TcpStream, peer: SocketAddr) -> String {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(TCP_READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(TCP_READ_TIMEOUT));
    let mut buf = vec![0u8; 65_536];
    let n = match stream.read(&mut buf) {
        Ok(n) => n,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            return format!(
                "{peer}: sent nothing for {} s, closing\n",
                TCP_READ_TIMEOUT.as_secs()
            );
        }
        Err(e) => return format!("{peer}: {e} (still serving)\n"),
    };
    let mut request = buf.get(..n).unwrap_or_default().to_vec();
    // TCPServer.py answers after one recv(). A long message can arrive in several pieces,
    // though (above all on a busy machine): after a big first piece, gather what follows
    // within a short quiet time, so that the reply is the uppercase of the whole message.
    if n >= LONG_MESSAGE {
        let _ = stream.set_read_timeout(Some(QUIET));
        while request.len() < MAX_MESSAGE {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => request.extend_from_slice(buf.get(..k).unwrap_or_default()),
            }
        }
    }
    let request = request.as_slice();
    let reply = uppercase(request);
    let mut out = format!("Received message:  {} from {peer}\n", show_text(request));
    match stream.write_all(&reply) {
        Ok(()) => out.push_str(&format!("Sent message:  {} to {peer}\n", show_text(&reply))),
        Err(e) => out.push_str(&format!("{peer}: could not reply: {e} (still serving)\n")),
    }
    out
}
