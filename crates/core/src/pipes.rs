//! Standard streams in memory, for runners that hand a guest its input and take its output as
//! bytes (the per-request server: the request body on stdin, the response from stdout, bounded).

use crate::env::Interest;
use crate::fs::{Readiness, WasiFile};
use lucent_abi::{Errno, Filestat, Filetype};
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::sync::{Mutex, PoisonError};

/// Reads `bytes` once, then end of file; writes are refused (`badf`), as on a pipe's read end.
#[derive(Debug)]
pub struct InputBytes {
    bytes: Vec<u8>,
    /// How much has been read.
    read: Mutex<usize>,
}

impl InputBytes {
    /// A stream that yields `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        InputBytes { bytes, read: Mutex::new(0) }
    }
}

impl WasiFile for InputBytes {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::Unknown)
    }

    fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        let mut total = 0usize;
        for buf in bufs.iter_mut() {
            let left = self.bytes.get(*read..).unwrap_or_default();
            let n = left.len().min(buf.len());
            let (Some(to), Some(from)) = (buf.get_mut(..n), left.get(..n)) else { break };
            #[allow(clippy::disallowed_methods, reason = "both are `n` bytes long, by `get`")]
            to.copy_from_slice(from);
            *read = read.saturating_add(n);
            total = total.saturating_add(n);
            if n < buf.len() {
                break;
            }
        }
        Ok(total)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(Filestat { filetype: Filetype::Unknown.raw(), nlink: 1, ..Filestat::default() })
    }

    /// Never waits: what is left is there, then end of file.
    fn readiness(&self, _interest: Interest) -> Result<Readiness<'_>, Errno> {
        let read = *self.read.lock().unwrap_or_else(PoisonError::into_inner);
        let left = self.bytes.len().saturating_sub(read);
        Ok(Readiness::Now { nbytes: u64::try_from(left).unwrap_or(u64::MAX), hangup: false })
    }

    crate::pipe_answers!();
}

/// The [`WasiFile`] methods an in-memory stream answers as Linux does for a pipe: no
/// descriptor flags, `advise` is `spipe` (as `posix_fadvise`), `sync` and `datasync` are
/// `inval` (as `fsync`). For use inside an `impl WasiFile` block; the crate using it depends on
/// `lucent-abi`.
#[macro_export]
macro_rules! pipe_answers {
    () => {
        fn fdflags(&self) -> Result<::lucent_abi::Fdflags, ::lucent_abi::Errno> {
            Ok(::lucent_abi::Fdflags::empty())
        }

        fn advise(&self, _offset: u64, _len: u64, _advice: ::lucent_abi::Advice) -> Result<(), ::lucent_abi::Errno> {
            Err(::lucent_abi::Errno::Spipe)
        }

        fn sync(&self) -> Result<(), ::lucent_abi::Errno> {
            Err(::lucent_abi::Errno::Inval)
        }

        fn datasync(&self) -> Result<(), ::lucent_abi::Errno> {
            Err(::lucent_abi::Errno::Inval)
        }
    };
}

/// Collects what is written, up to a limit: a write that would pass it is refused whole
/// (`fbig`) and the stream remembers it overflowed, so that the runner can refuse the output.
#[derive(Debug)]
pub struct OutputBytes {
    limit: usize,
    state: Mutex<Output>,
}

#[derive(Debug, Default)]
struct Output {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl OutputBytes {
    /// A stream that keeps at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        OutputBytes { limit, state: Mutex::default() }
    }

    /// What was written so far, and whether a write was refused for the limit.
    pub fn take(&self) -> (Vec<u8>, bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (std::mem::take(&mut state.bytes), state.overflowed)
    }
}

impl WasiFile for OutputBytes {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::Unknown)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let len = bufs.iter().try_fold(0usize, |total, b| total.checked_add(b.len())).ok_or(Errno::Inval)?;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.bytes.len().checked_add(len).is_none_or(|total| total > self.limit) {
            state.overflowed = true;
            return Err(Errno::Fbig);
        }
        bufs.iter().for_each(|b| state.bytes.extend_from_slice(b));
        Ok(len)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(Filestat { filetype: Filetype::Unknown.raw(), nlink: 1, ..Filestat::default() })
    }

    /// Never waits: a write goes in at once or is refused.
    fn readiness(&self, _interest: Interest) -> Result<Readiness<'_>, Errno> {
        Ok(Readiness::Now { nbytes: 0, hangup: false })
    }

    crate::pipe_answers!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_read_once_across_buffers() {
        let input = InputBytes::new(b"hello world".to_vec());
        let (mut a, mut b) = ([0u8; 4], [0u8; 4]);
        let n = input.read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)]).unwrap();
        assert_eq!((n, &a, &b), (8, b"hell", b"o wo"));
        let mut rest = [0u8; 16];
        assert_eq!(input.read_vectored(&mut [IoSliceMut::new(&mut rest)]), Ok(3));
        assert_eq!(&rest[..3], b"rld");
        assert_eq!(input.read_vectored(&mut [IoSliceMut::new(&mut rest)]), Ok(0));
        assert_eq!(input.write_vectored(&[IoSlice::new(b"x")]), Err(Errno::Badf));
    }

    #[test]
    fn output_keeps_to_its_limit() {
        let output = OutputBytes::new(8);
        assert_eq!(output.write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"de")]), Ok(5));
        assert_eq!(output.write_vectored(&[IoSlice::new(b"fghi")]), Err(Errno::Fbig));
        assert_eq!(output.write_vectored(&[IoSlice::new(b"fgh")]), Ok(3));
        assert_eq!(output.take(), (b"abcdefgh".to_vec(), true));
        assert_eq!(output.read_vectored(&mut [IoSliceMut::new(&mut [0u8; 4])]), Err(Errno::Badf));
    }
}
