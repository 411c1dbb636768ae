//! The host scheduler: `ppoll(2)` on the descriptors and on the instance's stop `eventfd`.

use crate::errno::from_host;
use lucent_abi::Errno;
use lucent_core::env::{FdState, Interest, WasiSched};
use lucent_core::fs::{Readiness, WasiFile};
use lucent_core::stop::{Stop, Wakeup};
use rustix::event::{EventfdFlags, PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::time::{ClockId, Timespec};
use std::any::Any;
use std::sync::Arc;

const NANOS: u64 = 1_000_000_000;

/// Longest single wait when the host cannot make an `eventfd` for the stop signal: the wait
/// is cut into slices this long, and the signal looked at between them.
const STOP_SLICE_NS: u64 = 10_000_000;

/// The host's scheduler. Waits have nanosecond resolution (`ppoll`), so a sleep does not
/// overshoot by a timer tick, and every wait also watches the instance's stop signal, so
/// that stopping an instance ends its waits at once.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostSched;

fn timespec(ns: u64) -> Timespec {
    Timespec { tv_sec: i64::try_from(ns / NANOS).unwrap_or(i64::MAX), tv_nsec: i64::try_from(ns % NANOS).unwrap_or(0) }
}

/// The host side of a [`Stop`]: an `eventfd` that turns readable when the instance is asked
/// to stop (`None` if the host would not make one).
#[derive(Debug)]
struct StopFd(Option<OwnedFd>);

impl Wakeup for StopFd {
    fn wake(&self) {
        if let Some(fd) = &self.0 {
            let _ = rustix::io::write(fd, &1u64.to_ne_bytes());
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The stop signal's `eventfd`, made on first use.
fn stop_fd(stop: &Stop) -> Option<BorrowedFd<'_>> {
    let wakeup = stop
        .wakeup(|| Arc::new(StopFd(rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).ok())));
    wakeup.as_any().downcast_ref::<StopFd>().and_then(|s| s.0.as_ref()).map(AsFd::as_fd)
}

/// Monotonic time now, in nanoseconds.
fn now() -> u64 {
    let t = rustix::time::clock_gettime(ClockId::Monotonic);
    u64::try_from(t.tv_sec).unwrap_or(0).saturating_mul(NANOS).saturating_add(u64::try_from(t.tv_nsec).unwrap_or(0))
}

/// `ppoll` on `fds` and the stop descriptor for at most `timeout` (a signal may end it
/// early; callers look again).
fn wait<'a>(fds: &mut Vec<PollFd<'a>>, stop_fd: Option<BorrowedFd<'a>>, timeout: Option<u64>) -> Result<(), Errno> {
    let timeout = match stop_fd {
        Some(fd) => {
            fds.push(PollFd::from_borrowed_fd(fd, PollFlags::IN));
            timeout
        }
        None => Some(timeout.map_or(STOP_SLICE_NS, |t| t.min(STOP_SLICE_NS))),
    };
    let ts = timeout.map(timespec);
    let result = rustix::event::poll(fds, ts.as_ref());
    if stop_fd.is_some() {
        fds.pop();
    }
    match result {
        Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
        Err(e) => Err(from_host(e)),
    }
}

/// Sleeps for `ns`, unless the stop signal comes first.
fn sleep(ns: u64, stop: &Stop, stop_fd: Option<BorrowedFd<'_>>) -> Result<(), Errno> {
    let deadline = now().saturating_add(ns);
    loop {
        let left = deadline.saturating_sub(now());
        if left == 0 {
            return Ok(());
        }
        wait(&mut Vec::new(), stop_fd, Some(left))?;
        stop.check()?;
    }
}

impl WasiSched for HostSched {
    fn sleeps_in_real_time(&self) -> bool {
        true
    }

    fn poll(
        &self,
        fds: &[(&dyn WasiFile, Interest)],
        timeout: Option<u64>,
        stop: &Stop,
    ) -> Result<Vec<FdState>, Errno> {
        // The descriptor first, then the check: a stop given before it existed woke nothing.
        let stop_fd = stop_fd(stop);
        stop.check()?;
        if fds.is_empty() {
            sleep(timeout.ok_or(Errno::Inval)?, stop, stop_fd)?;
            return Ok(Vec::new());
        }
        let mut states = vec![FdState::Pending; fds.len()];
        let mut polled: Vec<(usize, PollFd<'_>)> = Vec::new();
        for (i, (file, interest)) in fds.iter().enumerate() {
            let fd = match file.readiness(*interest) {
                Ok(Readiness::HostFd(fd)) => fd,
                Ok(Readiness::Now { nbytes, hangup }) => {
                    if let Some(state) = states.get_mut(i) {
                        *state = FdState::Ready { nbytes, hangup };
                    }
                    continue;
                }
                Err(e) => {
                    if let Some(state) = states.get_mut(i) {
                        *state = FdState::Error(e);
                    }
                    continue;
                }
            };
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
                sleep(timeout.ok_or(Errno::Inval)?, stop, stop_fd)?;
            }
            return Ok(states);
        }
        let mut pollfds: Vec<PollFd<'_>> = polled.iter().map(|(_, p)| p.clone()).collect();
        wait(&mut pollfds, stop_fd, timeout)?;
        stop.check()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::HostFile;
    use std::time::{Duration, Instant};

    #[test]
    fn a_stop_ends_a_sleep_and_a_wait_at_once() {
        let stop = Arc::new(Stop::new());
        let stopper = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                stop.stop();
            })
        };
        let started = Instant::now();
        assert_eq!(HostSched.poll(&[], Some(30 * NANOS), &stop), Err(Errno::Canceled));
        assert!(started.elapsed() < Duration::from_secs(10));
        stopper.join().unwrap();
        // A descriptor wait, after the stop: at once.
        let (reader, _writer) = std::io::pipe().unwrap();
        let file = HostFile::new(reader.into());
        assert_eq!(HostSched.poll(&[(&file, Interest::Read)], None, &stop), Err(Errno::Canceled));
    }

    #[test]
    fn in_memory_streams_are_ready_at_once_beside_host_descriptors() {
        use lucent_core::pipes::{InputBytes, OutputBytes};
        let stop = Stop::new();
        let (input, output) = (InputBytes::new(b"body".to_vec()), OutputBytes::new(16));
        let (reader, _writer) = std::io::pipe().unwrap();
        let pipe = HostFile::new(reader.into());
        let fds: [(&dyn WasiFile, Interest); 3] =
            [(&input, Interest::Read), (&output, Interest::Write), (&pipe, Interest::Read)];
        let states = HostSched.poll(&fds, None, &stop).unwrap();
        assert_eq!(
            states,
            vec![
                FdState::Ready { nbytes: 4, hangup: false },
                FdState::Ready { nbytes: 0, hangup: false },
                // An empty pipe with a writer: not ready, and the ready ones did not wait for it.
                FdState::Pending,
            ]
        );
    }

    #[test]
    fn sleeps_last_as_long_as_asked() {
        let stop = Stop::new();
        let started = Instant::now();
        assert_eq!(HostSched.poll(&[], Some(20_000_000), &stop), Ok(vec![]));
        assert!(started.elapsed() >= Duration::from_millis(20));
    }
}
