//! One memory budget for everything an instance's memories and tables take.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use wasmtime::ResourceLimiter;

/// Bytes a table element is counted for: a function reference is a pointer.
pub const TABLE_ELEMENT_BYTES: usize = 8;

/// A [`ResourceLimiter`] that holds the sum of an instance's linear memories and tables
/// (elements counted at [`TABLE_ELEMENT_BYTES`]) under one limit, however many there are:
/// sixteen memories of 64 MiB do not fit in 64 MiB. Growth past the limit fails as the spec
/// says (`memory.grow` returns -1, `table.grow` -1); an instance whose initial memories and
/// tables do not fit is not created; a growth that fails for another reason (past the
/// memory's own maximum, no host memory) is given back. Shared memories are not seen by
/// wasmtime's limiter when they grow: their whole declared maximum is [`MemoryBudget::reserve`]d
/// instead (the imported ones, made by [`crate::threads::Threads`], have their maximum cut to
/// fit; a module's own are found by [`defined_shared_memory_bytes`]).
///
/// ```
/// use lucent_wasmtime::MemoryBudget;
/// let mut store = wasmtime::Store::new(&wasmtime::Engine::default(), MemoryBudget::new(64 << 20));
/// store.limiter(|budget| budget);
/// ```
#[derive(Debug)]
pub struct MemoryBudget {
    /// Shared by the clones: every thread of an instance counts against the same budget.
    state: Arc<Mutex<State>>,
    /// What this store's last approved growth took, until wasmtime says whether it happened
    /// (each store has its own clone, so threads growing at once do not mix theirs up).
    pending: usize,
}

#[derive(Debug)]
struct State {
    limit: usize,
    used: usize,
    refused: Option<String>,
}

impl Clone for MemoryBudget {
    /// Another handle on the same budget, for another store of the instance.
    fn clone(&self) -> Self {
        MemoryBudget { state: self.state.clone(), pending: 0 }
    }
}

impl MemoryBudget {
    /// A budget of `limit` bytes. Its clones share it (one per store of a threaded instance).
    pub fn new(limit: usize) -> Self {
        MemoryBudget { state: Arc::new(Mutex::new(State { limit, used: 0, refused: None })), pending: 0 }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes taken so far.
    pub fn used(&self) -> usize {
        self.state().used
    }

    /// What the last refusal was, in words (for a runner's error message).
    pub fn refused(&self) -> Option<String> {
        self.state().refused.clone()
    }

    /// Takes `bytes` for good, for memory the store's limiter does not see (the maximum of a
    /// shared memory, which grows without asking it), if they fit; `false` (and nothing taken)
    /// if they do not.
    pub fn reserve(&self, bytes: usize) -> bool {
        let mut state = self.state();
        match state.used.checked_add(bytes).filter(|total| *total <= state.limit) {
            Some(total) => {
                state.used = total;
                true
            }
            None => false,
        }
    }

    /// Takes `more` bytes for `what`, if they fit.
    fn take(&mut self, more: usize, what: &str) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state.used.checked_add(more).filter(|total| *total <= state.limit) {
            Some(total) => {
                state.used = total;
                drop(state);
                self.pending = more;
                true
            }
            None => {
                state.refused = Some(format!(
                    "{what} of {more} more bytes would take the instance's memories and tables to more than {} bytes",
                    state.limit
                ));
                false
            }
        }
    }

    /// Gives back the last growth taken: it failed after all.
    fn give_back(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut state = self.state();
        state.used = state.used.saturating_sub(pending);
    }
}

/// The bytes the shared memories a module defines (rather than imports) may grow to: the sum
/// of their declared maxima (a shared memory must declare one). Such a memory grows without
/// asking the store's limiter, so a runner with a memory limit reserves this much up front.
/// Reads the sections before the code only; an unreadable module counts 0 (it will not
/// compile either).
pub fn defined_shared_memory_bytes(wasm: &[u8]) -> u64 {
    let mut total = 0u64;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::MemorySection(reader)) => {
                for memory in reader.into_iter().flatten().filter(|m| m.shared) {
                    let page = 1u64 << memory.page_size_log2.unwrap_or(16).min(16);
                    let pages = memory.maximum.unwrap_or(u64::MAX >> memory.page_size_log2.unwrap_or(16).min(16));
                    total = total.saturating_add(pages.saturating_mul(page));
                }
            }
            Ok(wasmparser::Payload::CodeSectionStart { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    total
}

impl ResourceLimiter for MemoryBudget {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        // Past the memory's own maximum the growth fails anyway: charge nothing for it.
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        Ok(self.take(desired.saturating_sub(current), "a memory growth"))
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.give_back();
        Ok(())
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let elements = desired.saturating_sub(current);
        Ok(self.take(elements.saturating_mul(TABLE_ELEMENT_BYTES), "a table growth"))
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.give_back();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_and_tables_share_one_limit() {
        let mut budget = MemoryBudget::new(100);
        assert!(budget.memory_growing(0, 60, None).unwrap());
        assert!(!budget.memory_growing(0, 60, None).unwrap(), "a second memory of 60 does not fit");
        assert!(budget.refused().is_some());
        assert!(budget.table_growing(0, 5, None).unwrap());
        assert_eq!(budget.used(), 100);
        assert!(!budget.table_growing(5, 6, None).unwrap());
        assert!(!budget.memory_growing(60, usize::MAX, None).unwrap());
        assert_eq!(budget.used(), 100);
    }

    #[test]
    fn failed_growth_is_given_back() {
        let mut budget = MemoryBudget::new(100);
        // Past the memory's own maximum: refused, nothing charged.
        assert!(!budget.memory_growing(0, 50, Some(40)).unwrap());
        assert_eq!(budget.used(), 0);
        assert!(budget.memory_growing(0, 50, None).unwrap());
        budget.memory_grow_failed(wasmtime::Error::msg("no host memory")).unwrap();
        assert_eq!(budget.used(), 0);
        assert!(budget.table_growing(0, 5, None).unwrap());
        budget.table_grow_failed(wasmtime::Error::msg("no")).unwrap();
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn clones_share_the_budget_and_reservations_must_fit() {
        let mut budget = MemoryBudget::new(100);
        let mut other = budget.clone();
        assert!(budget.reserve(60));
        assert!(!other.reserve(41), "a reservation past the limit takes nothing");
        assert!(other.memory_growing(0, 40, None).unwrap());
        assert!(!budget.memory_growing(0, 1, None).unwrap());
        assert_eq!(other.used(), 100);
    }

    #[test]
    fn defined_shared_memories_are_summed_by_their_maxima() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "imported" (memory 1 100 shared))
                (memory 1 10 shared)
                (memory 2 65536 shared)
                (memory 1)
                (func))"#,
        )
        .unwrap();
        assert_eq!(defined_shared_memory_bytes(&wasm), (10 + 65536) << 16);
        assert_eq!(defined_shared_memory_bytes(&wat::parse_str("(module (memory 1 2))").unwrap()), 0);
        assert_eq!(defined_shared_memory_bytes(b"not wasm"), 0);
        // A module cut anywhere, or with any byte changed, is read without a panic, and never
        // found to hold more than its memory section declares at most.
        let declared = (10 + 65536) << 16;
        for end in 0..wasm.len() {
            assert!(defined_shared_memory_bytes(&wasm[..end]) <= declared);
        }
        for at in 8..wasm.len() {
            for byte in [0x00, 0x01, 0x03, 0x7f, 0x80, 0xff] {
                let mut changed = wasm.clone();
                changed[at] = byte;
                let _ = defined_shared_memory_bytes(&changed);
            }
        }
    }
}
