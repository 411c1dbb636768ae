//! `poll_oneoff`: waiting for clocks and descriptors.

use super::Result;
use crate::WasiCtx;
use crate::env::{FdState, Interest};
use crate::table::Descriptor;
use lucent_abi::{
    Clockid, Errno, Event, Eventrwflags, Eventtype, GuestMemory, GuestPtr, Rights, Subclockflags, Subscription,
    SubscriptionKind,
};
use std::sync::Arc;

/// Most subscriptions accepted in one `poll_oneoff` call.
pub const MAX_SUBSCRIPTIONS: u32 = 4096;

/// An event with no payload.
fn event(userdata: u64, kind: Eventtype, error: Errno) -> Event {
    Event { userdata, error, kind, nbytes: 0, flags: Eventrwflags::empty() }
}

/// A clock subscription as a time to wait on the monotonic clock.
struct Timer {
    userdata: u64,
    /// Monotonic time at which it fires.
    deadline: u64,
}

/// The monotonic time at which a clock subscription fires. A relative timeout counts from
/// `start` (the call's start); an absolute one on the monotonic clock is the deadline itself;
/// on another clock, its distance from that clock's now is added to a monotonic reading taken
/// after it, so the deadline is never early. Timeouts on the CPU-time clocks count wall time:
/// a guest waiting uses no CPU, so a CPU-time deadline would otherwise never come.
fn deadline(ctx: &WasiCtx, start: u64, id: Clockid, timeout: u64, precision: u64, flags: Subclockflags) -> Result<u64> {
    // Whether the clock exists at all, checked even for relative timeouts.
    let now = ctx.clocks.now(id, precision)?;
    if !flags.contains(Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME) {
        return Ok(start.saturating_add(timeout));
    }
    if id == Clockid::Monotonic {
        return Ok(timeout);
    }
    let remaining = timeout.saturating_sub(now);
    Ok(ctx.clocks.now(Clockid::Monotonic, 0)?.saturating_add(remaining))
}

/// Rounds a deadline up to the monotonic clock's resolution: a coarsened clock only ever
/// reads multiples of it, so a deadline between two ticks is reached at the next tick, and
/// waiting for exactly that tick avoids waking again and again in between.
fn round_up(deadline: u64, resolution: u64) -> u64 {
    // `None` only when the next multiple is past `u64::MAX` (the resolution is at least 1).
    deadline.checked_next_multiple_of(resolution.max(1)).unwrap_or(u64::MAX)
}

/// The monotonic time a call with clock subscriptions starts at (relative timeouts count from
/// it), or `None` without clock subscriptions.
fn call_start(ctx: &WasiCtx, subscriptions: &[Subscription]) -> Result<Option<u64>> {
    if subscriptions.iter().any(|s| matches!(s.kind, SubscriptionKind::Clock { .. })) {
        Ok(Some(ctx.clocks.now(Clockid::Monotonic, 0)?))
    } else {
        Ok(None)
    }
}

/// Waits for the subscriptions (already decoded from either ABI) and returns the events, for a call that started at `start` ([`call_start`]): the
/// descriptors that are ready, or, if none is before the first timer fires, the timers that
/// fired. A subscription that cannot be waited on (bad descriptor, missing right, unknown
/// clock) gets an event carrying its error, and the call returns at once.
fn poll_from(ctx: &mut WasiCtx, subscriptions: &[Subscription], start: Option<u64>) -> Result<Vec<Event>> {
    if subscriptions.is_empty() {
        return Err(Errno::Inval);
    }
    let mut events = Vec::new();
    let mut timers = Vec::new();
    let mut waits: Vec<(u64, Eventtype, Arc<Descriptor>, Interest)> = Vec::new();
    for sub in subscriptions {
        match sub.kind {
            SubscriptionKind::Clock { id, timeout, precision, flags } => {
                match deadline(ctx, start.unwrap_or(0), id, timeout, precision, flags) {
                    Ok(deadline) => {
                        let resolution = ctx.clocks.resolution(Clockid::Monotonic).unwrap_or(1);
                        timers.push(Timer { userdata: sub.userdata, deadline: round_up(deadline, resolution) });
                    }
                    Err(e) => events.push(event(sub.userdata, Eventtype::Clock, e)),
                }
            }
            SubscriptionKind::FdRead { fd } | SubscriptionKind::FdWrite { fd } => {
                let (kind, interest) = match sub.kind {
                    SubscriptionKind::FdRead { .. } => (Eventtype::FdRead, Interest::Read),
                    _ => (Eventtype::FdWrite, Interest::Write),
                };
                let desc = ctx.table.get(fd).and_then(|d| {
                    d.require(Rights::POLL_FD_READWRITE)?.file()?;
                    Ok(d)
                });
                match desc {
                    Ok(desc) => waits.push((sub.userdata, kind, desc, interest)),
                    Err(e) => events.push(event(sub.userdata, kind, e)),
                }
            }
        }
    }
    loop {
        let now = match start {
            Some(_) => ctx.clocks.now(Clockid::Monotonic, 0)?,
            None => 0,
        };
        // Errors are reported at once; otherwise wait until the first timer.
        let timeout =
            if events.is_empty() { timers.iter().map(|t| t.deadline.saturating_sub(now)).min() } else { Some(0) };
        if waits.is_empty() && timeout == Some(0) && !events.is_empty() {
            break;
        }
        let fds: Vec<(&dyn crate::fs::WasiFile, Interest)> = waits
            .iter()
            .filter_map(|(_, _, desc, interest)| desc.file().ok().map(|f| (f.as_ref(), *interest)))
            .collect();
        let states = ctx.sched.poll(&fds, timeout, &ctx.stop)?;
        for ((userdata, kind, _, _), state) in waits.iter().zip(states) {
            match state {
                FdState::Pending => {}
                FdState::Ready { nbytes, hangup } => {
                    let flags = if hangup { Eventrwflags::FD_READWRITE_HANGUP } else { Eventrwflags::empty() };
                    events.push(Event { userdata: *userdata, error: Errno::Success, kind: *kind, nbytes, flags });
                }
                FdState::Error(e) => events.push(event(*userdata, *kind, e)),
            }
        }
        // Timers that have fired are events too, alongside ready descriptors.
        if start.is_some() {
            let now = ctx.clocks.now(Clockid::Monotonic, 0)?;
            events.extend(
                timers
                    .iter()
                    .filter(|t| t.deadline <= now)
                    .map(|t| event(t.userdata, Eventtype::Clock, Errno::Success)),
            );
        }
        if !events.is_empty() {
            break;
        }
    }
    Ok(events)
}

/// Decodes `n` subscriptions of layout `S`, polls, and writes the events.
pub(crate) fn poll_with<S: lucent_abi::GuestType>(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    input: u32,
    out: u32,
    n: u32,
    nevents: u32,
    convert: impl Fn(S) -> Subscription,
) -> Result {
    PollCall::read_with(ctx, mem, input, out, n, nevents, convert)?.finish(ctx, mem)
}

/// A `poll_oneoff` call taken apart, for an embedder that waits for clocks without holding a
/// thread (an async executor): [`PollCall::read`] decodes the subscriptions and checks the
/// guest's arrays, [`PollCall::sleep`] says how long the call would do nothing but sleep, and
/// [`PollCall::finish`], called once that time has passed, polls and writes the events, as
/// [`poll_oneoff`] does in one go. Relative timeouts count from the [`PollCall::read`].
#[derive(Debug)]
pub struct PollCall {
    subscriptions: Vec<Subscription>,
    out: GuestPtr<Event>,
    nevents: u32,
    start: Option<u64>,
}

/// Which ABI's subscription layout a [`PollCall`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollAbi {
    /// `wasi_snapshot_preview1`'s 48-byte subscription.
    Preview1,
    /// `wasi_unstable`'s 56-byte subscription.
    Preview0,
}

impl PollCall {
    /// Reads a call's `n` subscriptions at `input` and checks the `out` and `nevents` arrays.
    ///
    /// # Errors
    ///
    /// As [`poll_oneoff`], for the arguments.
    pub fn read(
        ctx: &WasiCtx,
        mem: &GuestMemory<'_>,
        abi: PollAbi,
        input: u32,
        out: u32,
        n: u32,
        nevents: u32,
    ) -> Result<PollCall> {
        match abi {
            PollAbi::Preview1 => PollCall::read_with::<Subscription>(ctx, mem, input, out, n, nevents, |s| s),
            PollAbi::Preview0 => {
                PollCall::read_with::<lucent_abi::preview0::Subscription>(ctx, mem, input, out, n, nevents, |s| s.inner)
            }
        }
    }

    fn read_with<S: lucent_abi::GuestType>(
        ctx: &WasiCtx,
        mem: &GuestMemory<'_>,
        input: u32,
        out: u32,
        n: u32,
        nevents: u32,
        convert: impl Fn(S) -> Subscription,
    ) -> Result<PollCall> {
        if n == 0 || n > MAX_SUBSCRIPTIONS {
            return Err(Errno::Inval);
        }
        let subscriptions: Vec<Subscription> =
            mem.read_array(GuestPtr::<S>::new(input), n)?.into_iter().map(convert).collect();
        // The events array has room for one event per subscription; check it before waiting.
        let out = GuestPtr::<Event>::new(out);
        mem.check(out.element(n.checked_sub(1).ok_or(Errno::Inval)?)?)?;
        mem.check(out)?;
        mem.check(GuestPtr::<u32>::new(nevents))?;
        let start = call_start(ctx, &subscriptions)?;
        Ok(PollCall { subscriptions, out, nevents, start })
    }

    /// The nanoseconds of real time the call would spend asleep before anything happens, when
    /// that is all it would do: every subscription is a valid clock one, none has fired yet,
    /// and the context's scheduler sleeps in real time ([`crate::env::WasiSched::sleeps_in_real_time`]).
    /// `None` otherwise: [`PollCall::finish`] answers at once or waits as [`poll_oneoff`] does.
    pub fn sleep(&self, ctx: &WasiCtx) -> Option<u64> {
        let start = self.start?;
        if !ctx.sched.sleeps_in_real_time() {
            return None;
        }
        let resolution = ctx.clocks.resolution(Clockid::Monotonic).unwrap_or(1);
        let mut first = u64::MAX;
        for sub in &self.subscriptions {
            let SubscriptionKind::Clock { id, timeout, precision, flags } = sub.kind else {
                return None;
            };
            first = first.min(round_up(deadline(ctx, start, id, timeout, precision, flags).ok()?, resolution));
        }
        let now = ctx.clocks.now(Clockid::Monotonic, 0).ok()?;
        Some(first.checked_sub(now)?).filter(|&ns| ns > 0)
    }

    /// Polls (at once, if [`PollCall::sleep`]'s time has passed) and writes the events.
    ///
    /// # Errors
    ///
    /// As [`poll_oneoff`].
    pub fn finish(self, ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>) -> Result {
        let events = poll_from(ctx, &self.subscriptions, self.start)?;
        for (i, event) in events.iter().enumerate() {
            mem.write(self.out.element(super::guest_size(i)?)?, event)?;
        }
        super::put(mem, self.nevents, super::guest_size(events.len())?)
    }
}

/// `poll_oneoff(in, out, nsubscriptions) -> nevents`: waits for clocks and descriptors.
///
/// Every clock can be waited on, relative or absolute (`SUBSCRIPTION_CLOCK_ABSTIME`); timeouts
/// on the CPU-time clocks count wall time. Descriptor subscriptions need `POLL_FD_READWRITE`.
/// `nbytes` is what a read would get where the host can tell (pipes, sockets, terminals;
/// the bytes left for a regular file), and the hang-up flag is set when the peer closed.
///
/// # Errors
///
/// `Inval` for no subscriptions or more than [`MAX_SUBSCRIPTIONS`]; `Fault` / `Inval` for
/// the arrays; `Notsup` without a scheduler or clocks. Errors of one subscription are reported
/// in its event instead.
pub fn poll_oneoff(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, input: u32, out: u32, n: u32, nevents: u32) -> Result {
    poll_with::<Subscription>(ctx, mem, input, out, n, nevents, |s| s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn deadlines_round_up_to_the_resolution() {
        assert_eq!(super::round_up(1, 1_000), 1_000);
        assert_eq!(super::round_up(2_000, 1_000), 2_000);
        assert_eq!(super::round_up(7, 1), 7);
        assert_eq!(super::round_up(7, 0), 7);
        assert_eq!(super::round_up(u64::MAX - 1, 1_000), u64::MAX);
    }
}
