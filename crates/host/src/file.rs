//! Host files: anything with a file descriptor (regular files, pipes, terminals, sockets).

use crate::errno::{from_host, retry};
use lucent_abi::{Advice, Errno, Fdflags, Filestat, Filetype, Riflags, Roflags, Sdflags, Whence};
use lucent_core::env::Interest;
use lucent_core::fs::{Readiness, SetTime, WasiFile};
use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, SeekFrom, Stat};
use rustix::net::{RecvFlags, SendFlags, Shutdown, SocketFlags};
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// How a host descriptor is kept from blocking the thread (the core does the waiting,
/// through the scheduler, so that a stopped instance's waits end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waits {
    /// It never waits: regular files, directories, block devices, and the memory devices
    /// (`/dev/null`, `/dev/zero`, `/dev/urandom`...).
    Never,
    /// Its open file description is ours and set non-blocking on the host: an operation that
    /// would wait returns `EAGAIN` (pipes, FIFOs, sockets, terminals, other devices).
    NonBlocking,
    /// Shared with the host process (one of its standard streams), whose flags are not ours
    /// to change: a zero-timeout `poll` before each operation says whether it would wait, and
    /// a write is cut to what `poll` promises room for.
    Polled,
    /// A socket shared with the host process: each call passes `MSG_DONTWAIT`.
    SharedSocket,
}

/// Character devices of major number 1 (`mem`: null, zero, full, random, urandom...) never
/// make a reader or writer wait.
const MEM_MAJOR: u32 = 1;

/// How a descriptor of type `ft` (with device number `rdev`) waits, if its description is
/// ours (`owned`) or the host process's.
fn waits(ft: FileType, rdev: u64, owned: bool) -> Waits {
    match ft {
        FileType::RegularFile | FileType::Directory | FileType::BlockDevice => Waits::Never,
        FileType::CharacterDevice if rustix::fs::major(rdev) == MEM_MAJOR => Waits::Never,
        FileType::Socket if !owned => Waits::SharedSocket,
        _ if owned => Waits::NonBlocking,
        _ => Waits::Polled,
    }
}

/// A host file descriptor: a regular file, a pipe or FIFO, a terminal, a socket, a device.
#[derive(Debug)]
pub struct HostFile {
    fd: OwnedFd,
    /// One of the host process's standard streams (a duplicate, or the same pipe opened
    /// again): its `APPEND` flag is not the guest's to change.
    shared: bool,
    /// How an operation is kept from waiting.
    waits: Waits,
    /// The guest's `NONBLOCK`: whether it gets `Again` or the core waits.
    nonblock: AtomicBool,
    /// A FIFO the guest opened for reading, wanting to wait for a writer (a blocking open):
    /// until one has come, having no writer is not yet the end of the file.
    awaiting_writer: AtomicBool,
    /// The file type: it cannot change while the descriptor is open (an inode keeps its type).
    filetype: OnceLock<Filetype>,
}

impl HostFile {
    /// Wraps an open file descriptor the guest may use as its own (a file, a pipe, a socket,
    /// a listening socket). The description becomes non-blocking on the host where it could
    /// wait (the guest still sees its `NONBLOCK` flag as it was).
    pub fn new(fd: OwnedFd) -> Self {
        let nonblock = rustix::fs::fcntl_getfl(&fd).is_ok_and(|fl| fl.contains(OFlags::NONBLOCK));
        let waits = match rustix::fs::fstat(&fd) {
            Ok(st) => waits(FileType::from_raw_mode(st.st_mode), st.st_rdev, true),
            Err(_) => Waits::Never,
        };
        if waits == Waits::NonBlocking {
            let _ = set_host_nonblock(&fd);
        }
        HostFile::with_waits(fd, waits, nonblock)
    }

    fn with_waits(fd: OwnedFd, waits: Waits, nonblock: bool) -> Self {
        HostFile {
            fd,
            shared: false,
            waits,
            nonblock: AtomicBool::new(nonblock),
            awaiting_writer: AtomicBool::new(false),
            filetype: OnceLock::new(),
        }
    }

    /// A file `HostDir` opened (with `O_NONBLOCK`, so that opening a FIFO never waits), of
    /// the type and device `st` gives; `nonblock` is what the guest asked for, `read`
    /// whether it was opened for reading.
    pub(crate) fn opened(fd: OwnedFd, st: &Stat, nonblock: bool, read: bool) -> Self {
        let ft = FileType::from_raw_mode(st.st_mode);
        let file = HostFile::with_waits(fd, waits(ft, st.st_rdev, true), nonblock);
        // A blocking open of a FIFO would have waited for a writer; its reads do instead.
        file.awaiting_writer.store(ft == FileType::Fifo && read && !nonblock, Ordering::Relaxed);
        let _ = file.filetype.set(filetype(ft));
        file
    }

    /// One of the host process's standard streams, for the guest. A pipe, FIFO, terminal or
    /// other device that can make a caller wait is opened again through `/proc/self/fd` (a
    /// description of our own, which can be made non-blocking without touching the host's);
    /// anything else, or when that fails, is duplicated and shared.
    fn standard(fd: BorrowedFd<'static>, write: bool) -> std::io::Result<Self> {
        let st = rustix::fs::fstat(fd)?;
        let ft = FileType::from_raw_mode(st.st_mode);
        let may_wait = matches!(ft, FileType::Fifo | FileType::CharacterDevice)
            && waits(ft, st.st_rdev, true) == Waits::NonBlocking;
        if may_wait {
            let access = if write { OFlags::WRONLY } else { OFlags::RDONLY };
            let path = format!("/proc/self/fd/{}", rustix::fd::AsRawFd::as_raw_fd(&fd));
            let flags = access | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
            if let Ok(own) = rustix::fs::open(path.as_str(), flags, Mode::empty()) {
                // Still the host's stream to the guest: its flags stay as they are.
                let mut file = HostFile::with_waits(own, Waits::NonBlocking, false);
                file.shared = true;
                let _ = file.filetype.set(filetype(ft));
                return Ok(file);
            }
        }
        let dup = rustix::io::fcntl_dupfd_cloexec(fd, 3)?;
        let mut file = HostFile::with_waits(dup, waits(ft, st.st_rdev, false), false);
        file.shared = true;
        Ok(file)
    }

    /// The host process's standard input.
    ///
    /// # Errors
    ///
    /// If the process has no standard input open.
    pub fn stdin() -> std::io::Result<Self> {
        Self::standard(rustix::stdio::stdin(), false)
    }

    /// The host process's standard output.
    ///
    /// # Errors
    ///
    /// If the process has no standard output open.
    pub fn stdout() -> std::io::Result<Self> {
        Self::standard(rustix::stdio::stdout(), true)
    }

    /// The host process's standard error.
    ///
    /// # Errors
    ///
    /// If the process has no standard error open.
    pub fn stderr() -> std::io::Result<Self> {
        Self::standard(rustix::stdio::stderr(), true)
    }

    /// Whether a shared descriptor is ready for `flags` now (a zero-timeout `poll`).
    fn ready(&self, flags: PollFlags) -> Result<bool, Errno> {
        let mut fds = [PollFd::new(&self.fd, flags)];
        let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
        match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => Err(from_host(e)),
        }
    }

    /// A read of a FIFO opened to wait for a writer found none: the end of the file if a
    /// writer came and went (a hang-up), the data if one has just written, else `Again`.
    fn writer_came(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
        let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
        let revents = match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(_) => fds.first().map_or(PollFlags::empty(), PollFd::revents),
            Err(e) => return Err(from_host(e)),
        };
        if revents.contains(PollFlags::IN) {
            self.awaiting_writer.store(false, Ordering::Relaxed);
            return self.plain_read(bufs);
        }
        if revents.contains(PollFlags::HUP) {
            self.awaiting_writer.store(false, Ordering::Relaxed);
            return Ok(0);
        }
        Err(Errno::Again)
    }

    fn plain_read(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        // One buffer (the common case): `read`, which costs the kernel less than `readv`.
        if let [only] = bufs {
            return retry(|| rustix::io::read(&self.fd, &mut **only));
        }
        retry(|| rustix::io::readv(&self.fd, bufs))
    }

    fn recv(&self, bufs: &mut [IoSliceMut<'_>], flags: RecvFlags) -> Result<(usize, Roflags), Errno> {
        let mut control = rustix::net::RecvAncillaryBuffer::default();
        let got = retry(|| rustix::net::recvmsg(&self.fd, bufs, &mut control, flags | RecvFlags::DONTWAIT))?;
        let mut out = Roflags::empty();
        if got.flags.contains(rustix::net::ReturnFlags::TRUNC) {
            out |= Roflags::RECV_DATA_TRUNCATED;
        }
        Ok((got.bytes, out))
    }

    fn send(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let mut control = rustix::net::SendAncillaryBuffer::default();
        retry(|| rustix::net::sendmsg(&self.fd, bufs, &mut control, SendFlags::NOSIGNAL | SendFlags::DONTWAIT))
    }
}

/// Sets `O_NONBLOCK` on a description that is ours.
fn set_host_nonblock(fd: &OwnedFd) -> Result<(), Errno> {
    let flags = rustix::fs::fcntl_getfl(fd).map_err(from_host)?;
    if !flags.contains(OFlags::NONBLOCK) {
        rustix::fs::fcntl_setfl(fd, flags | OFlags::NONBLOCK).map_err(from_host)?;
    }
    Ok(())
}

/// Bytes a pipe that `poll` reports writable takes without blocking (POSIX `PIPE_BUF`).
const PIPE_BUF: usize = 4096;

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

impl WasiFile for HostFile {
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

    /// Regular files are always ready (as POSIX `poll` says), a read getting what is left
    /// after the position; anything else is ready when the host says so.
    fn readiness(&self, interest: Interest) -> Result<Readiness<'_>, Errno> {
        if self.filetype()? != Filetype::RegularFile {
            return Ok(Readiness::HostFd(self.fd.as_fd()));
        }
        let nbytes = match interest {
            Interest::Read => {
                let size = rustix::fs::fstat(&self.fd).map_err(from_host)?.st_size;
                let pos = rustix::fs::seek(&self.fd, rustix::fs::SeekFrom::Current(0)).unwrap_or(0);
                u64::try_from(size).unwrap_or(0).saturating_sub(pos)
            }
            Interest::Write => 0,
        };
        Ok(Readiness::Now { nbytes, hangup: false })
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        let mut flags = fdflags(self.fd.as_fd())?.difference(Fdflags::NONBLOCK);
        if self.nonblock.load(Ordering::Relaxed) {
            flags |= Fdflags::NONBLOCK;
        }
        Ok(flags)
    }

    fn set_fdflags(&self, flags: Fdflags) -> Result<(), Errno> {
        let current = rustix::fs::fcntl_getfl(&self.fd).map_err(from_host)?;
        let append = flags.contains(Fdflags::APPEND);
        if append != current.contains(OFlags::APPEND) {
            if self.shared {
                // The open file is the host's.
                return Err(Errno::Notsup);
            }
            let wanted = if append { current | OFlags::APPEND } else { current.difference(OFlags::APPEND) };
            rustix::fs::fcntl_setfl(&self.fd, wanted).map_err(from_host)?;
        }
        // NONBLOCK is the guest's view only: the host description stays as it is.
        self.nonblock.store(flags.contains(Fdflags::NONBLOCK), Ordering::Relaxed);
        Ok(())
    }

    fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
        match self.waits {
            Waits::SharedSocket => return self.recv(bufs, RecvFlags::empty()).map(|(n, _)| n),
            Waits::Polled if !self.ready(PollFlags::IN)? => return Err(Errno::Again),
            _ => {}
        }
        let n = self.plain_read(bufs)?;
        if n == 0 && self.awaiting_writer.load(Ordering::Relaxed) && !bufs.iter().all(|b| b.is_empty()) {
            return self.writer_came(bufs);
        }
        Ok(n)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let capped;
        let bufs = match self.waits {
            Waits::SharedSocket => return self.send(bufs),
            Waits::Polled => {
                if !self.ready(PollFlags::OUT)? {
                    return Err(Errno::Again);
                }
                // `poll` promised room for `PIPE_BUF` bytes, not for more: write at most that
                // (a short write; the core writes the rest when there is room).
                let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
                capped = [IoSlice::new(first.get(..first.len().min(PIPE_BUF)).unwrap_or_default())];
                &capped[..]
            }
            Waits::Never | Waits::NonBlocking => bufs,
        };
        match bufs {
            // One buffer (the common case): `write`, which costs the kernel less than `writev`.
            [only] => retry(|| rustix::io::write(&self.fd, only)),
            _ => retry(|| rustix::io::writev(&self.fd, bufs)),
        }
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
        retry(|| rustix::io::pwritev(&self.fd, bufs, offset))
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(crate::stat::filestat(&rustix::fs::fstat(&self.fd).map_err(from_host)?))
    }

    fn set_size(&self, size: u64) -> Result<(), Errno> {
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
        retry(|| rustix::fs::fallocate(&self.fd, rustix::fs::FallocateFlags::empty(), offset, len))
    }

    fn sync(&self) -> Result<(), Errno> {
        retry(|| rustix::fs::fsync(&self.fd))
    }

    fn datasync(&self) -> Result<(), Errno> {
        retry(|| rustix::fs::fdatasync(&self.fd))
    }

    fn sock_accept(&self, nonblock: bool) -> Result<Arc<dyn WasiFile>, Errno> {
        if matches!(self.waits, Waits::Polled | Waits::SharedSocket) && !self.ready(PollFlags::IN)? {
            return Err(Errno::Again);
        }
        // Non-blocking on the host whatever the guest asked: the core does any waiting.
        let fd = retry(|| rustix::net::accept_with(&self.fd, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK))?;
        let socket = HostFile::with_waits(fd, Waits::NonBlocking, nonblock);
        let _ = socket.filetype.set(Filetype::SocketStream);
        Ok(Arc::new(socket))
    }

    fn sock_recv(&self, bufs: &mut [IoSliceMut<'_>], flags: Riflags) -> Result<(usize, Roflags), Errno> {
        let mut host = RecvFlags::empty();
        if flags.contains(Riflags::RECV_PEEK) {
            host |= RecvFlags::PEEK;
        }
        if flags.contains(Riflags::RECV_WAITALL) {
            host |= RecvFlags::WAITALL;
        }
        self.recv(bufs, host)
    }

    fn sock_send(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        self.send(bufs)
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
