//! The one place host errors become WASI errnos.

use lucent_abi::Errno;
use rustix::io::Errno as Host;

/// Maps a host error to the WASI errno the guest sees. Every errno WASI names maps to itself;
/// anything else the host may report becomes `Io`.
pub fn from_host(e: Host) -> Errno {
    match e {
        Host::TOOBIG => Errno::TooBig,
        Host::ACCESS => Errno::Acces,
        Host::ADDRINUSE => Errno::Addrinuse,
        Host::ADDRNOTAVAIL => Errno::Addrnotavail,
        Host::AFNOSUPPORT => Errno::Afnosupport,
        Host::AGAIN => Errno::Again,
        Host::ALREADY => Errno::Already,
        Host::BADF => Errno::Badf,
        Host::BADMSG => Errno::Badmsg,
        Host::BUSY => Errno::Busy,
        Host::CANCELED => Errno::Canceled,
        Host::CHILD => Errno::Child,
        Host::CONNABORTED => Errno::Connaborted,
        Host::CONNREFUSED => Errno::Connrefused,
        Host::CONNRESET => Errno::Connreset,
        Host::DEADLK => Errno::Deadlk,
        Host::DESTADDRREQ => Errno::Destaddrreq,
        Host::DOM => Errno::Dom,
        Host::DQUOT => Errno::Dquot,
        Host::EXIST => Errno::Exist,
        Host::FAULT => Errno::Fault,
        Host::FBIG => Errno::Fbig,
        Host::HOSTUNREACH => Errno::Hostunreach,
        Host::IDRM => Errno::Idrm,
        Host::ILSEQ => Errno::Ilseq,
        Host::INPROGRESS => Errno::Inprogress,
        Host::INTR => Errno::Intr,
        Host::INVAL => Errno::Inval,
        Host::IO => Errno::Io,
        Host::ISCONN => Errno::Isconn,
        Host::ISDIR => Errno::Isdir,
        Host::LOOP => Errno::Loop,
        Host::MFILE => Errno::Mfile,
        Host::MLINK => Errno::Mlink,
        Host::MSGSIZE => Errno::Msgsize,
        Host::MULTIHOP => Errno::Multihop,
        Host::NAMETOOLONG => Errno::Nametoolong,
        Host::NETDOWN => Errno::Netdown,
        Host::NETRESET => Errno::Netreset,
        Host::NETUNREACH => Errno::Netunreach,
        Host::NFILE => Errno::Nfile,
        Host::NOBUFS => Errno::Nobufs,
        Host::NODEV => Errno::Nodev,
        Host::NOENT => Errno::Noent,
        Host::NOEXEC => Errno::Noexec,
        Host::NOLCK => Errno::Nolck,
        Host::NOLINK => Errno::Nolink,
        Host::NOMEM => Errno::Nomem,
        Host::NOMSG => Errno::Nomsg,
        Host::NOPROTOOPT => Errno::Noprotoopt,
        Host::NOSPC => Errno::Nospc,
        Host::NOSYS => Errno::Nosys,
        Host::NOTCONN => Errno::Notconn,
        Host::NOTDIR => Errno::Notdir,
        Host::NOTEMPTY => Errno::Notempty,
        Host::NOTRECOVERABLE => Errno::Notrecoverable,
        Host::NOTSOCK => Errno::Notsock,
        Host::NOTSUP => Errno::Notsup,
        Host::NOTTY => Errno::Notty,
        Host::NXIO => Errno::Nxio,
        Host::OVERFLOW => Errno::Overflow,
        Host::OWNERDEAD => Errno::Ownerdead,
        Host::PERM => Errno::Perm,
        Host::PIPE => Errno::Pipe,
        Host::PROTO => Errno::Proto,
        Host::PROTONOSUPPORT => Errno::Protonosupport,
        Host::PROTOTYPE => Errno::Prototype,
        Host::RANGE => Errno::Range,
        Host::ROFS => Errno::Rofs,
        Host::SPIPE => Errno::Spipe,
        Host::SRCH => Errno::Srch,
        Host::STALE => Errno::Stale,
        Host::TIMEDOUT => Errno::Timedout,
        Host::TXTBSY => Errno::Txtbsy,
        Host::XDEV => Errno::Xdev,
        _ => Errno::Io,
    }
}

/// Runs a system call again while it is interrupted by a signal.
pub(crate) fn retry<T>(mut call: impl FnMut() -> rustix::io::Result<T>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(Host::INTR) => continue,
            other => return other.map_err(from_host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wasi_errno_but_success_and_notcapable_has_a_host_twin() {
        let mapped: std::collections::HashSet<Errno> = (1..4096).map(Host::from_raw_os_error).map(from_host).collect();
        for errno in Errno::ALL {
            if matches!(errno, Errno::Success | Errno::Notcapable) {
                assert!(!mapped.contains(errno), "{errno:?} must never come from the host");
            } else {
                assert!(mapped.contains(errno), "{errno:?} is never produced");
            }
        }
        assert_eq!(from_host(Host::WOULDBLOCK), Errno::Again);
        assert_eq!(from_host(Host::from_raw_os_error(4095)), Errno::Io);
    }
}
