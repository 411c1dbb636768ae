//! Checked access to a guest's linear memory.
//!
//! Guest pointers are 32-bit offsets ([`GuestPtr`]); every access checks bounds (`Fault`) and
//! alignment (`Inval`) before touching a byte, and never hands out a raw pointer. Reads and
//! writes of records go through [`GuestType`], which encodes little-endian byte by byte, so no
//! `unsafe` is needed and host layout never leaks into the guest.

use crate::Errno;
use core::marker::PhantomData;
use core::ops::Range;

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

/// A guest's linear memory, borrowed for the duration of one hostcall.
#[derive(Debug)]
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    /// Wraps the bytes of a linear memory.
    #[inline]
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    /// The size of the memory in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the memory has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    #[inline]
    fn range(&self, region: Region, align: u32) -> Result<Range<usize>, Errno> {
        let start = usize::try_from(region.offset).map_err(|_| Errno::Fault)?;
        let len = usize::try_from(region.len).map_err(|_| Errno::Fault)?;
        let end = start.checked_add(len).ok_or(Errno::Fault)?;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        if align > 1 && !region.offset.is_multiple_of(align) {
            return Err(Errno::Inval);
        }
        Ok(start..end)
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
    pub fn read<T: GuestType>(&self, ptr: GuestPtr<T>) -> Result<T, Errno> {
        let range = self.range(Region::new(ptr.offset, T::SIZE), T::ALIGN)?;
        T::decode(self.bytes.get(range).ok_or(Errno::Fault)?)
    }

    /// Writes `value` at `ptr`.
    ///
    /// # Errors
    ///
    /// `Fault` if it lies outside memory, `Inval` if misaligned.
    pub fn write<T: GuestType>(&mut self, ptr: GuestPtr<T>, value: &T) -> Result<(), Errno> {
        let range = self.range(Region::new(ptr.offset, T::SIZE), T::ALIGN)?;
        value.encode(self.bytes.get_mut(range).ok_or(Errno::Fault)?);
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
    /// advanced (nothing is allocated). The whole array's bounds and alignment are checked
    /// first, as [`GuestMemory::read_array`] does.
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
        let range = self.range(Region::new(ptr.offset, total), T::ALIGN)?;
        let bytes = self.bytes.get(range).ok_or(Errno::Fault)?;
        let size = usize::try_from(T::SIZE).map_err(|_| Errno::Fault)?;
        #[allow(clippy::disallowed_methods, reason = "the chunk size is at least 1")]
        let records = bytes.chunks_exact(size.max(1));
        Ok(records.map(T::decode))
    }

    /// The bytes of `region`, to read.
    ///
    /// # Errors
    ///
    /// `Fault` if the region lies outside memory.
    pub fn bytes(&self, region: Region) -> Result<&[u8], Errno> {
        let range = self.range(region, 1)?;
        self.bytes.get(range).ok_or(Errno::Fault)
    }

    /// The bytes of `region`, to write.
    ///
    /// # Errors
    ///
    /// `Fault` if the region lies outside memory.
    pub fn bytes_mut(&mut self, region: Region) -> Result<&mut [u8], Errno> {
        let range = self.range(region, 1)?;
        self.bytes.get_mut(range).ok_or(Errno::Fault)
    }

    /// Copies `src` into guest memory at `offset`.
    ///
    /// # Errors
    ///
    /// `Fault` if the bytes do not all lie inside memory.
    pub fn write_bytes(&mut self, offset: u32, src: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(src.len()).map_err(|_| Errno::Fault)?;
        let dst = self.bytes_mut(Region::new(offset, len))?;
        if dst.len() != src.len() {
            return Err(Errno::Fault);
        }
        #[allow(clippy::disallowed_methods, reason = "the lengths are equal: checked just above")]
        dst.copy_from_slice(src);
        Ok(())
    }

    /// Several regions at once, to write into (for `readv`-style calls).
    ///
    /// Returns the slices in the order the regions were given, or `Ok(None)` if two non-empty
    /// regions overlap: the guest may name overlapping buffers, which cannot be lent out as
    /// separate mutable slices, and the caller then falls back to one buffer at a time.
    ///
    /// # Errors
    ///
    /// `Fault` if any region lies outside memory.
    pub fn disjoint_bytes_mut(&mut self, regions: &[Region]) -> Result<Option<Vec<&mut [u8]>>, Errno> {
        let mut order: Vec<(usize, Range<usize>)> = Vec::with_capacity(regions.len());
        for (i, region) in regions.iter().enumerate() {
            order.push((i, self.range(*region, 1)?));
        }
        order.sort_by_key(|(_, r)| r.start);
        let mut slots: Vec<Option<&mut [u8]>> = (0..regions.len()).map(|_| None).collect();
        let mut rest: &mut [u8] = &mut *self.bytes;
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
        assert_eq!(mem.bytes(Region::new(16, 0)).map(<[u8]>::len), Ok(0));
        assert_eq!(mem.bytes(Region::new(17, 0)).map(<[u8]>::len), Err(Errno::Fault));
        assert_eq!(mem.bytes(Region::new(u32::MAX, u32::MAX)).map(<[u8]>::len), Err(Errno::Fault));
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
        let slices = mem.disjoint_bytes_mut(&regions).unwrap().unwrap();
        assert_eq!(slices[0], &[20, 21, 22, 23]);
        assert_eq!(slices[1], &[0, 1]);
        assert!(slices[2].is_empty());
        let overlapping = [Region::new(0, 4), Region::new(3, 4)];
        assert!(mem.disjoint_bytes_mut(&overlapping).unwrap().is_none());
        let outside = [Region::new(30, 4)];
        assert_eq!(mem.disjoint_bytes_mut(&outside).err(), Some(Errno::Fault));
    }

    proptest::proptest! {
        #[test]
        fn accessors_never_panic(len in 0usize..64, off: u32, n: u32) {
            let mut buf = vec![0u8; len];
            let mut mem = GuestMemory::new(&mut buf);
            let _ = mem.read(GuestPtr::<u64>::new(off));
            let _ = mem.write(GuestPtr::<u16>::new(off), &1);
            let _ = mem.bytes(Region::new(off, n));
            let _ = mem.bytes_mut(Region::new(off, n));
            let _ = mem.read_array(GuestPtr::<u32>::new(off), n % 1000);
            let _ = mem.disjoint_bytes_mut(&[Region::new(off, n), Region::new(n, off)]);
            let _ = mem.write_bytes(off, &[7; 9]);
        }
    }
}
