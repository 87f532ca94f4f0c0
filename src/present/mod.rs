//! Views: each writes to any `impl io::Write`; never touches pcap or etherparse.
