//! A guest's standard output read as a CGI response (`lucent_wagi::parse_response`),
//! the part of the per-request server that parses what a guest wrote: any bytes are parsed
//! or refused, never a panic, and what is accepted keeps its body whole.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(response) = lucent_wagi::parse_response(data) {
        assert!(data.ends_with(&response.body));
        assert!((100..=599).contains(&response.status));
    }
});
