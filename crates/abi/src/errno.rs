//! The WASI error codes (`errno`), identical in `wasi_snapshot_preview1` and `wasi_unstable`.

macro_rules! errnos {
    ($($(#[doc = $doc:literal])* $name:ident = $val:literal, $wasi:literal;)*) => {
        /// A WASI error code. Every fallible hostcall returns one of these to the guest.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Errno {
            $($(#[doc = $doc])* $name = $val,)*
        }

        impl Errno {
            /// Every error code, in numeric order.
            pub const ALL: &[Errno] = &[$(Errno::$name,)*];

            /// The code as the guest sees it.
            #[allow(clippy::as_conversions, reason = "a `repr(u16)` enum to its own repr: lossless")]
            pub const fn raw(self) -> u16 { self as u16 }

            /// The code for a raw value, if it names one.
            pub const fn from_raw(raw: u16) -> Option<Errno> {
                match raw { $($val => Some(Errno::$name),)* _ => None }
            }

            /// The name the WASI specification gives this code (for example `badf`).
            pub const fn name(self) -> &'static str {
                match self { $(Errno::$name => $wasi,)* }
            }

            /// The specification's one-line description.
            pub const fn description(self) -> &'static str {
                match self { $(Errno::$name => concat!($($doc),*),)* }
            }
        }
    };
}

errnos! {
    /// No error occurred. System call completed successfully.
    Success = 0, "success";
    /// Argument list too long.
    TooBig = 1, "2big";
    /// Permission denied.
    Acces = 2, "acces";
    /// Address in use.
    Addrinuse = 3, "addrinuse";
    /// Address not available.
    Addrnotavail = 4, "addrnotavail";
    /// Address family not supported.
    Afnosupport = 5, "afnosupport";
    /// Resource unavailable, or operation would block.
    Again = 6, "again";
    /// Connection already in progress.
    Already = 7, "already";
    /// Bad file descriptor.
    Badf = 8, "badf";
    /// Bad message.
    Badmsg = 9, "badmsg";
    /// Device or resource busy.
    Busy = 10, "busy";
    /// Operation canceled.
    Canceled = 11, "canceled";
    /// No child processes.
    Child = 12, "child";
    /// Connection aborted.
    Connaborted = 13, "connaborted";
    /// Connection refused.
    Connrefused = 14, "connrefused";
    /// Connection reset.
    Connreset = 15, "connreset";
    /// Resource deadlock would occur.
    Deadlk = 16, "deadlk";
    /// Destination address required.
    Destaddrreq = 17, "destaddrreq";
    /// Mathematics argument out of domain of function.
    Dom = 18, "dom";
    /// Reserved.
    Dquot = 19, "dquot";
    /// File exists.
    Exist = 20, "exist";
    /// Bad address.
    Fault = 21, "fault";
    /// File too large.
    Fbig = 22, "fbig";
    /// Host is unreachable.
    Hostunreach = 23, "hostunreach";
    /// Identifier removed.
    Idrm = 24, "idrm";
    /// Illegal byte sequence.
    Ilseq = 25, "ilseq";
    /// Operation in progress.
    Inprogress = 26, "inprogress";
    /// Interrupted function.
    Intr = 27, "intr";
    /// Invalid argument.
    Inval = 28, "inval";
    /// I/O error.
    Io = 29, "io";
    /// Socket is connected.
    Isconn = 30, "isconn";
    /// Is a directory.
    Isdir = 31, "isdir";
    /// Too many levels of symbolic links.
    Loop = 32, "loop";
    /// File descriptor value too large.
    Mfile = 33, "mfile";
    /// Too many links.
    Mlink = 34, "mlink";
    /// Message too large.
    Msgsize = 35, "msgsize";
    /// Reserved.
    Multihop = 36, "multihop";
    /// Filename too long.
    Nametoolong = 37, "nametoolong";
    /// Network is down.
    Netdown = 38, "netdown";
    /// Connection aborted by network.
    Netreset = 39, "netreset";
    /// Network unreachable.
    Netunreach = 40, "netunreach";
    /// Too many files open in system.
    Nfile = 41, "nfile";
    /// No buffer space available.
    Nobufs = 42, "nobufs";
    /// No such device.
    Nodev = 43, "nodev";
    /// No such file or directory.
    Noent = 44, "noent";
    /// Executable file format error.
    Noexec = 45, "noexec";
    /// No locks available.
    Nolck = 46, "nolck";
    /// Reserved.
    Nolink = 47, "nolink";
    /// Not enough space.
    Nomem = 48, "nomem";
    /// No message of the desired type.
    Nomsg = 49, "nomsg";
    /// Protocol not available.
    Noprotoopt = 50, "noprotoopt";
    /// No space left on device.
    Nospc = 51, "nospc";
    /// Function not supported.
    Nosys = 52, "nosys";
    /// The socket is not connected.
    Notconn = 53, "notconn";
    /// Not a directory or a symbolic link to a directory.
    Notdir = 54, "notdir";
    /// Directory not empty.
    Notempty = 55, "notempty";
    /// State not recoverable.
    Notrecoverable = 56, "notrecoverable";
    /// Not a socket.
    Notsock = 57, "notsock";
    /// Not supported, or operation not supported on socket.
    Notsup = 58, "notsup";
    /// Inappropriate I/O control operation.
    Notty = 59, "notty";
    /// No such device or address.
    Nxio = 60, "nxio";
    /// Value too large to be stored in data type.
    Overflow = 61, "overflow";
    /// Previous owner died.
    Ownerdead = 62, "ownerdead";
    /// Operation not permitted.
    Perm = 63, "perm";
    /// Broken pipe.
    Pipe = 64, "pipe";
    /// Protocol error.
    Proto = 65, "proto";
    /// Protocol not supported.
    Protonosupport = 66, "protonosupport";
    /// Protocol wrong type for socket.
    Prototype = 67, "prototype";
    /// Result too large.
    Range = 68, "range";
    /// Read-only file system.
    Rofs = 69, "rofs";
    /// Invalid seek.
    Spipe = 70, "spipe";
    /// No such process.
    Srch = 71, "srch";
    /// Reserved.
    Stale = 72, "stale";
    /// Connection timed out.
    Timedout = 73, "timedout";
    /// Text file busy.
    Txtbsy = 74, "txtbsy";
    /// Cross-device link.
    Xdev = 75, "xdev";
    /// Extension: Capabilities insufficient.
    Notcapable = 76, "notcapable";
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ({})", self.name(), self.description().trim())
    }
}

impl std::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trips_for_every_code() {
        for (i, e) in Errno::ALL.iter().enumerate() {
            assert_eq!(usize::from(e.raw()), i);
            assert_eq!(Errno::from_raw(e.raw()), Some(*e));
        }
        assert_eq!(Errno::ALL.len(), 77);
        assert_eq!(Errno::from_raw(77), None);
        assert_eq!(Errno::Notcapable.raw(), 76);
        assert_eq!(Errno::Badf.name(), "badf");
    }
}
