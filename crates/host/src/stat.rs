//! Host `stat` and timestamps in WASI form.

use crate::file::filetype;
use lucent_abi::{Errno, Filestat};
use lucent_core::fs::SetTime;
use rustix::fs::{FileType, Stat, Timestamps};
use rustix::time::Timespec;

const NANOS: u64 = 1_000_000_000;

/// Nanoseconds since the epoch; times before 1970 read as 0 (WASI timestamps are unsigned).
fn nanos(secs: i64, nsec: impl TryInto<u64>) -> u64 {
    let (Ok(secs), Ok(nsec)) = (u64::try_from(secs), nsec.try_into()) else { return 0 };
    secs.saturating_mul(NANOS).saturating_add(nsec)
}

/// A host `stat` as a WASI `filestat`.
pub(crate) fn filestat(st: &Stat) -> Filestat {
    Filestat {
        dev: st.st_dev,
        ino: st.st_ino,
        filetype: filetype(FileType::from_raw_mode(st.st_mode)).raw(),
        nlink: st.st_nlink,
        size: u64::try_from(st.st_size).unwrap_or(0),
        atim: nanos(st.st_atime, st.st_atime_nsec),
        mtim: nanos(st.st_mtime, st.st_mtime_nsec),
        ctim: nanos(st.st_ctime, st.st_ctime_nsec),
    }
}

fn timespec(time: SetTime) -> Result<Timespec, Errno> {
    Ok(match time {
        SetTime::Omit => Timespec { tv_sec: 0, tv_nsec: rustix::fs::UTIME_OMIT },
        SetTime::At(ns) => Timespec {
            tv_sec: i64::try_from(ns / NANOS).map_err(|_| Errno::Overflow)?,
            tv_nsec: i64::try_from(ns % NANOS).map_err(|_| Errno::Overflow)?,
        },
    })
}

/// The `utimensat` argument for two WASI time settings.
pub(crate) fn timestamps(atim: SetTime, mtim: SetTime) -> Result<Timestamps, Errno> {
    Ok(Timestamps { last_access: timespec(atim)?, last_modification: timespec(mtim)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_convert_both_ways() {
        assert_eq!(nanos(-5, 0u64), 0);
        assert_eq!(nanos(2, 5u64), 2 * NANOS + 5);
        let ts = timestamps(SetTime::At(u64::MAX), SetTime::Omit).unwrap();
        assert_eq!(ts.last_access.tv_sec, i64::try_from(u64::MAX / NANOS).unwrap());
        assert_eq!(ts.last_modification.tv_nsec, rustix::fs::UTIME_OMIT);
    }
}
