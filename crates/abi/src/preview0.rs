//! What `wasi_unstable` (preview 0) lays out differently from `wasi_snapshot_preview1`.
//!
//! Everything else (errno, rights without `sock_accept`, flags, `fdstat`, `prestat`, `iovec`,
//! `dirent`, `event`) is shared. These types convert to and from their preview1 forms; the
//! hostcalls always work on preview1 values.

use crate::memory::field::{get, put};
use crate::records::{FilestatOffsets, Layout, Record, SubscriptionKind, filestat_layout};
use crate::{Errno, GuestType};

/// `whence` of `wasi_unstable`: `cur = 0`, `end = 1`, `set = 2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Whence {
    /// `cur`
    Cur = 0,
    /// `end`
    End = 1,
    /// `set`
    Set = 2,
}

impl Whence {
    /// Decodes the guest's value.
    ///
    /// # Errors
    ///
    /// `Inval` for a value other than 0, 1 or 2.
    pub const fn from_guest(raw: u8) -> Result<Self, Errno> {
        match raw {
            0 => Ok(Whence::Cur),
            1 => Ok(Whence::End),
            2 => Ok(Whence::Set),
            _ => Err(Errno::Inval),
        }
    }
}

impl From<Whence> for crate::Whence {
    fn from(w: Whence) -> Self {
        match w {
            Whence::Cur => crate::Whence::Cur,
            Whence::End => crate::Whence::End,
            Whence::Set => crate::Whence::Set,
        }
    }
}

/// `filestat` of `wasi_unstable`: the link count is 32 bits, so every later field moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Filestat(pub crate::Filestat);

impl Filestat {
    const OFFSETS: FilestatOffsets = [0, 8, 16, 20, 24, 32, 40, 48];
}

impl GuestType for Filestat {
    const SIZE: u32 = 56;
    const ALIGN: u32 = 8;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        crate::Filestat::decode_with(b, Self::OFFSETS, true).map(Filestat)
    }
    fn encode(&self, b: &mut [u8]) {
        self.0.encode_with(b, Self::OFFSETS, true);
    }
}

impl Record for Filestat {
    const LAYOUT: Layout = filestat_layout!(Self::OFFSETS, 56);
}

/// `subscription` of `wasi_unstable`: its clock payload starts with an extra `identifier`
/// (`userdata`) field, which makes the record 56 bytes instead of 48.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The preview1 form (what the poll implementation works on).
    pub inner: crate::Subscription,
    /// `subscription_clock.identifier`: carried but unused, as in every runtime.
    pub identifier: u64,
}

impl Subscription {
    const USERDATA: u32 = 0;
    const U: u32 = 8;
    const U_TAG: u32 = 8;
    const U_PAYLOAD: u32 = 16;
    const CLOCK_IDENTIFIER: u32 = 0;
    const CLOCK_SKIP: u32 = 8;

    /// The layout of `wasi_unstable`'s `subscription_clock`.
    pub const CLOCK_LAYOUT: Layout = Layout {
        name: "subscription_clock",
        size: 40,
        align: 8,
        fields: &[("identifier", 0), ("id", 8), ("timeout", 16), ("precision", 24), ("flags", 32)],
    };
}

impl GuestType for Subscription {
    const SIZE: u32 = 56;
    const ALIGN: u32 = 8;
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        let kind = crate::Subscription::decode_kind(b, Self::U_TAG, Self::U_PAYLOAD, Self::CLOCK_SKIP)?;
        let identifier = match kind {
            SubscriptionKind::Clock { .. } => get(b, Self::U_PAYLOAD + Self::CLOCK_IDENTIFIER)?,
            _ => 0,
        };
        Ok(Subscription { inner: crate::Subscription { userdata: get(b, Self::USERDATA)?, kind }, identifier })
    }
    fn encode(&self, b: &mut [u8]) {
        b.fill(0);
        put(b, Self::USERDATA, self.inner.userdata);
        crate::Subscription::encode_kind(&self.inner.kind, b, Self::U_TAG, Self::U_PAYLOAD, Self::CLOCK_SKIP);
        if let SubscriptionKind::Clock { .. } = self.inner.kind {
            put(b, Self::U_PAYLOAD + Self::CLOCK_IDENTIFIER, self.identifier);
        }
    }
}

impl Record for Subscription {
    const LAYOUT: Layout =
        Layout { name: "subscription", size: 56, align: 8, fields: &[("userdata", Self::USERDATA), ("u", Self::U)] };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clockid, Subclockflags};

    #[test]
    fn whence_is_translated_not_aliased() {
        assert_eq!(crate::Whence::from(Whence::from_guest(0).unwrap()), crate::Whence::Cur);
        assert_eq!(crate::Whence::from(Whence::from_guest(2).unwrap()), crate::Whence::Set);
        assert_eq!(crate::Whence::Set.raw(), 0);
        assert_eq!(Whence::from_guest(3), Err(Errno::Inval));
    }

    #[test]
    fn clock_subscription_round_trips_with_identifier() {
        let sub = Subscription {
            inner: crate::Subscription {
                userdata: 0x1122,
                kind: SubscriptionKind::Clock {
                    id: Clockid::Monotonic,
                    timeout: 5,
                    precision: 7,
                    flags: Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME,
                },
            },
            identifier: 99,
        };
        let mut bytes = [0u8; 56];
        sub.encode(&mut bytes);
        assert_eq!(bytes[16], 99); // identifier first
        assert_eq!(bytes[24], 1); // then the clock id
        assert_eq!(Subscription::decode(&bytes), Ok(sub));
    }

    #[test]
    fn filestat_link_count_saturates() {
        let stat = Filestat(crate::Filestat { nlink: u64::MAX, size: 3, ..Default::default() });
        let mut bytes = [0u8; 56];
        stat.encode(&mut bytes);
        assert_eq!(&bytes[20..24], &[0xff; 4]);
        assert_eq!(bytes[24], 3);
    }
}
