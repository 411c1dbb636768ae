use super::*;
use proptest::prelude::*;
use std::io::Write;
use tar::{EntryType, Header};

/// One raw member: a ustar header written byte by byte (so that names the `tar` crate's
/// builder would refuse, such as `../x`, can be made), then the data, padded.
fn member(path: &[u8], kind: EntryType, data: &[u8], link: &[u8]) -> Vec<u8> {
    let mut header = Header::new_ustar();
    header.as_mut_bytes()[..path.len()].copy_from_slice(path);
    header.as_mut_bytes()[157..157 + link.len()].copy_from_slice(link);
    header.set_size(data.len() as u64);
    header.set_mode(if kind == EntryType::Directory { 0o755 } else { 0o644 });
    header.set_mtime(1_700_000_000);
    header.set_entry_type(kind);
    header.set_cksum();
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(512), 0);
    out
}

fn file(path: &str, data: &[u8]) -> Vec<u8> {
    member(path.as_bytes(), EntryType::Regular, data, b"")
}

fn dir(path: &str) -> Vec<u8> {
    member(path.as_bytes(), EntryType::Directory, b"", b"")
}

fn symlink(path: &str, target: &str) -> Vec<u8> {
    member(path.as_bytes(), EntryType::Symlink, b"", target.as_bytes())
}

fn hard_link(path: &str, target: &str) -> Vec<u8> {
    member(path.as_bytes(), EntryType::Link, b"", target.as_bytes())
}

/// An archive of `members`, with the two zero blocks that end one.
fn archive(members: &[Vec<u8>]) -> Vec<u8> {
    let mut out = members.concat();
    out.extend_from_slice(&[0; 1024]);
    out
}

fn sample() -> Vec<u8> {
    archive(&[
        dir("./"),
        dir("./etc/"),
        file("./etc/hosts", b"127.0.0.1 localhost\n"),
        file("./usr/lib/python/os.py", b"import sys\n"),
        symlink("./usr/lib/python/current", "."),
        symlink("./bin", "usr/lib"),
        hard_link("./etc/hosts.bak", "./etc/hosts"),
        file("./empty", b""),
    ])
}

fn load(bytes: Vec<u8>) -> Result<Image, LoadError> {
    Image::from_bytes(bytes, &Options { dev: 7, ..Options::default() })
}

fn c(name: &str) -> Component {
    Component::new(name.as_bytes()).unwrap()
}

fn read_all(file: &Arc<dyn WasiFile>) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut buf = [0u8; 7];
        let n = file.read_vectored(&mut [IoSliceMut::new(&mut buf)]).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn open_dir(dir: &Arc<dyn WasiDir>, name: &str) -> Arc<dyn WasiDir> {
    match dir.lookup(&c(name)).unwrap() {
        Found::Dir(d) => d,
        other => panic!("{name}: {other:?}"),
    }
}

fn open_file(dir: &Arc<dyn WasiDir>, name: &str) -> Arc<dyn WasiFile> {
    match dir.open(&c(name), &OpenOptions { read: true, ..OpenOptions::default() }).unwrap() {
        Opened::File(f) => f,
        other => panic!("{name}: {other:?}"),
    }
}

fn names(dir: &Arc<dyn WasiDir>, cookie: u64) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    dir.read_dir(cookie, &mut |e, next| {
        out.push((String::from_utf8(e.name.clone()).unwrap(), next));
        true
    })
    .unwrap();
    out
}

#[test]
fn members_become_a_tree_with_their_data_times_and_links() {
    let image = load(sample()).unwrap();
    let root = image.root();
    let etc = open_dir(&root, "etc");
    assert_eq!(read_all(&open_file(&etc, "hosts")), b"127.0.0.1 localhost\n");
    assert_eq!(read_all(&open_file(&root, "empty")), b"");
    let python = open_dir(&open_dir(&open_dir(&root, "usr"), "lib"), "python");
    assert_eq!(read_all(&open_file(&python, "os.py")), b"import sys\n");
    assert!(matches!(root.lookup(&c("bin")).unwrap(), Found::Symlink(t) if t == b"usr/lib"));
    assert_eq!(python.read_link(&c("current")).unwrap(), b".");
    assert!(matches!(root.lookup(&c("missing")).unwrap(), Found::Nothing));

    // A hard link is the same file: same inode, two links.
    let hosts = etc.stat_at(&c("hosts")).unwrap();
    let bak = etc.stat_at(&c("hosts.bak")).unwrap();
    assert_eq!((hosts.dev, hosts.ino, hosts.nlink, hosts.size), (7, bak.ino, 2, 20));
    assert_eq!(hosts.mtim, 1_700_000_000_000_000_000);
    // Directories made for a path (usr/, usr/lib/) exist, with a time of 0.
    let usr = root.stat_at(&c("usr")).unwrap();
    assert_eq!((usr.filetype, usr.mtim, usr.nlink), (Filetype::Directory.raw(), 0, 3));
    // Identity is the archive's order: the same on every load.
    assert_eq!(load(sample()).unwrap().root().stat_at(&c("etc")).unwrap().ino, root.stat_at(&c("etc")).unwrap().ino);
}

#[test]
fn listings_are_sorted_and_resume_from_any_cookie() {
    let image = load(sample()).unwrap();
    let root = image.root();
    let all = names(&root, 0);
    let listed: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(listed, [".", "..", "bin", "empty", "etc", "usr"]);
    for (i, (_, next)) in all.iter().enumerate() {
        assert_eq!(names(&root, *next), all[i + 1..].to_vec());
    }
    assert!(names(&root, u64::MAX).is_empty());
}

#[test]
fn reads_seeks_and_positioned_reads_serve_the_members_bytes() {
    let image = load(archive(&[file("f", b"0123456789")])).unwrap();
    let f = open_file(&image.root(), "f");
    assert_eq!(f.seek(4, Whence::Set).unwrap(), 4);
    let mut a = [0u8; 3];
    let mut b = [0u8; 10];
    assert_eq!(f.read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)]).unwrap(), 6);
    assert_eq!((&a, &b[..3]), (b"456", &b"789"[..]));
    assert_eq!(f.seek(-2, Whence::End).unwrap(), 8);
    assert!(matches!(f.readiness(Interest::Read), Ok(Readiness::Now { nbytes: 2, .. })));
    let mut c = [0u8; 4];
    assert_eq!(f.pread_vectored(&mut [IoSliceMut::new(&mut c)], 1).unwrap(), 4);
    assert_eq!(&c, b"1234");
    assert_eq!(f.pread_vectored(&mut [IoSliceMut::new(&mut c)], 1 << 40).unwrap(), 0);
    assert_eq!(f.seek(-1, Whence::Set), Err(Errno::Inval));
}

#[test]
fn nothing_can_be_changed() {
    let image = load(sample()).unwrap();
    let root = image.root();
    let write = OpenOptions { write: true, ..OpenOptions::default() };
    let create = OpenOptions { create: true, ..OpenOptions::default() };
    assert_eq!(root.open(&c("empty"), &write).unwrap_err(), Errno::Rofs);
    assert_eq!(root.open(&c("new"), &create).unwrap_err(), Errno::Rofs);
    assert_eq!(root.open(&c("etc"), &write).unwrap_err(), Errno::Isdir);
    assert!(matches!(root.open(&c("empty"), &create), Ok(Opened::File(_))), "O_CREAT of what exists opens it");
    let exclusive = OpenOptions { create: true, exclusive: true, ..OpenOptions::default() };
    assert_eq!(root.open(&c("empty"), &exclusive).unwrap_err(), Errno::Exist);
    assert_eq!(root.create_dir(&c("etc")), Err(Errno::Exist));
    assert_eq!(root.create_dir(&c("new")), Err(Errno::Rofs));
    assert_eq!(root.symlink(b"x", &c("new")), Err(Errno::Rofs));
    assert_eq!(root.unlink_file(&c("empty")), Err(Errno::Rofs));
    assert_eq!(root.remove_dir(&c("etc")), Err(Errno::Rofs));
    assert_eq!(root.rename(&c("empty"), root.as_ref(), &c("other")), Err(Errno::Rofs));
    assert_eq!(root.link(&c("empty"), root.as_ref(), &c("other")), Err(Errno::Rofs));
    assert_eq!(root.set_times_at(&c("empty"), SetTime::At(1), SetTime::Omit), Err(Errno::Rofs));
    let f = open_file(&root, "empty");
    assert_eq!(f.write_vectored(&[IoSlice::new(b"x")]), Err(Errno::Badf));
    assert_eq!(f.pwrite_vectored(&[IoSlice::new(b"x")], 0), Err(Errno::Badf));
    assert_eq!(f.set_size(0), Err(Errno::Badf));
    assert_eq!(f.allocate(0, 1), Err(Errno::Badf));
    assert_eq!(f.set_times(SetTime::At(1), SetTime::Omit), Err(Errno::Rofs));
}

#[test]
fn a_file_no_one_may_read_is_refused() {
    let mut bytes = member(b"secret", EntryType::Regular, b"x", b"");
    let mut header = Header::from_byte_slice(&bytes[..512]).clone();
    header.set_mode(0o200);
    header.set_cksum();
    bytes[..512].copy_from_slice(header.as_bytes());
    let image = load(archive(&[bytes])).unwrap();
    let read = OpenOptions { read: true, ..OpenOptions::default() };
    assert_eq!(image.root().open(&c("secret"), &read).unwrap_err(), Errno::Acces);
}

#[test]
fn a_plain_archive_is_mapped_and_a_gzip_one_decompressed_with_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("image.tar");
    std::fs::write(&plain, sample()).unwrap();
    let gz = dir.path().join("image.tar.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&sample()).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();

    let mapped = Image::open(&plain, &Options::default()).unwrap();
    let unpacked = Image::open(&gz, &Options::default()).unwrap();
    assert!(mapped.is_mapped());
    assert!(!unpacked.is_mapped());
    for image in [&mapped, &unpacked] {
        assert_eq!(read_all(&open_file(&open_dir(&image.root(), "etc"), "hosts")), b"127.0.0.1 localhost\n");
        assert_eq!(image.nodes(), 10);
    }
    // Metadata, not contents: a 1 MiB member adds nothing to the tree's memory.
    let big = archive(&[file("big", &vec![7u8; 1 << 20])]);
    let small = archive(&[file("big", b"x")]);
    assert_eq!(load(big).unwrap().metadata_bytes(), load(small).unwrap().metadata_bytes());
}

/// The error for `members`, as the user reads it.
fn refused(members: &[Vec<u8>]) -> String {
    load(archive(members)).unwrap_err().to_string()
}

#[test]
fn hostile_members_are_refused_naming_the_member() {
    let cases: Vec<(Vec<Vec<u8>>, &str)> = vec![
        (vec![file("/etc/passwd", b"x")], "member `/etc/passwd`: an absolute path"),
        (vec![file("a/../../x", b"x")], "member `a/../../x`: a `..` component"),
        (vec![file("..", b"x")], "member `..`: a `..` component"),
        (vec![symlink("l", "/etc")], "member `l`: a symlink pointing out of the image (to `/etc`)"),
        (vec![symlink("a/l", "../../x")], "member `a/l`: a symlink pointing out of the image (to `../../x`)"),
        (vec![file("f", b"1"), file("./f", b"2")], "member `./f`: a duplicate member"),
        (vec![dir("d/"), dir("d/")], "member `d/`: a duplicate member"),
        (vec![file("d", b""), dir("d/")], "member `d/`: a duplicate member"),
        (vec![hard_link("h", "missing")], "member `h`: a hard link to `missing`, which is not an earlier file"),
        (vec![dir("d/"), hard_link("h", "d")], "member `h`: a hard link to `d`, which is not an earlier file"),
        (vec![file("f", b""), file("f/g", b"")], "member `f/g`: its path goes through `f`, which is not a directory"),
        (vec![member(b"dev", EntryType::Char, b"", b"")], "member `dev`: a device or FIFO"),
        (vec![member(b"fifo", EntryType::Fifo, b"", b"")], "member `fifo`: a device or FIFO"),
        (vec![symlink("l", "")], "member `l`: a symlink without a target"),
        (vec![symlink("./", "a")], "member `./`: names the image's root but is not a directory"),
        (
            vec![member(b"vol", EntryType::new(b'V'), b"", b"")],
            "member `vol`: a member of an unknown type (type flag 'V')",
        ),
        (vec![member(b"s", EntryType::GNUSparse, b"", b"")], "member `s`: a sparse member"),
    ];
    for (members, expected) in cases {
        let error = refused(&members);
        assert!(error.starts_with(expected), "{error:?} should start with {expected:?}");
    }
    // A directory described after a member beneath it is no duplicate.
    assert!(load(archive(&[file("d/f", b""), dir("d/")])).is_ok());
}

/// What archivers write past plain ustar: GNU long names and link targets, the POSIX prefix
/// field, PAX records (path, link target, size, time in nanoseconds), PAX global headers, and
/// old archives' directories written as regular members with a trailing slash.
#[test]
fn long_names_prefixes_and_pax_records_are_read() {
    let long_dir = "d".repeat(120);
    let long_name = format!("{long_dir}/{}", "f".repeat(130));
    let long_target = format!("{}/x", "t".repeat(140));
    let mut gnu = tar::Builder::new(Vec::new());
    let mut header = Header::new_gnu();
    header.set_size(4);
    header.set_mode(0o640);
    gnu.append_data(&mut header, &long_name, &b"long"[..]).unwrap();
    let mut header = Header::new_gnu();
    header.set_size(0);
    header.set_mode(0o200);
    gnu.append_data(&mut header, format!("{long_dir}/{}", "w".repeat(130)), &b""[..]).unwrap();
    let mut header = Header::new_gnu();
    header.set_entry_type(EntryType::Symlink);
    header.set_size(0);
    gnu.append_link(&mut header, "link", &long_target).unwrap();
    let image = load(gnu.into_inner().unwrap()).unwrap();
    let dir = open_dir(&image.root(), &long_dir);
    assert_eq!(read_all(&open_file(&dir, &"f".repeat(130))), b"long");
    // The mode comes from the long-named member's own header: 0o200 may not be read.
    let read = OpenOptions { read: true, ..OpenOptions::default() };
    assert_eq!(dir.open(&c(&"w".repeat(130)), &read).unwrap_err(), Errno::Acces);
    assert_eq!(image.root().read_link(&c("link")).unwrap(), long_target.as_bytes());

    // A ustar header splits a path of up to 255 bytes into prefix and name.
    let mut ustar = tar::Builder::new(Vec::new());
    let split = format!("{}/{}", "p".repeat(140), "n".repeat(90));
    let mut header = Header::new_ustar();
    header.set_path(&split).unwrap();
    header.set_mode(0o644);
    assert_ne!(&header.as_bytes()[345..350], b"\0\0\0\0\0", "the prefix field is used");
    header.set_size(2);
    header.set_cksum();
    ustar.append(&header, &b"ok"[..]).unwrap();
    let image = load(ustar.into_inner().unwrap()).unwrap();
    assert_eq!(read_all(&open_file(&open_dir(&image.root(), &"p".repeat(140)), &"n".repeat(90))), b"ok");

    // PAX: a global header (ignored), then records overriding the path, size and time.
    let mut pax = tar::Builder::new(Vec::new());
    let mut global = Header::new_ustar();
    global.set_entry_type(EntryType::XGlobalHeader);
    global.set_size(15);
    global.set_cksum();
    pax.append(&global, &b"15 comment=abc\n"[..]).unwrap();
    pax.append_pax_extensions([("path", &b"pax/named.txt"[..]), ("mtime", b"1700000000.25"), ("size", b"3")]).unwrap();
    let mut header = Header::new_ustar();
    header.set_path("short").unwrap();
    header.set_mode(0o644);
    header.set_size(99);
    header.set_cksum();
    pax.append(&header, &b"abc"[..]).unwrap();
    let mut old = member(b"olddir/", EntryType::Regular, b"", b"");
    old.extend(file("olddir/inner", b"i"));
    pax.get_mut().extend(old);
    let mut bytes = pax.into_inner().unwrap();
    bytes.extend_from_slice(&[0; 1024]);
    let image = load(bytes).unwrap();
    let pax_dir = open_dir(&image.root(), "pax");
    assert_eq!(read_all(&open_file(&pax_dir, "named.txt")), b"abc");
    assert_eq!(pax_dir.stat_at(&c("named.txt")).unwrap().mtim, 1_700_000_000_250_000_000);
    assert!(matches!(image.root().lookup(&c("short")).unwrap(), Found::Nothing));
    assert_eq!(read_all(&open_file(&open_dir(&image.root(), "olddir"), "inner")), b"i");

    // Sparse files in PAX form are refused like old `S` members.
    let mut sparse = tar::Builder::new(Vec::new());
    sparse.append_pax_extensions([("GNU.sparse.major", &b"1"[..]), ("GNU.sparse.minor", b"0")]).unwrap();
    let mut header = Header::new_ustar();
    header.set_path("holes").unwrap();
    header.set_size(0);
    header.set_cksum();
    sparse.append(&header, &b""[..]).unwrap();
    let error = load(sparse.into_inner().unwrap()).unwrap_err().to_string();
    assert!(error.starts_with("member `holes`: a sparse member"), "{error}");
}

#[test]
fn truncated_and_corrupt_archives_are_refused() {
    let whole = archive(&[file("a", b"first"), file("big", &[1u8; 2000])]);
    // Cut inside the second member's data.
    let cut = whole[..512 + 512 + 512 + 1000].to_vec();
    assert_eq!(load(cut).unwrap_err().to_string(), "truncated archive: it ends inside the data of member `big`");
    // Cut inside a header.
    let cut = whole[..512 + 512 + 100].to_vec();
    assert!(load(cut).unwrap_err().to_string().starts_with("not a valid tar archive (at byte 1024)"));
    let mut first = whole.clone();
    first[3] ^= 0x40;
    assert_eq!(
        load(first).unwrap_err().to_string(),
        "not a tar archive (plain or gzip): its first block is not a tar header"
    );
    // A flipped byte in the second header.
    let mut flipped = whole.clone();
    flipped[1024 + 3] ^= 0x40;
    assert_eq!(
        load(flipped).unwrap_err().to_string(),
        "not a valid tar archive (at byte 1024): archive header checksum mismatch"
    );
    // Not an archive at all.
    let error = load(b"\x7fELF and so on".repeat(100)).unwrap_err().to_string();
    assert_eq!(error, "not a tar archive (plain or gzip): its first block is not a tar header");
    // A damaged gzip stream.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&whole).unwrap();
    let mut gz = encoder.finish().unwrap();
    let middle = gz.len() / 2;
    gz.truncate(middle);
    assert!(load(gz).unwrap_err().to_string().starts_with("not a valid tar archive (at byte 0): gzip:"));
}

#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..64 {
        encoder.write_all(&[0u8; 1 << 20]).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "64 MiB of zeros compress to {} bytes", bomb.len());
    let options = Options { max_unpacked: 8 << 20, ..Options::default() };
    assert_eq!(
        Image::from_bytes(bomb, &options).unwrap_err().to_string(),
        "the gzip archive decompresses to more than 8388608 bytes (the limit for an image)"
    );
}

#[test]
fn member_counts_are_bounded_implicit_directories_included() {
    let options = Options { max_members: 10, ..Options::default() };
    let files: Vec<Vec<u8>> = (0..11).map(|i| file(&format!("f{i}"), b"")).collect();
    assert_eq!(
        Image::from_bytes(archive(&files), &options).unwrap_err().to_string(),
        "the archive has more than 10 members (the limit for an image)"
    );
    assert!(Image::from_bytes(archive(&files[..10]), &options).is_ok());
    let deep = file(&"d/".repeat(20).to_string(), b"");
    assert!(Image::from_bytes(archive(&[deep]), &options).unwrap_err().to_string().contains("more than 10 members"));
}

proptest! {
    /// Whatever the bytes, loading returns (never panics), and a loaded image can be walked.
    #[test]
    fn any_bytes_load_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(image) = load(bytes) {
            let _ = names(&image.root(), 0);
        }
    }

    /// A valid archive with bytes flipped anywhere loads or is refused, never panics, and what
    /// loads can be read through.
    #[test]
    fn damaged_archives_load_or_are_refused(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = sample();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(image) = load(bytes) {
            walk(&image.root(), 0);
        }
    }
}

/// Reads everything beneath `dir`.
fn walk(dir: &Arc<dyn WasiDir>, depth: usize) {
    assert!(depth < 64);
    for (name, _) in names(dir, 2) {
        let name = Component::new(name.as_bytes()).unwrap();
        match dir.lookup(&name).unwrap() {
            Found::Dir(d) => walk(&d, depth + 1),
            Found::File => {
                if let Ok(Opened::File(f)) = dir.open(&name, &OpenOptions { read: true, ..OpenOptions::default() }) {
                    read_all(&f);
                }
            }
            Found::Symlink(_) | Found::Nothing => {}
        }
    }
}
