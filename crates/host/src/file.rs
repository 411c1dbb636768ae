//! Host files: anything with a file descriptor (regular files, pipes, terminals, sockets).

use crate::errno::{from_host, retry};
use crate::quota::Quota;
use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Riflags, Roflags, Sdflags, Whence};
use lucent_core::fs::{SetTime, WasiFile};
use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, OFlags, SeekFrom};
use rustix::net::{RecvFlags, SendFlags, Shutdown, SocketFlags};
use std::any::Any;
use std::fmt::Debug;
use std::io::{IoSlice, IoSliceMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// A host file descriptor, owned (`OwnedFd`) or borrowed for the life of the process (the
/// standard streams).
#[derive(Debug)]
pub struct HostFile<F = OwnedFd> {
    fd: F,
    /// Shared with the host process (standard streams): its open-file flags are not ours to
    /// change, so `NONBLOCK` is emulated (a zero-timeout `poll` before each read or write).
    shared: bool,
    /// The emulated `NONBLOCK` of a shared descriptor.
    nonblock: AtomicBool,
    /// The quota of the mount this file was opened beneath, if it has one.
    quota: Option<Arc<Quota>>,
    /// The file type, once known: it cannot change while the descriptor is open (an inode
    /// keeps its type), so `path_open` and `fd_fdstat_get` need not `fstat` every time.
    filetype: OnceLock<Filetype>,
}

impl HostFile<OwnedFd> {
    /// Wraps an open file descriptor the guest may use as its own (a file, a pipe, a socket,
    /// a listening socket).
    pub fn new(fd: OwnedFd) -> Self {
        HostFile { fd, shared: false, nonblock: AtomicBool::new(false), quota: None, filetype: OnceLock::new() }
    }

    /// Records the file type, read from a `stat` the caller already made (not for sockets,
    /// whose type needs a `getsockopt`).
    pub(crate) fn with_filetype(self, filetype: Filetype) -> Self {
        if !matches!(filetype, Filetype::SocketStream | Filetype::SocketDgram) {
            let _ = self.filetype.set(filetype);
        }
        self
    }

    /// Charges the bytes this file grows by to `quota`.
    pub(crate) fn with_quota(mut self, quota: Option<Arc<Quota>>) -> Self {
        self.quota = quota;
        self
    }
}

impl HostFile<BorrowedFd<'static>> {
    fn shared(fd: BorrowedFd<'static>) -> Self {
        HostFile { fd, shared: true, nonblock: AtomicBool::new(false), quota: None, filetype: OnceLock::new() }
    }

    /// The host process's standard input.
    pub fn stdin() -> Self {
        Self::shared(rustix::stdio::stdin())
    }

    /// The host process's standard output.
    pub fn stdout() -> Self {
        Self::shared(rustix::stdio::stdout())
    }

    /// The host process's standard error.
    pub fn stderr() -> Self {
        Self::shared(rustix::stdio::stderr())
    }
}

impl<F: AsFd> HostFile<F> {
    /// The descriptor, for the scheduler.
    pub(crate) fn borrow_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Runs `op`, which writes `len` bytes at `at` (`None`: the current position, or the end in
    /// append mode), charging the growth of the file to the quota first and refunding what a
    /// short write did not use. Without a quota, just runs `op`.
    fn charged(&self, at: Option<u64>, len: usize, op: impl FnOnce() -> Result<usize, Errno>) -> Result<usize, Errno> {
        let Some(quota) = &self.quota else { return op() };
        let stat = rustix::fs::fstat(&self.fd).map_err(from_host)?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return op();
        }
        let size = u64::try_from(stat.st_size).unwrap_or(0);
        let append = fdflags(self.fd.as_fd())?.contains(Fdflags::APPEND);
        let start = match at {
            _ if append => size,
            Some(offset) => offset,
            None => rustix::fs::seek(&self.fd, SeekFrom::Current(0)).map_err(from_host)?,
        };
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        let growth = start.saturating_add(len).saturating_sub(size);
        quota.charge(growth)?;
        let result = op();
        let written = result.as_ref().map_or(0, |n| u64::try_from(*n).unwrap_or(0));
        quota.refund(growth.saturating_sub(start.saturating_add(written).saturating_sub(size)));
        result
    }

    /// Charges growing the file to `end` bytes to the quota.
    fn charge_growth_to(&self, end: u64) -> Result<(), Errno> {
        let Some(quota) = &self.quota else { return Ok(()) };
        let size = u64::try_from(rustix::fs::fstat(&self.fd).map_err(from_host)?.st_size).unwrap_or(0);
        quota.charge(end.saturating_sub(size))
    }

    /// For a shared descriptor in emulated non-blocking mode: `Again` unless `flags` is ready.
    /// Whether the mode is emulated (and the descriptor was found ready).
    fn would_block(&self, flags: PollFlags) -> Result<bool, Errno> {
        if !self.shared || !self.nonblock.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let mut fds = [PollFd::new(&self.fd, flags)];
        let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
        match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(0) => Err(Errno::Again),
            Ok(_) => Ok(true),
            Err(e) => Err(from_host(e)),
        }
    }
}

/// Bytes a pipe that `poll` reports writable takes without blocking (POSIX `PIPE_BUF`).
const PIPE_BUF: usize = 4096;

/// The bytes in `bufs`, saturated: it only sizes the quota charge, and a total past
/// `usize::MAX` could not be written anyway (`writev` refuses it).
fn total_len(bufs: &[IoSlice<'_>]) -> usize {
    bufs.iter().fold(0usize, |total, b| total.saturating_add(b.len()))
}

/// The WASI file type of a host file type.
pub(crate) fn filetype(ft: FileType) -> Filetype {
    match ft {
        FileType::RegularFile => Filetype::RegularFile,
        FileType::Directory => Filetype::Directory,
        FileType::Symlink => Filetype::SymbolicLink,
        FileType::CharacterDevice => Filetype::CharacterDevice,
        FileType::BlockDevice => Filetype::BlockDevice,
        FileType::Socket => Filetype::SocketStream,
        FileType::Fifo | FileType::Unknown => Filetype::Unknown,
    }
}

/// Linux's `O_DSYNC`. rustix 1.1 defines `OFlags::DSYNC` as `O_SYNC` (a stronger flag, which
/// also reads back as `SYNC`), so the value is spelled out here; it is 0o10000 on every
/// architecture Lucent builds for (x86_64, aarch64, riscv64).
const O_DSYNC: OFlags = OFlags::from_bits_retain(0o10000);

/// Host open flags for the WASI descriptor flags.
pub(crate) fn oflags(flags: Fdflags) -> OFlags {
    let mut out = OFlags::empty();
    for (wasi, host) in [
        (Fdflags::APPEND, OFlags::APPEND),
        (Fdflags::NONBLOCK, OFlags::NONBLOCK),
        (Fdflags::DSYNC, O_DSYNC),
        (Fdflags::SYNC, OFlags::SYNC),
        (Fdflags::RSYNC, OFlags::RSYNC),
    ] {
        if flags.contains(wasi) {
            out |= host;
        }
    }
    out
}

/// The WASI descriptor flags of an open host descriptor. Linux's `O_RSYNC` is `O_SYNC`, so it
/// reads back as `SYNC`.
pub(crate) fn fdflags(fd: BorrowedFd<'_>) -> Result<Fdflags, Errno> {
    let host = rustix::fs::fcntl_getfl(fd).map_err(from_host)?;
    let mut out = Fdflags::empty();
    if host.contains(OFlags::APPEND) {
        out |= Fdflags::APPEND;
    }
    if host.contains(OFlags::NONBLOCK) {
        out |= Fdflags::NONBLOCK;
    }
    if host.contains(OFlags::SYNC) {
        out |= Fdflags::SYNC;
    } else if host.contains(O_DSYNC) {
        out |= Fdflags::DSYNC;
    }
    Ok(out)
}

impl<F: AsFd + Send + Sync + Debug + 'static> WasiFile for HostFile<F> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        if let Some(known) = self.filetype.get() {
            return Ok(*known);
        }
        let stat = rustix::fs::fstat(&self.fd).map_err(from_host)?;
        let known = match FileType::from_raw_mode(stat.st_mode) {
            FileType::Socket => match rustix::net::sockopt::socket_type(&self.fd) {
                Ok(rustix::net::SocketType::DGRAM) => Filetype::SocketDgram,
                _ => Filetype::SocketStream,
            },
            other => filetype(other),
        };
        Ok(*self.filetype.get_or_init(|| known))
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        let mut flags = fdflags(self.fd.as_fd())?;
        if self.shared && self.nonblock.load(Ordering::Relaxed) {
            flags |= Fdflags::NONBLOCK;
        }
        Ok(flags)
    }

    fn set_fdflags(&self, flags: Fdflags) -> Result<(), Errno> {
        if self.shared {
            // Only NONBLOCK, and only as an emulation: the open file is the host's.
            if (flags ^ fdflags(self.fd.as_fd())?).contains(Fdflags::APPEND) {
                return Err(Errno::Notsup);
            }
            self.nonblock.store(flags.contains(Fdflags::NONBLOCK), Ordering::Relaxed);
            return Ok(());
        }
        let changeable = OFlags::APPEND | OFlags::NONBLOCK;
        let current = rustix::fs::fcntl_getfl(&self.fd).map_err(from_host)?;
        let wanted = current.difference(changeable) | (oflags(flags) & changeable);
        rustix::fs::fcntl_setfl(&self.fd, wanted).map_err(from_host)
    }

    fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        self.would_block(PollFlags::IN)?;
        // One buffer (the common case): `read`, which costs the kernel less than `readv`.
        if let [only] = bufs {
            return retry(|| rustix::io::read(&self.fd, &mut **only));
        }
        retry(|| rustix::io::readv(&self.fd, bufs))
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let capped;
        let bufs = if self.would_block(PollFlags::OUT)? {
            // Emulated non-blocking: `poll` promised room for `PIPE_BUF` bytes, not for more,
            // so write at most that (a short write, which the guest must handle anyway).
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
            capped = [IoSlice::new(first.get(..first.len().min(PIPE_BUF)).unwrap_or_default())];
            &capped[..]
        } else {
            bufs
        };
        self.charged(None, total_len(bufs), || match bufs {
            // One buffer (the common case): `write`, which costs the kernel less than `writev`.
            [only] => retry(|| rustix::io::write(&self.fd, only)),
            _ => retry(|| rustix::io::writev(&self.fd, bufs)),
        })
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64, Errno> {
        let pos = match whence {
            Whence::Set => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
            Whence::Cur => SeekFrom::Current(offset),
            Whence::End => SeekFrom::End(offset),
        };
        rustix::fs::seek(&self.fd, pos).map_err(from_host)
    }

    fn pread_vectored(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize, Errno> {
        retry(|| rustix::io::preadv(&self.fd, bufs, offset))
    }

    fn pwrite_vectored(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize, Errno> {
        self.charged(Some(offset), total_len(bufs), || retry(|| rustix::io::pwritev(&self.fd, bufs, offset)))
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(crate::stat::filestat(&rustix::fs::fstat(&self.fd).map_err(from_host)?))
    }

    fn set_size(&self, size: u64) -> Result<(), Errno> {
        self.charge_growth_to(size)?;
        retry(|| rustix::fs::ftruncate(&self.fd, size))
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        rustix::fs::futimens(&self.fd, &crate::stat::timestamps(atim, mtim)?).map_err(from_host)
    }

    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), Errno> {
        use rustix::fs::Advice as Host;
        let advice = match advice {
            Advice::Normal => Host::Normal,
            Advice::Sequential => Host::Sequential,
            Advice::Random => Host::Random,
            Advice::Willneed => Host::WillNeed,
            Advice::Dontneed => Host::DontNeed,
            Advice::Noreuse => Host::NoReuse,
        };
        rustix::fs::fadvise(&self.fd, offset, std::num::NonZeroU64::new(len), advice).map_err(from_host)
    }

    fn allocate(&self, offset: u64, len: u64) -> Result<(), Errno> {
        self.charge_growth_to(offset.saturating_add(len))?;
        retry(|| rustix::fs::fallocate(&self.fd, rustix::fs::FallocateFlags::empty(), offset, len))
    }

    fn sync(&self) -> Result<(), Errno> {
        retry(|| rustix::fs::fsync(&self.fd))
    }

    fn datasync(&self) -> Result<(), Errno> {
        retry(|| rustix::fs::fdatasync(&self.fd))
    }

    fn sock_accept(&self, nonblock: bool) -> Result<Arc<dyn WasiFile>, Errno> {
        let mut flags = SocketFlags::CLOEXEC;
        if nonblock {
            flags |= SocketFlags::NONBLOCK;
        }
        let fd = retry(|| rustix::net::accept_with(&self.fd, flags))?;
        Ok(Arc::new(HostFile::new(fd)))
    }

    fn sock_recv(&self, bufs: &mut [IoSliceMut<'_>], flags: Riflags) -> Result<(usize, Roflags), Errno> {
        let mut host = RecvFlags::empty();
        if flags.contains(Riflags::RECV_PEEK) {
            host |= RecvFlags::PEEK;
        }
        if flags.contains(Riflags::RECV_WAITALL) {
            host |= RecvFlags::WAITALL;
        }
        let mut control = rustix::net::RecvAncillaryBuffer::default();
        let got = retry(|| rustix::net::recvmsg(&self.fd, bufs, &mut control, host))?;
        let mut out = Roflags::empty();
        if got.flags.contains(rustix::net::ReturnFlags::TRUNC) {
            out |= Roflags::RECV_DATA_TRUNCATED;
        }
        Ok((got.bytes, out))
    }

    fn sock_send(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let mut control = rustix::net::SendAncillaryBuffer::default();
        retry(|| rustix::net::sendmsg(&self.fd, bufs, &mut control, SendFlags::NOSIGNAL))
    }

    fn sock_shutdown(&self, how: Sdflags) -> Result<(), Errno> {
        let how = match (how.contains(Sdflags::RD), how.contains(Sdflags::WR)) {
            (true, true) => Shutdown::Both,
            (true, false) => Shutdown::Read,
            (false, true) => Shutdown::Write,
            (false, false) => return Err(Errno::Inval),
        };
        rustix::net::shutdown(&self.fd, how).map_err(from_host)
    }
}
