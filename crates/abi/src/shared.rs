//! Copying bytes in and out of a *shared* linear memory (the threads proposal), which other
//! guest threads may write at the same time.
//!
//! Such a memory is lent as `&[UnsafeCell<u8>]`: plain loads and stores racing with another
//! thread's would be undefined behaviour in Rust, so every access here is an atomic one
//! (relaxed: the guest orders its own threads with its own atomics). Whole aligned words go as
//! `AtomicU64`, the rest byte by byte. A racing guest may see a torn copy of its own data, as
//! it would from its own non-atomic loads; the host sees only bytes.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The bytes of a shared memory, borrowed for one hostcall.
#[derive(Clone, Copy)]
pub(crate) struct SharedBytes<'a>(&'a [UnsafeCell<u8>]);

impl core::fmt::Debug for SharedBytes<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SharedBytes({} bytes)", self.0.len())
    }
}

/// Bytes in a word.
const WORD: usize = 8;

impl<'a> SharedBytes<'a> {
    pub(crate) fn new(bytes: &'a [UnsafeCell<u8>]) -> Self {
        SharedBytes(bytes)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The byte at `i` as an atomic (`None` past the end).
    #[allow(unsafe_code)]
    fn byte(&self, i: usize) -> Option<&'a AtomicU8> {
        let cell = self.0.get(i)?;
        // SAFETY: the pointer comes from a live `UnsafeCell<u8>` borrowed for `'a`, so it is
        // valid, and an `AtomicU8` has the size and alignment of a `u8`. Every access to the
        // memory from the host goes through atomics (this module); the guest's own accesses
        // are the engine's, which the shared memory's contract allows to race with atomics.
        Some(unsafe { AtomicU8::from_ptr(cell.get()) })
    }

    /// The 8-byte word at `i` as an atomic, if `i` is word-aligned and the word is inside.
    #[allow(unsafe_code)]
    fn word(&self, i: usize) -> Option<&'a AtomicU64> {
        let last = i.checked_add(WORD - 1)?;
        let cell = self.0.get(i)?;
        self.0.get(last)?;
        let ptr = cell.get();
        if !ptr.addr().is_multiple_of(WORD) {
            return None;
        }
        // SAFETY: the eight bytes from `ptr` lie inside the borrowed slice (its element at
        // `i + 7` exists) and `ptr` is 8-aligned (checked), so it is a valid `AtomicU64`
        // location for `'a`; accesses are atomic as for `byte`.
        Some(unsafe { AtomicU64::from_ptr(ptr.cast::<u64>()) })
    }

    /// Copies the bytes from `start` into `dst`. The caller has checked the range; bytes past
    /// the end (which it excludes) are left alone.
    pub(crate) fn copy_to(&self, start: usize, dst: &mut [u8]) {
        let mut done = 0;
        while let Some(rest) = dst.get_mut(done..) {
            let Some(at) = start.checked_add(done) else { return };
            if rest.len() >= WORD
                && let (Some(word), Some(chunk)) = (self.word(at), rest.get_mut(..WORD))
            {
                #[allow(clippy::disallowed_methods, reason = "both sides are exactly eight bytes")]
                chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
                done = done.saturating_add(WORD);
                continue;
            }
            let (Some(byte), Some(slot)) = (self.byte(at), rest.first_mut()) else { return };
            *slot = byte.load(Ordering::Relaxed);
            done = done.saturating_add(1);
        }
    }

    /// Copies `src` into the memory from `start`. The caller has checked the range.
    pub(crate) fn copy_from(&self, start: usize, src: &[u8]) {
        let mut done = 0;
        while let Some(rest) = src.get(done..) {
            let Some(at) = start.checked_add(done) else { return };
            if let (Some(word), Some(chunk)) = (self.word(at), rest.first_chunk::<WORD>()) {
                word.store(u64::from_ne_bytes(*chunk), Ordering::Relaxed);
                done = done.saturating_add(WORD);
                continue;
            }
            let (Some(byte), Some(value)) = (self.byte(at), rest.first()) else { return };
            byte.store(*value, Ordering::Relaxed);
            done = done.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_round_trip_at_any_alignment() {
        let cells: Vec<UnsafeCell<u8>> = (0..64u8).map(UnsafeCell::new).collect();
        let shared = SharedBytes::new(&cells);
        for start in 0..9 {
            for len in [0, 1, 7, 8, 9, 17, 40] {
                let mut out = vec![0u8; len];
                shared.copy_to(start, &mut out);
                let want: Vec<u8> = (start..start + len).map(|b| b as u8).collect();
                assert_eq!(out, want, "{start} {len}");
            }
        }
        let data: Vec<u8> = (100..130).collect();
        shared.copy_from(3, &data);
        let mut back = vec![0u8; 30];
        shared.copy_to(3, &mut back);
        assert_eq!(back, data);
        // Nothing past the end is touched, or read.
        let mut past = [7u8; 4];
        shared.copy_to(62, &mut past);
        assert_eq!(past, [62, 63, 7, 7]);
    }
}
