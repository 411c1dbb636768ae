//! One memory budget for everything an instance's memories and tables take.

use wasmtime::ResourceLimiter;

/// Bytes a table element is counted for: a function reference is a pointer.
pub const TABLE_ELEMENT_BYTES: usize = 8;

/// A [`ResourceLimiter`] that holds the sum of an instance's linear memories and tables
/// (elements counted at [`TABLE_ELEMENT_BYTES`]) under one limit, however many there are:
/// sixteen memories of 64 MiB do not fit in 64 MiB. Growth past the limit fails as the spec
/// says (`memory.grow` returns -1, `table.grow` -1); an instance whose initial memories and
/// tables do not fit is not created. Shared memories are not seen by wasmtime's limiter: a
/// runner checks their declared maximum before creating them.
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
    refused: Option<String>,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        MemoryBudget { limit, used: 0, refused: None }
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
}

impl ResourceLimiter for MemoryBudget {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(self.take(desired.saturating_sub(current), "a memory growth"))
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let elements = desired.saturating_sub(current);
        Ok(self.take(elements.saturating_mul(TABLE_ELEMENT_BYTES), "a table growth"))
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
}
