//! Enumerations of `wasi_snapshot_preview1`. `wasi_unstable`'s different `whence` lives in
//! [`crate::preview0`].

use crate::Errno;

/// Defines a `#[repr]` enum with a checked decoder from the guest's raw value.
macro_rules! guest_enum {
    ($(#[$meta:meta])* $name:ident: $raw:ty { $($(#[doc = $doc:literal])* $variant:ident = $val:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr($raw)]
        pub enum $name {
            $($(#[doc = $doc])* $variant = $val,)*
        }

        impl $name {
            /// Decodes the guest's value.
            ///
            /// # Errors
            ///
            /// `Inval` if the value names no variant.
            #[inline]
            pub const fn from_guest(raw: $raw) -> Result<Self, Errno> {
                match raw {
                    $($val => Ok($name::$variant),)*
                    _ => Err(Errno::Inval),
                }
            }

            /// The value as the guest sees it.
            #[allow(clippy::as_conversions, reason = "a fieldless enum to its own repr type: lossless")]
            pub const fn raw(self) -> $raw {
                self as $raw
            }
        }
    };
}

guest_enum! {
    /// `clockid`: the clocks a guest can read.
    Clockid: u32 {
        /// `realtime`: wall-clock time since 1970-01-01 UTC.
        Realtime = 0,
        /// `monotonic`: time that never goes backwards, from an unspecified start.
        Monotonic = 1,
        /// `process_cputime_id`: CPU time consumed by the process.
        ProcessCputimeId = 2,
        /// `thread_cputime_id`: CPU time consumed by the thread.
        ThreadCputimeId = 3,
    }
}

guest_enum! {
    /// `whence` of `wasi_snapshot_preview1` (`wasi_unstable` orders it differently).
    Whence: u8 {
        /// `set`: from the start of the file.
        Set = 0,
        /// `cur`: from the current position.
        Cur = 1,
        /// `end`: from the end of the file.
        End = 2,
    }
}

guest_enum! {
    /// `filetype`: the type of a descriptor or file.
    Filetype: u8 {
        /// `unknown`: unknown, or not one of the others.
        Unknown = 0,
        /// `block_device`
        BlockDevice = 1,
        /// `character_device`
        CharacterDevice = 2,
        /// `directory`
        Directory = 3,
        /// `regular_file`
        RegularFile = 4,
        /// `socket_dgram`
        SocketDgram = 5,
        /// `socket_stream`
        SocketStream = 6,
        /// `symbolic_link`
        SymbolicLink = 7,
    }
}

guest_enum! {
    /// `advice`: what `fd_advise` announces.
    Advice: u8 {
        /// `normal`
        Normal = 0,
        /// `sequential`
        Sequential = 1,
        /// `random`
        Random = 2,
        /// `willneed`
        Willneed = 3,
        /// `dontneed`
        Dontneed = 4,
        /// `noreuse`
        Noreuse = 5,
    }
}

guest_enum! {
    /// `eventtype`: the kind of a subscription or event.
    Eventtype: u8 {
        /// `clock`: a clock reached a time.
        Clock = 0,
        /// `fd_read`: a descriptor has data to read.
        FdRead = 1,
        /// `fd_write`: a descriptor can take data.
        FdWrite = 2,
    }
}

guest_enum! {
    /// `preopentype`: what a preopened descriptor is.
    Preopentype: u8 {
        /// `dir`: a directory.
        Dir = 0,
    }
}

guest_enum! {
    /// `signal`: the signals `proc_raise` takes.
    Signal: u8 {
        /// `none`
        None = 0,
        /// `hup`
        Hup = 1,
        /// `int`
        Int = 2,
        /// `quit`
        Quit = 3,
        /// `ill`
        Ill = 4,
        /// `trap`
        Trap = 5,
        /// `abrt`
        Abrt = 6,
        /// `bus`
        Bus = 7,
        /// `fpe`
        Fpe = 8,
        /// `kill`
        Kill = 9,
        /// `usr1`
        Usr1 = 10,
        /// `segv`
        Segv = 11,
        /// `usr2`
        Usr2 = 12,
        /// `pipe`
        Pipe = 13,
        /// `alrm`
        Alrm = 14,
        /// `term`
        Term = 15,
        /// `chld`
        Chld = 16,
        /// `cont`
        Cont = 17,
        /// `stop`
        Stop = 18,
        /// `tstp`
        Tstp = 19,
        /// `ttin`
        Ttin = 20,
        /// `ttou`
        Ttou = 21,
        /// `urg`
        Urg = 22,
        /// `xcpu`
        Xcpu = 23,
        /// `xfsz`
        Xfsz = 24,
        /// `vtalrm`
        Vtalrm = 25,
        /// `prof`
        Prof = 26,
        /// `winch`
        Winch = 27,
        /// `poll`
        Poll = 28,
        /// `pwr`
        Pwr = 29,
        /// `sys`
        Sys = 30,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_refuses_unknown_values() {
        assert_eq!(Clockid::from_guest(3), Ok(Clockid::ThreadCputimeId));
        assert_eq!(Clockid::from_guest(4), Err(Errno::Inval));
        assert_eq!(Whence::from_guest(2), Ok(Whence::End));
        assert_eq!(Whence::from_guest(3), Err(Errno::Inval));
        assert_eq!(Signal::from_guest(30), Ok(Signal::Sys));
        assert_eq!(Signal::from_guest(31), Err(Errno::Inval));
        assert_eq!(Filetype::SymbolicLink.raw(), 7);
    }
}
