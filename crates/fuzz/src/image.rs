//! Fuzz target (c): archives built from the input, mounted as images (`lucent_image`).
//!
//! Random bytes almost never pass a tar header's checksum, so the input describes headers —
//! members of every type flag, GNU long names and links, PAX records, ustar prefixes, octal and
//! base-256 numbers, sizes that lie — and this module writes them with correct checksums, then
//! damages some: a wrong checksum, a cut anywhere, flipped bytes, gzip around it.
//!
//! Oracles: loading returns (an image or an error with a message), never panics; a loaded
//! image's tree is well formed (listings sorted, names single components other than `.` and
//! `..`, what a listing says agrees with a lookup), every symlink's target stays beneath the
//! root read from where it is, every file reads back as many bytes as its size, and the tree
//! holds no more nodes than the member limit allows.

use crate::Outcomes;
use arbitrary::Unstructured;
use lucent_core::fs::{Found, OpenOptions, Opened, WasiDir};
use lucent_core::path::Component;
use lucent_image::{Image, Options};
use std::io::{IoSliceMut, Write};
use std::sync::Arc;

/// The member limit images are loaded with here (small, so the limit is reached).
pub const MAX_MEMBERS: usize = 64;

/// Path components member names and link targets are built from.
const TOKENS: &[&str] = &["a", "b", "d", "f", "l", ".", "", "a/b", "n123456789012345678901234567890123456789"];

/// Type flags: what members are, and the extension headers.
const FLAGS: &[u8] = b"0\x00125734 6SVDMNgxLKz";

/// The type flags of members that load: most headers use one of these, so that most archives
/// are not refused for their first odd member.
const COMMON_FLAGS: &[u8] = b"0125xL";

/// PAX keys the loader reads, and some it ignores.
const PAX_KEYS: &[&str] = &["path", "linkpath", "size", "mtime", "uid", "GNU.sparse.major", "comment"];

/// A path built from [`TOKENS`].
fn path(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let n = u.int_in_range(1..=8)?;
    let mut parts = Vec::with_capacity(n);
    for _ in 0..n {
        parts.push(if u.ratio(1, 24)? { ".." } else { *u.choose(TOKENS)? });
    }
    let mut path = parts.join("/");
    if u.ratio(1, 12)? {
        path.insert(0, '/');
    }
    if u.ratio(1, 4)? {
        path.insert_str(0, "./");
    }
    if u.ratio(1, 6)? {
        path.push('/');
    }
    Ok(path.into_bytes())
}

/// A numeric field's text: the value in octal, base-256, or something else.
fn number(u: &mut Unstructured<'_>, value: u64, width: usize) -> arbitrary::Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=9)? {
        0 => {
            // Base-256, big-endian, the first byte flagged.
            let mut field = vec![0u8; width];
            for (i, b) in value.to_be_bytes().iter().rev().enumerate() {
                if let Some(slot) = width.checked_sub(i + 1).and_then(|at| field.get_mut(at)) {
                    *slot = *b;
                }
            }
            if let Some(first) = field.first_mut() {
                *first |= 0x80;
            }
            field
        }
        1 => {
            let len = u.int_in_range(0..=width)?;
            u.bytes(len)?.to_vec()
        }
        _ => format!("{value:0w$o}\0", w = width.saturating_sub(1)).into_bytes(),
    })
}

/// One header and its data, as bytes.
fn header(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let flag = if u.ratio(3, 4)? { *u.choose(COMMON_FLAGS)? } else { *u.choose(FLAGS)? };
    let data: Vec<u8> = match flag {
        b'L' | b'K' => {
            let mut name = path(u)?;
            name.push(0);
            name
        }
        b'x' | b'g' => {
            let mut records = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                let key = *u.choose(PAX_KEYS)?;
                let value = match key {
                    "path" | "linkpath" => path(u)?,
                    "size" | "mtime" | "uid" => match u.int_in_range(0..=3)? {
                        0 => b"-1.5".to_vec(),
                        1 => b"99999999999999999999999".to_vec(),
                        _ => u.int_in_range(0..=3000u64)?.to_string().into_bytes(),
                    },
                    _ => {
                        let len = u.int_in_range(0..=8)?;
                        u.bytes(len)?.to_vec()
                    }
                };
                records.extend(record(key, &value, u.ratio(1, 16)?));
            }
            records
        }
        _ => {
            let len = u.int_in_range(0..=1200)?;
            (0..len).map(|i| u8::try_from(i % 251).unwrap_or(0)).collect()
        }
    };
    let mut block = [0u8; 512];
    let mut put = |at: usize, bytes: &[u8]| {
        for (slot, b) in block.iter_mut().skip(at).zip(bytes) {
            *slot = *b;
        }
    };
    let name = if matches!(flag, b'L' | b'K') { b"././@LongLink".to_vec() } else { path(u)? };
    put(0, &name[..name.len().min(100)]);
    let mode = u64::from(u.int_in_range(0..=0o7777u32)?);
    put(100, &number(u, mode, 8)?);
    put(108, b"0000000\0");
    put(116, b"0000000\0");
    let size = u64::try_from(data.len()).unwrap_or(0);
    let size = if u.ratio(1, 16)? { u.int_in_range(0..=1 << 40)? } else { size };
    put(124, &number(u, size, 12)?);
    let mtime = u64::from(u.arbitrary::<u32>()?);
    put(136, &number(u, mtime, 12)?);
    put(156, &[flag]);
    if matches!(flag, b'1' | b'2') || u.ratio(1, 16)? {
        let link = path(u)?;
        put(157, &link[..link.len().min(100)]);
    }
    if u.ratio(1, 3)? {
        put(257, b"ustar  \0");
    } else {
        put(257, b"ustar\x0000");
        if u.ratio(1, 4)? {
            let prefix = path(u)?;
            put(345, &prefix[..prefix.len().min(155)]);
        }
    }
    let sum = block
        .iter()
        .enumerate()
        .fold(0u32, |sum, (i, &b)| sum.saturating_add(if (148..156).contains(&i) { 32 } else { u32::from(b) }));
    let sum = if u.ratio(1, 40)? { sum.wrapping_add(1) } else { sum };
    let checksum = format!("{sum:06o}\0 ");
    for (slot, b) in block.iter_mut().skip(148).zip(checksum.as_bytes()) {
        *slot = *b;
    }
    let mut out = block.to_vec();
    out.extend_from_slice(&data);
    out.resize(out.len().next_multiple_of(512), 0);
    Ok(out)
}

/// A PAX record, its length counting itself (or one off, when `wrong`).
fn record(key: &str, value: &[u8], wrong: bool) -> Vec<u8> {
    let body = [b" ", key.as_bytes(), b"=", value, b"\n"].concat();
    let mut length = body.len() + 1;
    while length != body.len() + length.to_string().len() {
        length = body.len() + length.to_string().len();
    }
    let length = if wrong { length + 1 } else { length };
    [length.to_string().as_bytes(), &body].concat()
}

/// The archive an input describes.
pub fn archive(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for _ in 0..u.int_in_range(0..=12)? {
        bytes.extend(header(u)?);
    }
    if u.ratio(3, 4)? {
        bytes.extend_from_slice(&[0; 1024]);
    }
    if u.ratio(1, 10)? && !bytes.is_empty() {
        let at = u.choose_index(bytes.len())?;
        bytes.truncate(at);
    }
    let flips = if u.ratio(1, 4)? { u.int_in_range(1..=2)? } else { 0 };
    for _ in 0..flips {
        if bytes.is_empty() {
            break;
        }
        let at = u.choose_index(bytes.len())?;
        if let Some(b) = bytes.get_mut(at) {
            *b = u.arbitrary()?;
        }
    }
    if u.ratio(1, 8)? {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        bytes = gz.finish().map_err(|_| arbitrary::Error::IncorrectFormat)?;
    }
    Ok(bytes)
}

/// Builds the archive the input describes, loads it and checks the oracles; panics on a
/// finding. The outcomes count loads and what the trees held.
pub fn run(data: &[u8]) -> Outcomes {
    let mut outcomes = Outcomes::default();
    let mut u = Unstructured::new(data);
    let Ok(bytes) = archive(&mut u) else {
        return outcomes;
    };
    let options = Options { dev: 9, max_members: MAX_MEMBERS, max_unpacked: 1 << 20 };
    match Image::from_bytes(bytes, &options) {
        Ok(image) => {
            outcomes.record("load", true);
            assert!(image.nodes() <= MAX_MEMBERS + 1, "{} nodes past the limit", image.nodes());
            walk(&image.root(), 0, &mut outcomes);
        }
        Err(error) => {
            outcomes.record("load", false);
            assert!(!error.to_string().is_empty());
        }
    }
    outcomes
}

/// Checks everything beneath `dir`, `depth` levels below the root.
fn walk(dir: &Arc<dyn WasiDir>, depth: usize, outcomes: &mut Outcomes) {
    assert!(depth <= MAX_MEMBERS, "a tree deeper than its node count");
    let mut entries = Vec::new();
    dir.read_dir(0, &mut |entry, _| {
        entries.push(entry.name.clone());
        true
    })
    .expect("an image directory lists");
    let names: Vec<&Vec<u8>> = entries.iter().filter(|n| !matches!(n.as_slice(), b"." | b"..")).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "a listing out of order or with duplicates: {names:?}");
    for name in names {
        assert!(!name.is_empty() && !name.contains(&b'/') && !name.contains(&0), "a bad entry name {name:?}");
        let component = Component::new(name).expect("an entry name is a component");
        match dir.lookup(&component).expect("an entry can be looked up") {
            Found::Dir(sub) => {
                outcomes.record("dir", true);
                walk(&sub, depth + 1, outcomes);
            }
            Found::File => {
                let read = OpenOptions { read: true, ..OpenOptions::default() };
                match dir.open(&component, &read) {
                    Ok(Opened::File(file)) => {
                        let size = file.filestat().expect("a file's filestat").size;
                        let mut total = 0u64;
                        let mut buf = [0u8; 4096];
                        loop {
                            let n = file.read_vectored(&mut [IoSliceMut::new(&mut buf)]).expect("a file reads");
                            if n == 0 {
                                break;
                            }
                            total += n as u64;
                        }
                        assert_eq!(total, size, "{name:?} reads back other than its size");
                        outcomes.record("file", true);
                    }
                    Ok(other) => panic!("{name:?} looked up as a file opens as {other:?}"),
                    Err(errno) => {
                        assert_eq!(errno, lucent_abi::Errno::Acces, "{name:?} cannot be opened");
                        outcomes.record("file", false);
                    }
                }
            }
            Found::Symlink(target) => {
                assert!(stays_inside(&target, depth), "symlink {name:?} at depth {depth} points out: {target:?}");
                outcomes.record("symlink", true);
            }
            Found::Nothing => panic!("{name:?} is listed but not found"),
        }
    }
}

/// Whether `target`, read from a directory `depth` levels below the root, stays beneath it
/// (written apart from the loader's check, as an oracle should be).
fn stays_inside(target: &[u8], depth: usize) -> bool {
    let mut depth = i64::try_from(depth).unwrap_or(i64::MAX);
    if target.first() == Some(&b'/') {
        return false;
    }
    for part in target.split(|&b| b == b'/') {
        depth += match part {
            b"" | b"." => 0,
            b".." => -1,
            _ => 1,
        };
        if depth < 0 {
            return false;
        }
    }
    true
}
