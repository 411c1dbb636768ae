//! `poll_oneoff`: waiting for clocks and descriptors.

use super::Result;
use crate::WasiCtx;
use lucent_abi::{Errno, Event, GuestMemory, GuestPtr, Subscription};

/// Most subscriptions accepted in one `poll_oneoff` call.
pub const MAX_SUBSCRIPTIONS: u32 = 4096;

/// Waits for the subscriptions (already decoded from either ABI). Not implemented yet.
pub(crate) fn poll(_ctx: &mut WasiCtx, subscriptions: &[Subscription]) -> Result<Vec<Event>> {
    if subscriptions.is_empty() {
        return Err(Errno::Inval);
    }
    Err(Errno::Nosys)
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
    if n > MAX_SUBSCRIPTIONS {
        return Err(Errno::Inval);
    }
    let subscriptions: Vec<Subscription> =
        mem.read_array(GuestPtr::<S>::new(input), n)?.into_iter().map(convert).collect();
    let events = poll(ctx, &subscriptions)?;
    let out = GuestPtr::<Event>::new(out);
    for (i, event) in events.iter().enumerate() {
        mem.write(out.element(super::guest_size(i)?)?, event)?;
    }
    super::put(mem, nevents, super::guest_size(events.len())?)
}

/// `poll_oneoff(in, out, nsubscriptions) -> nevents`: not implemented yet.
///
/// # Errors
///
/// `Inval` for zero subscriptions; `Nosys` otherwise.
pub fn poll_oneoff(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, input: u32, out: u32, n: u32, nevents: u32) -> Result {
    poll_with::<Subscription>(ctx, mem, input, out, n, nevents, |s| s)
}
