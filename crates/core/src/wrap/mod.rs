//! Wrappers any backend can wear: a quota on what the guest adds ([`QuotaDir`]) and listings
//! sorted by name ([`SortedDir`]). Read-only mounts need no wrapper: they are a matter of
//! rights, which the core enforces for every backend (`WasiCtxBuilder::read_only_dir`).
//!
//! A wrapper wraps everything opened beneath it the same way, and unwraps the other directory
//! of a `link` or `rename` when it wears the same wrapper (the backend underneath then checks
//! it is its own): two directories wrapped differently are `Xdev` to each other.

mod quota;
mod sorted;

pub use quota::{DEFAULT_UNIT, ENTRY_BYTES, Quota, QuotaDir, QuotaFile};
pub use sorted::{SORTED_BUDGET_BYTES, SortedBudget, SortedDir};
