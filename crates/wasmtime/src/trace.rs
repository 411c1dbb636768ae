//! `--trace`: one strace-style line per hostcall, emitted as a `tracing` event with target
//! [`TARGET`] at `TRACE` level. Arguments are decoded by name: descriptors in decimal,
//! pointers in hex, flag sets by flag name, paths as strings; after success, the values the
//! call wrote through its result pointers.

use lucent_abi::{Errno, Fdflags, GuestMemory, GuestPtr, Lookupflags, Oflags, Region, Rights};
use std::fmt::Write;

/// The `tracing` target of hostcall trace lines.
pub const TARGET: &str = "lucent::hostcall";

/// Whether trace lines are wanted (a cheap check on the hot path).
#[inline]
pub fn enabled() -> bool {
    tracing::enabled!(target: TARGET, tracing::Level::TRACE)
}

/// Result pointers written with a `u32` on success.
const OUT_U32: &[&str] =
    &["nread", "nwritten", "opened_fd", "argc", "argv_buf_size", "count", "buf_size", "nevents", "bufused"];
/// Result pointers written with a `u64` on success.
const OUT_U64: &[&str] = &["resolution", "time", "newoffset", "offset_out"];
/// Arguments that are guest addresses.
const POINTERS: &[&str] =
    &["argv", "argv_buf", "environ", "environ_buf", "iovs", "buf", "stat", "prestat", "input", "out"];

fn path_arg(mem: &GuestMemory<'_>, ptr: u64, len: u64) -> String {
    let region = u32::try_from(ptr).ok().zip(u32::try_from(len).ok()).map(|(p, l)| Region::new(p, l.min(1024)));
    match region.and_then(|r| mem.bytes(r).ok()) {
        Some(bytes) => format!("{:?}", String::from_utf8_lossy(&bytes)),
        None => format!("{ptr:#x} <bad pointer>"),
    }
}

fn flags_arg(name: &str, value: u64) -> Option<String> {
    let truncated = |v: u64| u16::try_from(v).ok();
    Some(match name {
        "oflags" => format!("{:?}", Oflags::from_bits_retain(truncated(value)?)),
        "fdflags" | "flags" if truncated(value).is_some() => {
            format!("{:?}", Fdflags::from_bits_retain(truncated(value)?))
        }
        "dirflags" | "lookupflags" => format!("{:?}", Lookupflags::from_bits_retain(u32::try_from(value).ok()?)),
        "fs_rights_base" | "fs_rights_inheriting" => format!("{:?}", Rights::from_bits_retain(value)),
        _ => return None,
    })
}

fn out_value(mem: &GuestMemory<'_>, name: &str, ptr: u64) -> Option<String> {
    let ptr = u32::try_from(ptr).ok()?;
    if OUT_U32.contains(&name) {
        return mem.read(GuestPtr::<u32>::new(ptr)).ok().map(|v| format!("{name}={v}"));
    }
    if OUT_U64.contains(&name) {
        return mem.read(GuestPtr::<u64>::new(ptr)).ok().map(|v| format!("{name}={v}"));
    }
    None
}

/// Formats and emits the line for one call; `result` is `None` for `proc_exit`; `thread` is
/// the guest thread making it, in a threaded instance (shown as `[thread N]`).
pub fn line(
    thread: Option<u32>,
    name: &str,
    args: &[(&str, u64)],
    mem: &GuestMemory<'_>,
    result: Option<Result<(), Errno>>,
) {
    let mut out = match thread {
        Some(tid) => format!("[thread {tid}] {name}("),
        None => format!("{name}("),
    };
    let mut rest = args;
    while let Some((&(arg, value), tail)) = rest.split_first() {
        if rest.len() < args.len() {
            out.push_str(", ");
        }
        rest = tail;
        // A path and its length are shown together, as the string.
        if arg.ends_with("path")
            && let Some((&(next, len), tail)) = rest.split_first()
            && next == format!("{arg}_len")
        {
            let _ = write!(out, "{arg}={}", path_arg(mem, value, len));
            rest = tail;
            continue;
        }
        if let Some(flags) = flags_arg(arg, value) {
            let _ = write!(out, "{arg}={flags}");
        } else if POINTERS.contains(&arg) || OUT_U32.contains(&arg) || OUT_U64.contains(&arg) {
            let _ = write!(out, "{arg}={value:#x}");
        } else {
            let _ = write!(out, "{arg}={value}");
        }
    }
    out.push(')');
    match result {
        None => out.push_str(" -> exit"),
        Some(Ok(())) => {
            out.push_str(" = 0");
            let outs: Vec<String> = args.iter().filter_map(|&(n, v)| out_value(mem, n, v)).collect();
            if !outs.is_empty() {
                let _ = write!(out, " ({})", outs.join(", "));
            }
        }
        Some(Err(errno)) => {
            let _ = write!(out, " = {} ({})", errno.raw(), errno.name());
        }
    }
    tracing::trace!(target: TARGET, "{out}");
}
