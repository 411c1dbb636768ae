//! A file's bytes in 4 KiB pages: a page that was never written (a hole) is not stored and
//! reads as zeros.

use lucent_abi::Errno;
use std::collections::BTreeMap;

/// The page size, in bytes.
pub(crate) const PAGE: u64 = 4096;

/// What a stored page costs against a size limit: its bytes and its share of the page map's
/// nodes (each at least half full).
pub(crate) const PAGE_COST: u64 = PAGE + 64;

/// What the page map's first node costs, made with the first page (a node holds 11).
pub(crate) const MAP_COST: u64 = 320;

#[derive(Default)]
pub(crate) struct Data {
    pages: BTreeMap<u64, Box<[u8]>>,
    size: u64,
}

/// The page holding byte `at`, and where in it.
fn split(at: u64) -> (u64, usize) {
    (at / PAGE, usize::try_from(at % PAGE).unwrap_or(0))
}

/// A fresh page of zeros.
fn zeros() -> Box<[u8]> {
    vec![0; usize::try_from(PAGE).unwrap_or(4096)].into_boxed_slice()
}

impl Data {
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// What the stored pages cost against a size limit.
    pub(crate) fn cost(&self) -> u64 {
        Data::cost_of(u64::try_from(self.pages.len()).unwrap_or(u64::MAX))
    }

    fn cost_of(pages: u64) -> u64 {
        if pages == 0 { 0 } else { pages.saturating_mul(PAGE_COST).saturating_add(MAP_COST) }
    }

    /// What writing bytes `start..end` would add to [`Data::cost`]: the pages of the range not
    /// stored yet.
    pub(crate) fn cost_to_write(&self, start: u64, end: u64) -> u64 {
        if end <= start {
            return 0;
        }
        let first = start / PAGE;
        let last = end.saturating_sub(1) / PAGE;
        let wanted = last.saturating_sub(first).saturating_add(1);
        let stored = u64::try_from(self.pages.range(first..=last).count()).unwrap_or(u64::MAX);
        let now = u64::try_from(self.pages.len()).unwrap_or(u64::MAX);
        Data::cost_of(now.saturating_add(wanted.saturating_sub(stored))).saturating_sub(self.cost())
    }

    /// Copies bytes from `offset` into `buf`, up to the end of the file; returns the count.
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        let left = usize::try_from(self.size.saturating_sub(offset)).unwrap_or(usize::MAX);
        let n = buf.len().min(left);
        let mut done = 0usize;
        while done < n {
            let at = offset.saturating_add(u64::try_from(done).unwrap_or(u64::MAX));
            let (page, within) = split(at);
            let chunk = n.saturating_sub(done).min(usize::try_from(PAGE).unwrap_or(4096).saturating_sub(within));
            let Some(to) = buf.get_mut(done..done.saturating_add(chunk)) else { break };
            match self.pages.get(&page).and_then(|p| p.get(within..within.saturating_add(chunk))) {
                #[allow(clippy::disallowed_methods, reason = "both are `chunk` bytes long, by `get`")]
                Some(from) => to.copy_from_slice(from),
                None => to.fill(0),
            }
            done = done.saturating_add(chunk);
        }
        n
    }

    /// Writes `buf` at `at`, storing the pages it touches and growing the file as needed. The
    /// caller has checked the size limit ([`Data::cost_to_write`]) and the largest size.
    pub(crate) fn write(&mut self, at: u64, buf: &[u8]) {
        let mut done = 0usize;
        while done < buf.len() {
            let pos = at.saturating_add(u64::try_from(done).unwrap_or(u64::MAX));
            let (page, within) = split(pos);
            let chunk =
                buf.len().saturating_sub(done).min(usize::try_from(PAGE).unwrap_or(4096).saturating_sub(within));
            let stored = self.pages.entry(page).or_insert_with(zeros);
            if let (Some(to), Some(from)) =
                (stored.get_mut(within..within.saturating_add(chunk)), buf.get(done..done.saturating_add(chunk)))
            {
                #[allow(clippy::disallowed_methods, reason = "both are `chunk` bytes long, by `get`")]
                to.copy_from_slice(from);
            }
            done = done.saturating_add(chunk);
        }
        let end = at.saturating_add(u64::try_from(buf.len()).unwrap_or(u64::MAX));
        self.size = self.size.max(end);
    }

    /// Stores every page of `start..end` and makes the file at least `end` long.
    pub(crate) fn allocate(&mut self, start: u64, end: u64) {
        if end > start {
            for page in start / PAGE..=end.saturating_sub(1) / PAGE {
                self.pages.entry(page).or_insert_with(zeros);
            }
        }
        self.size = self.size.max(end);
    }

    /// Truncates or extends (with a hole) to `size`; returns the bytes freed.
    pub(crate) fn set_size(&mut self, size: u64) -> Result<u64, Errno> {
        let before = self.cost();
        if size < self.size {
            // Pages wholly past the end go; the last one keeps zeros past the end, so that
            // growing again reads zeros.
            let keep = size.div_ceil(PAGE);
            drop(self.pages.split_off(&keep));
            if self.pages.is_empty() {
                // An emptied map may keep its node: a new one holds nothing (and costs nothing).
                self.pages = BTreeMap::new();
            }
            let (page, within) = split(size);
            if within > 0
                && let Some(tail) = self.pages.get_mut(&page).and_then(|p| p.get_mut(within..))
            {
                tail.fill(0);
            }
        }
        self.size = size;
        Ok(before.saturating_sub(self.cost()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &Data) -> Vec<u8> {
        let mut buf = vec![0xff; usize::try_from(data.size()).unwrap()];
        assert_eq!(data.read(0, &mut buf), buf.len());
        buf
    }

    #[test]
    fn holes_read_as_zeros_and_cost_nothing() {
        let mut data = Data::default();
        data.write(10 * PAGE + 5, b"abc");
        assert_eq!(data.size(), 10 * PAGE + 8);
        assert_eq!(data.cost(), PAGE_COST + MAP_COST);
        let all = read_all(&data);
        assert!(all[..usize::try_from(10 * PAGE + 5).unwrap()].iter().all(|&b| b == 0));
        assert_eq!(&all[usize::try_from(10 * PAGE + 5).unwrap()..], b"abc");
    }

    #[test]
    fn a_write_across_pages_costs_the_pages_it_adds() {
        let mut data = Data::default();
        assert_eq!(data.cost_to_write(PAGE - 2, PAGE + 2), 2 * PAGE_COST + MAP_COST);
        data.write(PAGE - 2, b"wxyz");
        assert_eq!(data.cost(), 2 * PAGE_COST + MAP_COST);
        assert_eq!(data.cost_to_write(0, 2 * PAGE), 0);
        assert_eq!(data.cost_to_write(0, 2 * PAGE + 1), PAGE_COST);
        assert_eq!(data.cost_to_write(5, 5), 0);
    }

    #[test]
    fn shrinking_frees_pages_and_growing_again_reads_zeros() {
        let mut data = Data::default();
        data.write(0, &[7; 3 * 4096]);
        assert_eq!(data.set_size(5).unwrap(), 2 * PAGE_COST);
        assert_eq!(data.set_size(20).unwrap(), 0);
        assert_eq!(read_all(&data), [&[7; 5][..], &[0; 15][..]].concat());
        assert_eq!(data.set_size(0).unwrap(), PAGE_COST + MAP_COST);
    }
}
