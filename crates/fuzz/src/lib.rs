//! The logic of Lucent's fuzz targets, kept in a normal crate so it builds and runs on stable:
//! the property tests in this crate feed it random inputs on every `cargo test`, and the
//! `cargo fuzz` targets in `fuzz/` feed it coverage-guided ones (see `docs/fuzzing.md`).
//!
//! - [`hostcalls`]: random hostcalls of both ABIs with random arguments and pointers.
//! - [`paths`]: random path operations from `.`, `..`, `/`, names and symlinks.
//! - [`image`]: archives of every kind of tar header, damaged at random, mounted as images.
//!
//! The first two build a fresh temporary tree per input ([`tree`]); all panic on a finding.

pub mod hostcalls;
pub mod image;
pub mod paths;
pub mod tree;

use std::collections::BTreeMap;

/// How many calls of each function succeeded and failed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcomes(pub BTreeMap<&'static str, (u32, u32)>);

impl Outcomes {
    fn record(&mut self, name: &'static str, ok: bool) {
        let entry = self.0.entry(name).or_default();
        if ok {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }

    /// Adds another run's counts.
    pub fn add(&mut self, other: &Outcomes) {
        for (name, (ok, err)) in &other.0 {
            let entry = self.0.entry(name).or_default();
            entry.0 += ok;
            entry.1 += err;
        }
    }

    /// The functions that succeeded at least once.
    pub fn succeeded(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().filter(|(_, (ok, _))| *ok > 0).map(|(name, _)| *name)
    }
}
