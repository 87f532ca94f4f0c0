//! Fuzz target: arbitrary bytes as the payload of a DNS, mDNS, LLMNR, NBNS or DHCP
//! datagram (or a DNS TCP segment); the first byte picks which.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wirelab_fuzz::app(data);
});
