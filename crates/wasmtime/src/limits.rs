//! One memory budget for everything an instance's memories and tables take.

use wasmtime::ResourceLimiter;

/// Bytes a table element is counted for: a function reference is a pointer.
pub const TABLE_ELEMENT_BYTES: usize = 8;

/// A [`ResourceLimiter`] that holds the sum of an instance's linear memories and tables
/// (elements counted at [`TABLE_ELEMENT_BYTES`]) under one limit, however many there are:
/// sixteen memories of 64 MiB do not fit in 64 MiB. Growth past the limit fails as the spec
/// says (`memory.grow` returns -1, `table.grow` -1); an instance whose initial memories and
/// tables do not fit is not created; a growth that fails for another reason (past the
/// memory's own maximum, no host memory) is given back. Shared memories are not seen by
/// wasmtime's limiter when they grow: [`crate::default_config`] turns the threads proposal off
/// until Lucent runs threaded guests.
///
/// ```
/// use lucent_wasmtime::MemoryBudget;
/// let mut store = wasmtime::Store::new(&wasmtime::Engine::default(), MemoryBudget::new(64 << 20));
/// store.limiter(|budget| budget);
/// ```
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    limit: usize,
    used: usize,
    /// What the last approved growth took, until wasmtime says whether it happened.
    pending: usize,
    refused: Option<String>,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        MemoryBudget { limit, used: 0, pending: 0, refused: None }
    }

    /// Bytes taken so far.
    pub fn used(&self) -> usize {
        self.used
    }

    /// What the last refusal was, in words (for a runner's error message).
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// Takes `more` bytes for `what`, if they fit.
    fn take(&mut self, more: usize, what: &str) -> bool {
        match self.used.checked_add(more).filter(|total| *total <= self.limit) {
            Some(total) => {
                self.used = total;
                self.pending = more;
                true
            }
            None => {
                self.refused = Some(format!(
                    "{what} of {more} more bytes would take the instance's memories and tables to more than {} bytes",
                    self.limit
                ));
                false
            }
        }
    }

    /// Gives back the last growth taken: it failed after all.
    fn give_back(&mut self) {
        self.used = self.used.saturating_sub(self.pending);
        self.pending = 0;
    }
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
}
