//! The host scheduler: `poll(2)` for descriptors, `clock_nanosleep` for plain sleeps.

use crate::errno::from_host;
use crate::file::HostFile;
use lucent_abi::Errno;
use lucent_core::env::{FdState, Interest, WasiSched};
use lucent_core::fs::WasiFile;
use rustix::event::{PollFd, PollFlags};
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::fs::FileType;
use rustix::thread::NanosleepRelativeResult;
use rustix::time::{ClockId, Timespec};

const NANOS: u64 = 1_000_000_000;

/// The host's scheduler. Waits have nanosecond resolution (`ppoll`, `clock_nanosleep`), so a
/// sleep does not overshoot by a timer tick.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostSched;

fn timespec(ns: u64) -> Timespec {
    Timespec { tv_sec: i64::try_from(ns / NANOS).unwrap_or(i64::MAX), tv_nsec: i64::try_from(ns % NANOS).unwrap_or(0) }
}

/// The host descriptor behind a guest file, if it is one of ours.
fn host_fd(file: &dyn WasiFile) -> Option<BorrowedFd<'_>> {
    let any = file.as_any();
    any.downcast_ref::<HostFile<OwnedFd>>()
        .map(HostFile::borrow_fd)
        .or_else(|| any.downcast_ref::<HostFile<BorrowedFd<'static>>>().map(HostFile::borrow_fd))
}

/// Regular files are always ready (as POSIX `poll` says); a read would get what is left after
/// the position.
fn regular_file_state(fd: BorrowedFd<'_>, interest: Interest) -> Option<FdState> {
    let stat = rustix::fs::fstat(fd).ok()?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return None;
    }
    let nbytes = match interest {
        Interest::Read => {
            let pos = rustix::fs::seek(fd, rustix::fs::SeekFrom::Current(0)).unwrap_or(0);
            u64::try_from(stat.st_size).unwrap_or(0).saturating_sub(pos)
        }
        Interest::Write => 0,
    };
    Some(FdState::Ready { nbytes, hangup: false })
}

fn sleep(ns: u64) {
    let mut left = timespec(ns);
    while let NanosleepRelativeResult::Interrupted(rest) =
        rustix::thread::clock_nanosleep_relative(ClockId::Monotonic, &left)
    {
        left = rest;
    }
}

impl WasiSched for HostSched {
    fn poll(&self, fds: &[(&dyn WasiFile, Interest)], timeout: Option<u64>) -> Result<Vec<FdState>, Errno> {
        if fds.is_empty() {
            sleep(timeout.ok_or(Errno::Inval)?);
            return Ok(Vec::new());
        }
        let mut states = vec![FdState::Pending; fds.len()];
        let mut polled: Vec<(usize, PollFd<'_>)> = Vec::new();
        for (i, (file, interest)) in fds.iter().enumerate() {
            let Some(fd) = host_fd(*file) else {
                if let Some(state) = states.get_mut(i) {
                    *state = FdState::Error(Errno::Notsup);
                }
                continue;
            };
            if let Some(ready) = regular_file_state(fd, *interest) {
                if let Some(state) = states.get_mut(i) {
                    *state = ready;
                }
                continue;
            }
            let flags = match interest {
                // RDHUP: the peer closed its end (Linux raises HUP only when both are shut).
                Interest::Read => PollFlags::IN | PollFlags::RDHUP,
                Interest::Write => PollFlags::OUT,
            };
            polled.push((i, PollFd::from_borrowed_fd(fd, flags)));
        }
        let anything_ready = states.iter().any(|s| *s != FdState::Pending);
        let timeout = if anything_ready { Some(0) } else { timeout };
        if polled.is_empty() {
            if !anything_ready {
                sleep(timeout.ok_or(Errno::Inval)?);
            }
            return Ok(states);
        }
        let mut pollfds: Vec<PollFd<'_>> = polled.iter().map(|(_, p)| p.clone()).collect();
        let ts = timeout.map(timespec);
        match rustix::event::poll(&mut pollfds, ts.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(states),
            Err(e) => return Err(from_host(e)),
        }
        for ((i, _), pollfd) in polled.iter().zip(&pollfds) {
            let revents = pollfd.revents();
            if revents.is_empty() {
                continue;
            }
            let state = if revents.contains(PollFlags::NVAL) {
                FdState::Error(Errno::Badf)
            } else {
                let hangup = revents.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::RDHUP);
                let nbytes =
                    if revents.contains(PollFlags::IN) { rustix::io::ioctl_fionread(pollfd).unwrap_or(0) } else { 0 };
                FdState::Ready { nbytes, hangup }
            };
            if let Some(slot) = states.get_mut(*i) {
                *slot = state;
            }
        }
        Ok(states)
    }

    fn yield_now(&self) {
        rustix::thread::sched_yield();
    }
}
