//! The uppercase servers over IPv6 (`--bind ::`), answered by our client on ::1.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{run, wirelab};

/// A free port on ::1 for `proto` ("udp" or "tcp").
fn free_port(proto: &str) -> u16 {
    match proto {
        "udp" => std::net::UdpSocket::bind("[::1]:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
        _ => std::net::TcpListener::bind("[::1]:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
    }
}

#[test]
fn servers_answer_over_ipv6() {
    for proto in ["udp", "tcp"] {
        let port = free_port(proto);
        let mut server = Command::new(env!("CARGO_BIN_EXE_wirelab"))
            .args(["server", proto, "--bind", "::", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Retry until the server listens (at most 10 s), then check the reply.
        let start = Instant::now();
        let reply = loop {
            let r = run(wirelab().args([
                "client",
                proto,
                "--server",
                "::1",
                "--port",
                &port.to_string(),
                "straße über ipv6",
            ]));
            if r.code == Some(0) || start.elapsed() > Duration::from_secs(10) {
                break r;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(reply.code, Some(0), "{proto}: {}", reply.describe());
        let want = if proto == "tcp" {
            "From Server:  STRASSE ÜBER IPV6"
        } else {
            "STRASSE ÜBER IPV6"
        };
        assert_eq!(reply.out().trim(), want, "{proto}");
    }
}
