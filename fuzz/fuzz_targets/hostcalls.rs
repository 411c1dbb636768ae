//! Random hostcall sequences of both ABIs: see `lucent_fuzz::hostcalls`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lucent_fuzz::hostcalls::run(data);
});
