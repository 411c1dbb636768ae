//! Random path operations against a temporary tree: see `lucent_fuzz::paths`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lucent_fuzz::paths::run(data);
});
