//! The tar format, read in place from the archive's bytes: ustar and GNU headers (each one's
//! checksum checked), GNU long names and link targets (`L`, `K`) and PAX extended headers
//! (`x`: `path`, `linkpath`, `size`, `mtime`; global `g` headers are ignored). Nothing is
//! copied except a ustar name split into prefix and name.
//!
//! This is the one place that parses archive bytes; `load.rs` decides what each member may be.

use crate::LoadError;
use std::borrow::Cow;
use std::ops::Range;

/// The size of a header, and the unit member data is padded to.
const BLOCK: usize = 512;

// Where a header's fields lie.
const NAME: Range<usize> = 0..100;
const MODE: Range<usize> = 100..108;
const SIZE: Range<usize> = 124..136;
const MTIME: Range<usize> = 136..148;
const CHECKSUM: Range<usize> = 148..156;
const TYPEFLAG: usize = 156;
const LINKNAME: Range<usize> = 157..257;
/// Magic and version: `ustar\0` `00` for POSIX, `ustar ` ` \0` for GNU.
const MAGIC: Range<usize> = 257..265;
/// POSIX only (GNU headers keep other fields there).
const PREFIX: Range<usize> = 345..500;

/// The largest GNU long name, long link target or PAX extended header accepted: real ones are
/// a few hundred bytes, and this bounds what one header can make the loader look through.
pub(crate) const MAX_EXTENSION: u64 = 1 << 20;

/// What a member is, from its header's type flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    File,
    HardLink,
    Symlink,
    Dir,
    /// A character or block device, or a FIFO.
    Device,
    /// A GNU sparse member (old `S` headers or PAX `GNU.sparse.*` records).
    Sparse,
    /// Any other type flag (volume labels, multi-volume continuations, vendor types).
    Unknown(u8),
}

/// One member, its extension headers applied.
#[derive(Debug)]
pub(crate) struct Member<'a> {
    /// Its path, as the archive names it.
    pub(crate) path: Cow<'a, [u8]>,
    /// The target of a symlink or hard link (empty for other members).
    pub(crate) link: &'a [u8],
    pub(crate) kind: Type,
    /// Permission bits (with set-id and sticky bits), or 0o644 where the field is unreadable.
    pub(crate) mode: u32,
    /// Modification time in nanoseconds since the epoch (0 before it or where unreadable).
    pub(crate) mtim: u64,
    /// Where its data lies in the archive (checked to lie within it).
    pub(crate) data: Range<usize>,
}

/// The members of an archive, in order; the first error ends the iteration.
pub(crate) struct Members<'a> {
    bytes: &'a [u8],
    /// Where the next header starts.
    at: usize,
    done: bool,
}

impl<'a> Members<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Members<'a> {
        Members { bytes, at: 0, done: false }
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = Result<Member<'a>, LoadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read().transpose();
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

/// What extension headers say about the member that follows them.
#[derive(Default)]
struct Pending<'a> {
    path: Option<&'a [u8]>,
    link: Option<&'a [u8]>,
    size: Option<u64>,
    mtim: Option<u64>,
    sparse: bool,
}

fn corrupt(at: usize, reason: impl Into<String>) -> LoadError {
    LoadError::Corrupt { at: u64::try_from(at).unwrap_or(u64::MAX), reason: reason.into() }
}

impl<'a> Members<'a> {
    /// The next member, or `None` at the end of the archive (a zero block, or the end of the
    /// bytes at a header boundary).
    fn read(&mut self) -> Result<Option<Member<'a>>, LoadError> {
        let bytes = self.bytes;
        let mut pending = Pending::default();
        loop {
            let at = self.at;
            let rest = bytes.get(at..).unwrap_or_default();
            if rest.is_empty() {
                return Ok(None);
            }
            let header: &'a [u8; BLOCK] = match rest.get(..BLOCK).and_then(|b| b.try_into().ok()) {
                Some(header) => header,
                None if at == 0 => return Err(LoadError::NotAnArchive),
                None => return Err(corrupt(at, "the archive ends inside a header")),
            };
            if header.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            if !checksum_matches(header) {
                return Err(match at {
                    0 => LoadError::NotAnArchive,
                    _ => corrupt(at, "archive header checksum mismatch"),
                });
            }
            let flag = header[TYPEFLAG];
            let extension = matches!(flag, b'x' | b'g' | b'L' | b'K');
            let size = number(field(header, SIZE)).ok_or_else(|| corrupt(at, "an unreadable size field"))?;
            let size = if extension { size } else { pending.size.unwrap_or(size) };
            if extension && size > MAX_EXTENSION {
                let reason = format!("an extension header of {size} bytes (the limit is {MAX_EXTENSION})");
                return Err(corrupt(at, reason));
            }
            let start = at.saturating_add(BLOCK);
            let end = usize::try_from(size).ok().and_then(|s| start.checked_add(s)).filter(|&e| e <= bytes.len());
            let Some(end) = end else {
                let name = pending.path.map_or_else(|| name(header), Cow::Borrowed);
                return Err(LoadError::Truncated(String::from_utf8_lossy(&name).into_owned()));
            };
            // The next header follows the data, padded to a block (the last member's padding
            // may be missing).
            self.at = end.checked_next_multiple_of(BLOCK).unwrap_or(usize::MAX).min(bytes.len());
            let data = bytes.get(start..end).unwrap_or_default();
            match flag {
                b'L' => pending.path = Some(until_nul(data)),
                b'K' => pending.link = Some(until_nul(data)),
                b'x' => pax(data, &mut pending).map_err(|reason| corrupt(at, reason))?,
                b'g' => {}
                _ => return Ok(Some(member(header, pending, start..end))),
            }
        }
    }
}

/// The member described by `header` and the extensions before it.
fn member<'a>(header: &'a [u8; BLOCK], pending: Pending<'a>, data: Range<usize>) -> Member<'a> {
    let path = pending.path.map_or_else(|| name(header), Cow::Borrowed);
    let kind = match header[TYPEFLAG] {
        _ if pending.sparse => Type::Sparse,
        // Old archives mark directories by a trailing slash on a regular member.
        b'0' | b'\0' if path.ends_with(b"/") => Type::Dir,
        b'0' | b'\0' | b'7' => Type::File,
        b'1' => Type::HardLink,
        b'2' => Type::Symlink,
        b'3' | b'4' | b'6' => Type::Device,
        b'5' => Type::Dir,
        b'S' => Type::Sparse,
        other => Type::Unknown(other),
    };
    let mode = number(field(header, MODE)).and_then(|m| u32::try_from(m & 0o7777).ok()).unwrap_or(0o644);
    let mtim =
        pending.mtim.or_else(|| number(field(header, MTIME)).map(|s| s.saturating_mul(1_000_000_000))).unwrap_or(0);
    let link = pending.link.unwrap_or_else(|| until_nul(field(header, LINKNAME)));
    Member { path, link, kind, mode, mtim, data }
}

/// The header's name: the name field, after the prefix field in a POSIX ustar header.
fn name(header: &[u8; BLOCK]) -> Cow<'_, [u8]> {
    let name = until_nul(field(header, NAME));
    let prefix = until_nul(field(header, PREFIX));
    // GNU headers ("ustar  \0") keep other fields where POSIX has the prefix.
    if field(header, MAGIC) != b"ustar\x0000" || prefix.is_empty() {
        return Cow::Borrowed(name);
    }
    Cow::Owned([prefix, b"/", name].concat())
}

fn field(header: &[u8; BLOCK], range: Range<usize>) -> &[u8] {
    header.get(range).unwrap_or_default()
}

/// A field's bytes up to its first NUL.
fn until_nul(field: &[u8]) -> &[u8] {
    field.iter().position(|&b| b == 0).map_or(field, |end| field.get(..end).unwrap_or_default())
}

/// Whether the header's checksum field matches the sum of its bytes, the field itself counted
/// as spaces (as unsigned bytes, or as signed ones as some old writers summed them).
fn checksum_matches(header: &[u8; BLOCK]) -> bool {
    let Some(stored) = number(field(header, CHECKSUM)) else {
        return false;
    };
    // Every byte summed (a loop the compiler vectorises: this is most of the time a mount
    // takes), less the field's own bytes, plus the eight spaces it counts as.
    let sum = |value: fn(u8) -> i32| {
        let all = header.iter().fold(0i32, |sum, &b| sum.wrapping_add(value(b)));
        let own = field(header, CHECKSUM).iter().fold(0i32, |sum, &b| sum.wrapping_add(value(b)));
        all.wrapping_sub(own).wrapping_add(256)
    };
    u64::try_from(sum(i32::from)) == Ok(stored)
        || i64::try_from(stored) == Ok(i64::from(sum(|b| i32::from(i8::from_ne_bytes([b])))))
}

/// A numeric field: octal digits (leading spaces or zeros, ended by a space or NUL; an empty
/// field is 0), or GNU base-256 (the high bit of the first byte set; negative values refused).
fn number(field: &[u8]) -> Option<u64> {
    let (&first, rest) = field.split_first()?;
    if first & 0x80 != 0 {
        if first & 0x40 != 0 {
            return None;
        }
        return rest.iter().try_fold(u64::from(first & 0x3f), |n, &b| n.checked_mul(256)?.checked_add(u64::from(b)));
    }
    let start = field.iter().position(|&b| b != b' ').unwrap_or(field.len());
    let digits = field.get(start..).unwrap_or_default();
    let end = digits.iter().position(|&b| b == b' ' || b == 0).unwrap_or(digits.len());
    let (digits, tail) = digits.split_at_checked(end)?;
    if !tail.iter().all(|&b| b == b' ' || b == 0) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| n.checked_mul(8)?.checked_add(u64::from(char::from(b).to_digit(8)?)))
}

/// Applies a PAX extended header's records (`"<length> <key>=<value>\n"`, the length counting
/// the whole record) to the member that follows.
fn pax<'a>(mut data: &'a [u8], pending: &mut Pending<'a>) -> Result<(), &'static str> {
    while !data.iter().all(|&b| b == 0) {
        let (length, _) = split_once(data, b' ').ok_or("a PAX record without a length")?;
        let length =
            decimal(length).and_then(|l| usize::try_from(l).ok()).ok_or("a PAX record with an unreadable length")?;
        let (record, rest) = data.split_at_checked(length).ok_or("a PAX record longer than its header")?;
        let (_, body) = split_once(record, b' ').ok_or("a PAX record shorter than its length")?;
        let body = body.strip_suffix(b"\n").ok_or("a PAX record not ended by a newline")?;
        let (key, value) = split_once(body, b'=').ok_or("a PAX record without `=`")?;
        match key {
            b"path" => pending.path = Some(value),
            b"linkpath" => pending.link = Some(value),
            b"size" => pending.size = Some(decimal(value).ok_or("an unreadable PAX size")?),
            b"mtime" => pending.mtim = Some(pax_time(value).ok_or("an unreadable PAX mtime")?),
            _ if key.starts_with(b"GNU.sparse.") => pending.sparse = true,
            _ => {}
        }
        data = rest;
    }
    Ok(())
}

/// `text` split around the first `byte` (which neither part keeps).
fn split_once(text: &[u8], byte: u8) -> Option<(&[u8], &[u8])> {
    let at = text.iter().position(|&b| b == byte)?;
    Some((text.get(..at)?, text.get(at.checked_add(1)?..)?))
}

/// A decimal number (digits only, at least one).
fn decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &b| n.checked_mul(10)?.checked_add(u64::from(char::from(b).to_digit(10)?)))
}

/// A PAX time (`seconds[.fraction]`, perhaps negative) in nanoseconds since the epoch: times
/// before it become 0, the fraction past nanoseconds is dropped.
fn pax_time(text: &[u8]) -> Option<u64> {
    if let Some(negative) = text.strip_prefix(b"-") {
        return pax_time(negative).map(|_| 0);
    }
    let (seconds, fraction) = split_once(text, b'.').unwrap_or((text, b""));
    let nanos = fraction
        .iter()
        .map(|&b| char::from(b).to_digit(10))
        .chain(std::iter::repeat(Some(0)))
        .take(fraction.len().max(9))
        .enumerate()
        .try_fold(0u64, |n, (i, digit)| {
            let digit = u64::from(digit?);
            Some(if i < 9 { n.saturating_mul(10).saturating_add(digit) } else { n })
        })?;
    Some(decimal(seconds)?.saturating_mul(1_000_000_000).saturating_add(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_octal_or_base_256() {
        assert_eq!(number(b"0000644\0"), Some(0o644));
        assert_eq!(number(b"   644 \0"), Some(0o644));
        assert_eq!(number(b"\0\0\0\0\0\0\0\0"), Some(0));
        assert_eq!(number(b"        "), Some(0));
        assert_eq!(number(b"0000648\0"), None);
        assert_eq!(number(b"64 4\0\0\0\0"), None);
        assert_eq!(number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]), Some(1 << 16));
        assert_eq!(number(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]), None);
        assert_eq!(number(&[0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None, "past 64 bits");
        assert_eq!(number(b"7777777777777777777777"), None, "past 64 bits");
    }

    #[test]
    fn pax_times_keep_nanoseconds() {
        assert_eq!(pax_time(b"1700000000"), Some(1_700_000_000_000_000_000));
        assert_eq!(pax_time(b"1.5"), Some(1_500_000_000));
        assert_eq!(pax_time(b"1.1234567899"), Some(1_123_456_789));
        assert_eq!(pax_time(b"-5.5"), Some(0));
        assert_eq!(pax_time(b"1.x"), None);
        assert_eq!(pax_time(b""), None);
    }

    /// A PAX record, its length computed.
    fn record(key: &str, value: &str) -> Vec<u8> {
        let body = format!(" {key}={value}\n");
        let mut length = body.len() + 1;
        while length != body.len() + length.to_string().len() {
            length = body.len() + length.to_string().len();
        }
        format!("{length}{body}").into_bytes()
    }

    #[test]
    fn pax_records_set_what_follows() {
        assert_eq!(record("path", "a"), b"9 path=a\n");
        assert_eq!(record("path", "a/very/long/path/name"), b"30 path=a/very/long/path/name\n");
        let data =
            [record("path", "a/very/long/path/name"), record("linkpath", "target"), record("size", "42")].concat();
        let mut pending = Pending::default();
        pax(&data, &mut pending).unwrap();
        assert_eq!(pending.path, Some(&b"a/very/long/path/name"[..]));
        assert_eq!(pending.link, Some(&b"target"[..]));
        assert_eq!(pending.size, Some(42));
        assert!(!pending.sparse);
        let mut data = [record("uid", "0"), record("GNU.sparse.major", "1")].concat();
        data.extend_from_slice(&[0; 7]);
        pax(&data, &mut pending).unwrap();
        assert!(pending.sparse);
        for bad in [&b"5 a=b\n"[..], b"x a=b\n", b"99 a=b\n", b"7 ab\n\n\n", b"1 \n", b"0 \n", b"12 size=4x\n"] {
            assert!(pax(bad, &mut Pending::default()).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
