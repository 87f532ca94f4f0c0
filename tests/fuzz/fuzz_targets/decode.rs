//! Fuzz target: decode arbitrary bytes under every link type (the first byte picks it).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wirelab_fuzz::decode(data);
});
