//! Archives built from the input, damaged at random, mounted as images: see `lucent_fuzz::image`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lucent_fuzz::image::run(data);
});
