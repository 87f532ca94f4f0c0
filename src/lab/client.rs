//! The uppercase UDP and TCP clients (the seed's UDPClient.py and TCPClient.py in Rust).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

/// How long a client waits for the reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves `host:port` to one address.
pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address")))
}

/// Sends `message` in one datagram from a new socket (a new ephemeral port) and waits for the reply.
/// Returns (local address used, reply).
pub fn udp_exchange(server: SocketAddr, message: &[u8]) -> io::Result<(SocketAddr, Vec<u8>)> {
    let bind: SocketAddr = if server.is_ipv6() {
        "[::]:0".parse()
    } else {
        "0.0.0.0:0".parse()
    }
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{e}")))?;
    let socket = UdpSocket::bind(bind)?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    socket.send(message)?;
    let mut buf = vec![0u8; 65_536];
    let n = socket.recv(&mut buf).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "no reply from {server} within {} s; is the server running?",
                REPLY_TIMEOUT.as_secs()
            ),
        ),
        io::ErrorKind::ConnectionRefused => io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("{server} answered with ICMP port unreachable: no UDP server listens there"),
        ),
        _ => e,
    })?;
    buf.truncate(n);
    Ok((socket.local_addr()?, buf))
}

/// As UDPClient.py does: sends `message` from a new, unconnected socket and takes the
/// first datagram that comes back, from whatever address (recvfrom). Returns (local
/// address used, reply, the address it came from).
pub fn udp_exchange_any(
    server: SocketAddr,
    message: &[u8],
) -> io::Result<(SocketAddr, Vec<u8>, SocketAddr)> {
    let bind: SocketAddr = if server.is_ipv6() {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
    };
    let socket = UdpSocket::bind(bind)?;
    socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    socket.send_to(message, server)?;
    let mut buf = vec![0u8; 65_536];
    let (n, from) = socket.recv_from(&mut buf).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "no reply from {server} within {} s (from any port); is the server running?",
                REPLY_TIMEOUT.as_secs()
            ),
        ),
        _ => e,
    })?;
    buf.truncate(n);
    Ok((socket.local_addr()?, buf, from))
}

/// Connects, sends `message`, reads the reply until the server closes, then closes.
/// Returns (local address used, reply).
pub fn tcp_exchange(server: SocketAddr, message: &[u8]) -> io::Result<(SocketAddr, Vec<u8>)> {
    let mut stream =
        TcpStream::connect_timeout(&server, REPLY_TIMEOUT).map_err(|e| match e.kind() {
            io::ErrorKind::ConnectionRefused => io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("{server} refused the connection: no TCP server listens there"),
            ),
            _ => e,
        })?;
    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let local = stream.local_addr()?;
    stream.write_all(message)?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 65_536];
    // TCPClient.py does one recv(1024); reading until the server's FIN gets the
    // whole reply even when it arrives in several segments.
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if reply.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "no reply from {server} within {} s",
                            REPLY_TIMEOUT.as_secs()
                        ),
                    ));
                }
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset && !reply.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    drop(stream);
    Ok((local, reply))
}
