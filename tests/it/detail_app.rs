//! The detail view's application fields (issue 14): HTTP request and status lines and each
//! header line, TLS records (content type, version, length), handshake messages, a Client
//! Hello's SNI and ALPN, a Server Hello's chosen version, DNS questions and answers, DHCP
//! options. Golden files of chosen frames in `tests/golden-detail/`
//! (`NAME.frameN.detail.txt`, `WIRELAB_BLESS=1` rewrites them), and for each frame the
//! lines it must hold, so that a blessed regression still fails.

use super::util::{GoldenDir, assert_no_failures, fixture, golden_run};

/// Where the golden files of this module live.
const GOLDEN: GoldenDir = GoldenDir("tests/golden-detail");

/// (fixture, frame, what the detail must show: each a line's words, in order within it)
const CASES: &[(&str, u64, &[&[&str]])] = &[
    (
        "web_http.pcap",
        4,
        &[
            &["Hypertext Transfer Protocol, GET /index.html HTTP/1.1"],
            &["Request line", "GET /index.html HTTP/1.1"],
            &["Request Method", "GET"],
            &["Request URI", "/index.html"],
            &["Host", "127.0.0.1"],
            &["User-Agent", "curl/7.88.1"],
            &["End of the head", "\\r\\n"],
        ],
    ),
    (
        "web_http.pcap",
        6,
        &[
            &["Status line", "HTTP/1.0 200 OK"],
            &["Status Code", "200", "2xx: success"],
            &["Content-Length", "6053"],
            &["Content-type", "text/html"],
        ],
    ),
    (
        "web_http.pcap",
        10,
        &[
            &["Hypertext Transfer Protocol, Continuation"],
            &[
                "[Continuation]",
                "the rest of one an earlier segment started",
            ],
        ],
    ),
    (
        "web_tls.pcap",
        4,
        &[
            &["Transport Layer Security, Client Hello"],
            &["Content Type", "Handshake (22)"],
            &["Version", "TLS 1.0 (0x0301)"],
            &["Length", "316 bytes"],
            &["Handshake Type", "Client Hello (1)"],
            &["Extension: server_name"],
            &["Server Name", "www.example.com"],
            &["Extension: supported_versions"],
        ],
    ),
    (
        "web_tls.pcap",
        6,
        &[
            &["Transport Layer Security, Server Hello, Change Cipher Spec, Application Data"],
            &["Handshake Type", "Server Hello (2)"],
            &["Cipher Suite", "0x1302"],
            &["Supported Version", "TLS 1.3 (0x0304)"],
            &["Content Type", "Change Cipher Spec (20)"],
            &["Encrypted Application Data", "23 bytes"],
        ],
    ),
    (
        "pcap-parser__err-buffertoosmall.pcapng",
        4,
        &[
            &["Server Name", "example.com"],
            &["ALPN Protocol", "http/1.1", "HTTP/1.1"],
        ],
    ),
    (
        "pcap-parser__err-buffertoosmall.pcapng",
        8,
        &[
            // the record cut by the segment is not named in the summary, as in the Info column
            &["Transport Layer Security, Server Hello, Application Data  [offset"],
            &[
                "TLS Record Layer",
                "1249 of its 3128 bytes are in this segment",
            ],
            &["Length", "3123 bytes"],
        ],
    ),
    (
        "pcap-parser__err-buffertoosmall.pcapng",
        9,
        &[&["Transport Layer Security, Continuation"]],
    ),
    (
        "names_dns.pcap",
        8,
        &[
            &["Reply code", "3 (No such name)"],
            &["Queries"],
            &["missing.nx.test: type A, class IN"],
        ],
    ),
    (
        "names_dns.pcap",
        18,
        &[
            &["Answers"],
            &["host.lab.test: type A, class IN", "addr 10.0.0.2"],
        ],
    ),
    (
        "names_dhcp.pcap",
        4,
        &[
            &["Dynamic Host Configuration Protocol (ACK)"],
            &["Option: (53) DHCP Message Type", "5 (ACK)"],
            &["Your (client) IP address", "192.168.77.14"],
        ],
    ),
];

/// True when one line of `out` holds every word of `words`, in order.
fn has_line(out: &str, words: &[&str]) -> bool {
    out.lines().any(|line| {
        let mut rest = line;
        words.iter().all(|w| match rest.find(w) {
            Some(i) => {
                rest = &rest[i + w.len()..];
                true
            }
            None => false,
        })
    })
}

#[test]
fn detail_app_fields_http_tls_dns_dhcp_golden() {
    let mut failures = Vec::new();
    for (name, frame, lines) in CASES {
        let fx = fixture(name);
        let n = frame.to_string();
        let args = [
            "read", "--color", "never", "--view", "detail", "--frame", &n,
        ];
        let (what, r, out) = golden_run(&args, &fx.rel);
        let out = match out {
            Ok(out) if r.code == Some(0) => out,
            Ok(_) => {
                failures.push(format!("{what}: exit {:?}: {}", r.code, r.stderr));
                continue;
            }
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        for words in *lines {
            if !has_line(&out, words) {
                failures.push(format!("{what}: no line with {words:?}"));
            }
        }
        failures.extend(GOLDEN.check(&format!("{name}.frame{frame}.detail.txt"), &out));
    }
    assert_no_failures(&failures, "detail failure(s)", usize::MAX);
}
