//! Checked access to a guest's linear memory.
//!
//! Guest pointers are 32-bit offsets ([`GuestPtr`]); every access checks bounds (`Fault`) and
//! alignment (`Inval`) before touching a byte, and never hands out a raw pointer. Reads and
//! writes of records go through [`GuestType`], which encodes little-endian byte by byte, so no
//! `unsafe` is needed here and host layout never leaks into the guest. A shared memory (the
//! threads proposal) is only copied from and to, with atomics (`crate::shared`, the crate's
//! one `unsafe` module).

use crate::Errno;
use crate::shared::SharedBytes;
use core::marker::PhantomData;
use core::ops::Range;
use std::borrow::Cow;

/// A value with a fixed guest layout.
pub trait GuestType: Sized {
    /// Size in guest memory, in bytes.
    const SIZE: u32;
    /// Required alignment in guest memory, in bytes.
    const ALIGN: u32;

    /// Decodes a value from exactly [`Self::SIZE`] bytes.
    ///
    /// # Errors
    ///
    /// `Inval` if a field holds a value its type does not allow (an unknown enum value or
    /// flag bit).
    fn decode(bytes: &[u8]) -> Result<Self, Errno>;

    /// Encodes the value into exactly [`Self::SIZE`] bytes.
    fn encode(&self, bytes: &mut [u8]);
}

/// A pointer into guest memory to a `T`: an offset, checked on every access.
pub struct GuestPtr<T> {
    offset: u32,
    _type: PhantomData<fn() -> T>,
}

impl<T> GuestPtr<T> {
    /// A pointer at `offset`.
    pub const fn new(offset: u32) -> Self {
        GuestPtr { offset, _type: PhantomData }
    }

    /// The offset in guest memory.
    pub const fn offset(self) -> u32 {
        self.offset
    }
}

impl<T: GuestType> GuestPtr<T> {
    /// The pointer to the `index`-th element of an array starting here.
    ///
    /// # Errors
    ///
    /// `Fault` if the address does not fit in 32 bits.
    pub fn element(self, index: u32) -> Result<Self, Errno> {
        index
            .checked_mul(T::SIZE)
            .and_then(|delta| self.offset.checked_add(delta))
            .map(GuestPtr::new)
            .ok_or(Errno::Fault)
    }
}

impl<T> Clone for GuestPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for GuestPtr<T> {}
impl<T> PartialEq for GuestPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        self.offset == other.offset
    }
}
impl<T> Eq for GuestPtr<T> {}
impl<T> core::fmt::Debug for GuestPtr<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#x}", self.offset)
    }
}

/// A region of guest memory named by the guest: `len` bytes at `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

impl Region {
    /// The region `len` bytes long at `offset`.
    pub const fn new(offset: u32, len: u32) -> Self {
        Region { offset, len }
    }
}

/// A guest's linear memory, borrowed for the duration of one hostcall: the instance's own
/// bytes, or a shared memory (the threads proposal) that other guest threads may write at
/// the same time, which is only ever copied from and to (see [`GuestMemory::shared`]).
#[derive(Debug)]
pub struct GuestMemory<'a> {
    mem: Mem<'a>,
}

#[derive(Debug)]
enum Mem<'a> {
    Own(&'a mut [u8]),
    Shared(SharedBytes<'a>),
}

/// The largest record decoded or encoded on the stack when the memory is shared.
const RECORD_BUFFER: usize = 64;

impl<'a> GuestMemory<'a> {
    /// Wraps the bytes of a linear memory only this hostcall's thread uses.
    #[inline]
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { mem: Mem::Own(bytes) }
    }

    /// Wraps a shared linear memory, as an engine lends it (`UnsafeCell`s: other threads may
    /// change any byte at any time). Every access copies, with atomic loads and stores; no
    /// slice of it is ever lent out, so [`GuestMemory::direct_mut`] says `None`.
    pub fn shared(bytes: &'a [core::cell::UnsafeCell<u8>]) -> Self {
        GuestMemory { mem: Mem::Shared(SharedBytes::new(bytes)) }
    }

    /// Whether this is a shared memory, which is copied rather than lent.
    #[inline]
    pub fn is_shared(&self) -> bool {
        matches!(self.mem, Mem::Shared(_))
    }

    /// The size of the memory in bytes.
    pub fn len(&self) -> usize {
        match &self.mem {
            Mem::Own(bytes) => bytes.len(),
            Mem::Shared(shared) => shared.len(),
        }
    }

    /// Whether the memory has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn range(&self, region: Region, align: u32) -> Result<Range<usize>, Errno> {
        let start = usize::try_from(region.offset).map_err(|_| Errno::Fault)?;
        let len = usize::try_from(region.len).map_err(|_| Errno::Fault)?;
        let end = start.checked_add(len).ok_or(Errno::Fault)?;
        if end > self.len() {
            return Err(Errno::Fault);
        }
        if align > 1 && !region.offset.is_multiple_of(align) {
            return Err(Errno::Inval);
        }
        Ok(start..end)
    }

    /// Checks that `region` lies inside memory.
    ///
    /// # Errors
    ///
    /// `Fault` if it does not.
    pub fn check_region(&self, region: Region) -> Result<(), Errno> {
        self.range(region, 1).map(drop)
    }

    /// Checks that a `T` could be written at `ptr`, before doing work that cannot be undone.
    ///
    /// # Errors
    ///
    /// `Fault` if it lies outside memory, `Inval` if misaligned.
    pub fn check<T: GuestType>(&self, ptr: GuestPtr<T>) -> Result<(), Errno> {
        self.range(Region::new(ptr.offset, T::SIZE), T::ALIGN).map(drop)
    }

    /// Reads the `T` at `ptr`.
    ///
    /// # Errors
    ///
    /// `Fault` if it lies outside memory, `Inval` if misaligned or holding an invalid value.
    #[inline]
    pub fn read<T: GuestType>(&self, ptr: GuestPtr<T>) -> Result<T, Errno> {
        let range = self.range(Region::new(ptr.offset, T::SIZE), T::ALIGN)?;
        match &self.mem {
            Mem::Own(bytes) => T::decode(bytes.get(range).ok_or(Errno::Fault)?),
            Mem::Shared(shared) => {
                let mut stack = [0u8; RECORD_BUFFER];
                let mut heap;
                let buf = match stack.get_mut(..range.len()) {
                    Some(buf) => buf,
                    None => {
                        heap = vec![0u8; range.len()];
                        &mut heap[..]
                    }
                };
                shared.copy_to(range.start, buf);
                T::decode(buf)
            }
        }
    }

    /// Writes `value` at `ptr`.
    ///
    /// # Errors
    ///
    /// `Fault` if it lies outside memory, `Inval` if misaligned.
    #[inline]
    pub fn write<T: GuestType>(&mut self, ptr: GuestPtr<T>, value: &T) -> Result<(), Errno> {
        let range = self.range(Region::new(ptr.offset, T::SIZE), T::ALIGN)?;
        match &mut self.mem {
            Mem::Own(bytes) => value.encode(bytes.get_mut(range).ok_or(Errno::Fault)?),
            Mem::Shared(shared) => {
                let mut stack = [0u8; RECORD_BUFFER];
                let mut heap;
                let buf = match stack.get_mut(..range.len()) {
                    Some(buf) => buf,
                    None => {
                        heap = vec![0u8; range.len()];
                        &mut heap[..]
                    }
                };
                value.encode(buf);
                shared.copy_from(range.start, buf);
            }
        }
        Ok(())
    }

    /// Reads `count` consecutive `T`s starting at `ptr`.
    ///
    /// # Errors
    ///
    /// As [`GuestMemory::read`]; the caller bounds `count`.
    pub fn read_array<T: GuestType>(&self, ptr: GuestPtr<T>, count: u32) -> Result<Vec<T>, Errno> {
        self.array(ptr, count)?.collect()
    }

    /// The `count` consecutive `T`s starting at `ptr`, decoded one at a time as the iterator is
    /// advanced (nothing is allocated for an unshared memory; a shared one's array is copied
    /// first, so the caller bounds `count`). The whole array's bounds and alignment are
    /// checked first, as [`GuestMemory::read_array`] does.
    ///
    /// # Errors
    ///
    /// `Fault` if the array lies outside memory, `Inval` if misaligned; each item is `Inval`
    /// if it holds an invalid value.
    pub fn array<T: GuestType>(
        &self,
        ptr: GuestPtr<T>,
        count: u32,
    ) -> Result<impl ExactSizeIterator<Item = Result<T, Errno>>, Errno> {
        let total = count.checked_mul(T::SIZE).ok_or(Errno::Fault)?;
        let region = Region::new(ptr.offset, total);
        self.range(region, T::ALIGN)?;
        let bytes = self.bytes(region)?;
        let size = usize::try_from(T::SIZE).map_err(|_| Errno::Fault)?.max(1);
        let len = bytes.len().checked_div(size).unwrap_or(0);
        Ok((0..len).map(move |i| {
            let start = i.checked_mul(size).ok_or(Errno::Fault)?;
            let end = start.checked_add(size).ok_or(Errno::Fault)?;
            T::decode(bytes.get(start..end).ok_or(Errno::Fault)?)
        }))
    }

    /// The bytes of `region`, to read: lent from an unshared memory, copied from a shared
    /// one (so the caller bounds the region's size).
    ///
    /// # Errors
    ///
    /// `Fault` if the region lies outside memory.
    #[inline]
    pub fn bytes(&self, region: Region) -> Result<Cow<'_, [u8]>, Errno> {
        let range = self.range(region, 1)?;
        match &self.mem {
            Mem::Own(bytes) => Ok(Cow::Borrowed(bytes.get(range).ok_or(Errno::Fault)?)),
            Mem::Shared(shared) => {
                let mut copy = vec![0u8; range.len()];
                shared.copy_to(range.start, &mut copy);
                Ok(Cow::Owned(copy))
            }
        }
    }

    /// The bytes of `region` to read in place, for an unshared memory; `None` for a shared
    /// one, which must be copied ([`GuestMemory::bytes`], [`GuestMemory::copy_in`]).
    ///
    /// # Errors
    ///
    /// `Fault` if the region lies outside memory.
    #[inline]
    pub fn direct(&self, region: Region) -> Result<Option<&[u8]>, Errno> {
        let range = self.range(region, 1)?;
        match &self.mem {
            Mem::Own(bytes) => Ok(Some(bytes.get(range).ok_or(Errno::Fault)?)),
            Mem::Shared(_) => Ok(None),
        }
    }

    /// Copies the bytes of `region` into `dst` (as many as `dst` holds, from the start).
    ///
    /// # Errors
    ///
    /// `Fault` if the region lies outside memory.
    pub fn copy_in(&self, region: Region, dst: &mut [u8]) -> Result<(), Errno> {
        let range = self.range(region, 1)?;
        let dst = dst.get_mut(..range.len().min(dst.len())).unwrap_or_default();
        match &self.mem {
            Mem::Own(bytes) => {
                let src = bytes.get(range.start..).and_then(|b| b.get(..dst.len())).ok_or(Errno::Fault)?;
                #[allow(clippy::disallowed_methods, reason = "`src` was cut to `dst`'s length")]
                dst.copy_from_slice(src);
            }
            Mem::Shared(shared) => shared.copy_to(range.start, dst),
        }
        Ok(())
    }

    /// The bytes of `region` to write into in place, for an unshared memory; `None` for a
    /// shared one, which the caller fills through [`GuestMemory::write_bytes`] instead.
    ///
    /// # Errors
    ///
    /// `Fault` if the region lies outside memory.
    #[inline]
    pub fn direct_mut(&mut self, region: Region) -> Result<Option<&mut [u8]>, Errno> {
        let range = self.range(region, 1)?;
        match &mut self.mem {
            Mem::Own(bytes) => Ok(Some(bytes.get_mut(range).ok_or(Errno::Fault)?)),
            Mem::Shared(_) => Ok(None),
        }
    }

    /// Copies `src` into guest memory at `offset`.
    ///
    /// # Errors
    ///
    /// `Fault` if the bytes do not all lie inside memory.
    pub fn write_bytes(&mut self, offset: u32, src: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(src.len()).map_err(|_| Errno::Fault)?;
        let range = self.range(Region::new(offset, len), 1)?;
        match &mut self.mem {
            Mem::Own(bytes) => {
                let dst = bytes.get_mut(range).ok_or(Errno::Fault)?;
                if dst.len() != src.len() {
                    return Err(Errno::Fault);
                }
                #[allow(clippy::disallowed_methods, reason = "the lengths are equal: checked just above")]
                dst.copy_from_slice(src);
            }
            Mem::Shared(shared) => shared.copy_from(range.start, src),
        }
        Ok(())
    }

    /// Several regions at once, to write into in place (for `readv`-style calls).
    ///
    /// Returns the slices in the order the regions were given, or `Ok(None)` if two non-empty
    /// regions overlap (the guest may name overlapping buffers, which cannot be lent out as
    /// separate mutable slices) or the memory is shared; the caller then falls back to one
    /// buffer at a time.
    ///
    /// # Errors
    ///
    /// `Fault` if any region lies outside memory.
    pub fn disjoint_direct_mut(&mut self, regions: &[Region]) -> Result<Option<Vec<&mut [u8]>>, Errno> {
        let mut order: Vec<(usize, Range<usize>)> = Vec::with_capacity(regions.len());
        for (i, region) in regions.iter().enumerate() {
            order.push((i, self.range(*region, 1)?));
        }
        let Mem::Own(bytes) = &mut self.mem else { return Ok(None) };
        order.sort_by_key(|(_, r)| r.start);
        let mut slots: Vec<Option<&mut [u8]>> = (0..regions.len()).map(|_| None).collect();
        let mut rest: &mut [u8] = bytes;
        let mut consumed = 0usize;
        for (i, range) in order {
            if range.is_empty() {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(&mut []);
                }
                continue;
            }
            // Regions are sorted by start, so one that starts before the end of the last
            // overlaps it.
            let Some(skip) = range.start.checked_sub(consumed) else { return Ok(None) };
            // `rest` is `bytes[consumed..]` and `range.end <= bytes.len()`, so both splits fit.
            let (_, tail) = core::mem::take(&mut rest).split_at_mut_checked(skip).ok_or(Errno::Fault)?;
            let (this, tail) = tail.split_at_mut_checked(range.len()).ok_or(Errno::Fault)?;
            rest = tail;
            consumed = range.end;
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(this);
            }
        }
        Ok(Some(slots.into_iter().map(Option::unwrap_or_default).collect()))
    }
}

macro_rules! int_guest_type {
    ($($ty:ty = $size:literal),*) => {$(
        impl GuestType for $ty {
            const SIZE: u32 = $size;
            const ALIGN: u32 = $size;
            #[inline]
            fn decode(bytes: &[u8]) -> Result<Self, Errno> {
                Ok(<$ty>::from_le_bytes(bytes.try_into().map_err(|_| Errno::Fault)?))
            }
            #[inline]
            fn encode(&self, bytes: &mut [u8]) {
                let le = self.to_le_bytes();
                if let Some(dst) = bytes.get_mut(..le.len()) {
                    #[allow(clippy::disallowed_methods, reason = "`get_mut(..n)` gave exactly `n` bytes")]
                    dst.copy_from_slice(&le);
                }
            }
        }
    )*};
}
int_guest_type!(u8 = 1, u16 = 2, u32 = 4, u64 = 8, i64 = 8);

/// Little-endian field access inside a record's bytes, for [`GuestType`] impls.
///
/// Reads out of range yield zero and writes out of range are dropped; record impls only use
/// offsets below their `SIZE`, which the layout tests check against the specification.
pub mod field {
    /// Reads the little-endian value at `offset`.
    pub fn get<T: super::GuestType>(bytes: &[u8], offset: u32) -> Result<T, crate::Errno> {
        let start = usize::try_from(offset).map_err(|_| crate::Errno::Fault)?;
        let size = usize::try_from(T::SIZE).map_err(|_| crate::Errno::Fault)?;
        let end = start.checked_add(size).ok_or(crate::Errno::Fault)?;
        T::decode(bytes.get(start..end).ok_or(crate::Errno::Fault)?)
    }

    /// Writes `value` little-endian at `offset`.
    pub fn put<T: super::GuestType>(bytes: &mut [u8], offset: u32, value: T) {
        let (Ok(start), Ok(size)) = (usize::try_from(offset), usize::try_from(T::SIZE)) else {
            return;
        };
        if let Some(dst) = start.checked_add(size).and_then(|end| bytes.get_mut(start..end)) {
            value.encode(dst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_alignment_are_checked() {
        let mut buf = vec![0u8; 16];
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(mem.write(GuestPtr::<u32>::new(12), &7), Ok(()));
        assert_eq!(mem.read(GuestPtr::<u32>::new(12)), Ok(7));
        assert_eq!(mem.read(GuestPtr::<u32>::new(13)), Err(Errno::Fault));
        assert_eq!(mem.read(GuestPtr::<u32>::new(u32::MAX)), Err(Errno::Fault));
        assert_eq!(mem.read(GuestPtr::<u32>::new(2)), Err(Errno::Inval));
        assert_eq!(mem.bytes(Region::new(16, 0)).map(|b| b.len()), Ok(0));
        assert_eq!(mem.bytes(Region::new(17, 0)).map(|b| b.len()), Err(Errno::Fault));
        assert_eq!(mem.bytes(Region::new(u32::MAX, u32::MAX)).map(|b| b.len()), Err(Errno::Fault));
        assert_eq!(mem.read_array(GuestPtr::<u64>::new(0), u32::MAX), Err(Errno::Fault));
    }

    #[test]
    fn write_bytes_writes_all_or_nothing() {
        let mut buf = vec![0u8; 8];
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(mem.write_bytes(6, b"ab"), Ok(()));
        assert_eq!(mem.write_bytes(7, b"cd"), Err(Errno::Fault));
        assert_eq!(mem.write_bytes(u32::MAX, b"e"), Err(Errno::Fault));
        assert_eq!(mem.write_bytes(8, b""), Ok(()));
        assert_eq!(&buf[6..], b"ab");
    }

    #[test]
    fn disjoint_regions_are_split_and_overlaps_refused() {
        let mut buf: Vec<u8> = (0..32).collect();
        let mut mem = GuestMemory::new(&mut buf);
        let regions = [Region::new(20, 4), Region::new(0, 2), Region::new(5, 0)];
        let slices = mem.disjoint_direct_mut(&regions).unwrap().unwrap();
        assert_eq!(slices[0], &[20, 21, 22, 23]);
        assert_eq!(slices[1], &[0, 1]);
        assert!(slices[2].is_empty());
        let overlapping = [Region::new(0, 4), Region::new(3, 4)];
        assert!(mem.disjoint_direct_mut(&overlapping).unwrap().is_none());
        let outside = [Region::new(30, 4)];
        assert_eq!(mem.disjoint_direct_mut(&outside).err(), Some(Errno::Fault));
    }

    /// A shared memory of `bytes`: the same contents behind `UnsafeCell`s.
    fn cells(bytes: &[u8]) -> Vec<core::cell::UnsafeCell<u8>> {
        bytes.iter().copied().map(core::cell::UnsafeCell::new).collect()
    }

    proptest::proptest! {
        /// Every accessor answers the same on a shared memory as on an unshared one, and leaves
        /// the same bytes behind.
        #[test]
        fn a_shared_memory_behaves_as_an_unshared_one(
            init in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            off in 0u32..90, n in 0u32..90, value: u64, data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
        ) {
            let mut own = init.clone();
            let shared = cells(&init);
            let mut a = GuestMemory::new(&mut own);
            let mut b = GuestMemory::shared(&shared);
            proptest::prop_assert!(b.is_shared() && !a.is_shared());
            proptest::prop_assert_eq!(a.read(GuestPtr::<u64>::new(off)), b.read(GuestPtr::<u64>::new(off)));
            proptest::prop_assert_eq!(a.read(GuestPtr::<crate::Filestat>::new(off)), b.read(GuestPtr::<crate::Filestat>::new(off)));
            proptest::prop_assert_eq!(a.bytes(Region::new(off, n)), b.bytes(Region::new(off, n)));
            proptest::prop_assert_eq!(a.read_array(GuestPtr::<u16>::new(off), n % 8), b.read_array(GuestPtr::<u16>::new(off), n % 8));
            proptest::prop_assert_eq!(a.write(GuestPtr::<u64>::new(off), &value), b.write(GuestPtr::<u64>::new(off), &value));
            proptest::prop_assert_eq!(a.write_bytes(n, &data), b.write_bytes(n, &data));
            let (mut x, mut y) = (vec![0u8; 12], vec![0u8; 12]);
            proptest::prop_assert_eq!(a.copy_in(Region::new(off, 12), &mut x), b.copy_in(Region::new(off, 12), &mut y));
            proptest::prop_assert_eq!(x, y);
            proptest::prop_assert!(b.direct_mut(Region::new(0, 0)).unwrap().is_none());
            let after: Vec<u8> = shared.into_iter().map(core::cell::UnsafeCell::into_inner).collect();
            proptest::prop_assert_eq!(own, after);
        }

        #[test]
        fn accessors_never_panic(len in 0usize..64, off: u32, n: u32) {
            let mut buf = vec![0u8; len];
            let mut mem = GuestMemory::new(&mut buf);
            let _ = mem.read(GuestPtr::<u64>::new(off));
            let _ = mem.write(GuestPtr::<u16>::new(off), &1);
            let _ = mem.bytes(Region::new(off, n));
            let _ = mem.direct_mut(Region::new(off, n));
            let _ = mem.read_array(GuestPtr::<u32>::new(off), n % 1000);
            let _ = mem.disjoint_direct_mut(&[Region::new(off, n), Region::new(n, off)]);
            let _ = mem.write_bytes(off, &[7; 9]);
        }
    }
}
