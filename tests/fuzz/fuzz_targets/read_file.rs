//! Fuzz target: read arbitrary bytes as a capture file through the whole pipeline.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wirelab_fuzz::read_file(data);
});
