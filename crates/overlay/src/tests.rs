use super::*;
use lucent_abi::Filetype;
use lucent_memfs::Options;

fn c(name: &str) -> Component {
    Component::new(name.as_bytes()).unwrap()
}

/// A lower layer in memory: `f` ("lower"), `d/` with `d/x` and `d/sub/`.
fn lower() -> MemFs {
    let fs = MemFs::new(Options::default());
    let root = fs.root();
    write(&root, "f", b"lower");
    root.create_dir(&c("d")).unwrap();
    let Found::Dir(d) = root.lookup(&c("d")).unwrap() else { panic!() };
    write(&d, "x", b"x");
    d.create_dir(&c("sub")).unwrap();
    fs
}

fn write(dir: &Arc<dyn WasiDir>, name: &str, data: &[u8]) {
    let options = OpenOptions { write: true, create: true, truncate: true, ..OpenOptions::default() };
    let Opened::File(f) = dir.open(&c(name), &options).unwrap() else { panic!() };
    assert_eq!(f.write_vectored(&[IoSlice::new(data)]).unwrap(), data.len());
}

fn read(dir: &Arc<dyn WasiDir>, name: &str) -> Vec<u8> {
    let Opened::File(f) = dir.open(&c(name), &OpenOptions { read: true, ..OpenOptions::default() }).unwrap() else {
        panic!()
    };
    let mut buf = vec![0u8; 100];
    let n = f.read_vectored(&mut [IoSliceMut::new(&mut buf)]).unwrap();
    buf.truncate(n);
    buf
}

fn open_dir(dir: &Arc<dyn WasiDir>, name: &str) -> Arc<dyn WasiDir> {
    match dir.open(&c(name), &OpenOptions { read: true, directory: true, ..OpenOptions::default() }).unwrap() {
        Opened::Dir(d) => d,
        _ => panic!(),
    }
}

/// Names from `cookie` on, each with the cookie after it.
fn list(dir: &Arc<dyn WasiDir>, cookie: u64) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    dir.read_dir(cookie, &mut |e, next| {
        out.push((String::from_utf8(e.name.clone()).unwrap(), next));
        true
    })
    .unwrap();
    out
}

fn names(dir: &Arc<dyn WasiDir>) -> Vec<String> {
    let mut names: Vec<String> = list(dir, 0).into_iter().map(|(n, _)| n).collect();
    names.sort();
    names
}

fn setup() -> (MemFs, Overlay, Arc<dyn WasiDir>) {
    let below = lower();
    let overlay = Overlay::new(below.root(), MemFs::new(Options { dev: 9, ..Options::default() })).unwrap();
    let root = overlay.root();
    (below, overlay, root)
}

#[test]
fn writes_copy_up_and_the_lower_layer_keeps_its_bytes() {
    let (below, _overlay, root) = setup();
    let stat = root.stat_at(&c("f")).unwrap();
    let options = OpenOptions { read: true, write: true, ..OpenOptions::default() };
    let Opened::File(f) = root.open(&c("f"), &options).unwrap() else { panic!() };
    f.pwrite_vectored(&[IoSlice::new(b"UP")], 0).unwrap();
    assert_eq!(read(&root, "f"), b"UPwer");
    assert_eq!(read(&below.root(), "f"), b"lower");
    // The copy has the lower file's times, and is another file now.
    let copied = root.stat_at(&c("f")).unwrap();
    assert_eq!(copied.atim, stat.atim);
    // It keeps the identity it had below: a copy-up changes nothing a program saw.
    assert_eq!((copied.dev, copied.ino), (stat.dev, stat.ino));
    assert_eq!(f.filestat().unwrap().ino, stat.ino);
    // A new file has the upper layer's.
    write(&root, "new", b"");
    assert_eq!(root.stat_at(&c("new")).unwrap().dev, 9);
}

#[test]
fn removals_leave_whiteouts_and_a_directory_made_again_is_opaque() {
    let (below, _overlay, root) = setup();
    root.unlink_file(&c("f")).unwrap();
    assert!(matches!(root.lookup(&c("f")).unwrap(), Found::Nothing));
    assert_eq!(names(&root), [".", "..", "d"]);
    write(&root, "f", b"new");
    assert_eq!(read(&root, "f"), b"new");

    let d = open_dir(&root, "d");
    assert_eq!(root.remove_dir(&c("d")), Err(Errno::Notempty));
    d.unlink_file(&c("x")).unwrap();
    d.remove_dir(&c("sub")).unwrap();
    assert_eq!(names(&d), [".", ".."]);
    root.remove_dir(&c("d")).unwrap();
    root.create_dir(&c("d")).unwrap();
    assert_eq!(names(&open_dir(&root, "d")), [".", ".."], "the lower d's entries stay hidden");
    // Below, nothing moved.
    let Found::Dir(lower_d) = below.root().lookup(&c("d")).unwrap() else { panic!() };
    assert_eq!(names(&lower_d), [".", "..", "sub", "x"]);
    assert_eq!(read(&below.root(), "f"), b"lower");
}

#[test]
fn a_directory_with_a_lower_part_moves_whole_and_the_lower_one_stays() {
    let (below, _overlay, root) = setup();
    root.rename(&c("d"), root.as_ref(), &c("e")).unwrap();
    assert!(matches!(root.lookup(&c("d")).unwrap(), Found::Nothing));
    let e = open_dir(&root, "e");
    assert_eq!(names(&e), [".", "..", "sub", "x"]);
    assert_eq!(read(&e, "x"), b"x");
    assert!(matches!(below.root().lookup(&c("d")).unwrap(), Found::Dir(_)));
    // Made again where it was: empty (the lower d stays hidden).
    root.create_dir(&c("d")).unwrap();
    assert_eq!(names(&open_dir(&root, "d")), [".", ".."]);
    root.rename(&c("f"), root.as_ref(), &c("g")).unwrap();
    assert_eq!(read(&root, "g"), b"lower");
    assert!(matches!(root.lookup(&c("f")).unwrap(), Found::Nothing));
    root.create_dir(&c("new")).unwrap();
    root.rename(&c("new"), root.as_ref(), &c("newer")).unwrap();
    assert_eq!(root.stat_at(&c("newer")).unwrap().filetype, Filetype::Directory.raw());
}

#[test]
fn a_descriptor_opened_before_the_upper_part_existed_sees_what_is_made_since() {
    let (_below, _overlay, root) = setup();
    let early = open_dir(&root, "d");
    let late = open_dir(&root, "d");
    write(&late, "made", b"later");
    assert_eq!(read(&early, "made"), b"later");
    assert_eq!(names(&early), [".", "..", "made", "sub", "x"]);
}

#[test]
fn listings_resume_from_any_cookie_across_both_layers() {
    let (_below, _overlay, root) = setup();
    let d = open_dir(&root, "d");
    write(&d, "up1", b"");
    write(&d, "up2", b"");
    let all = list(&d, 0);
    assert_eq!(all.len(), 6, "{all:?}");
    for (i, (_, next)) in all.iter().enumerate() {
        assert_eq!(list(&d, *next), all[i + 1..].to_vec());
    }
}

#[test]
fn a_copy_up_that_does_not_fit_leaves_nothing_half_copied() {
    let below = MemFs::new(Options::default());
    write(&below.root(), "big", &[1u8; 100]);
    let overlay = Overlay::new(below.root(), MemFs::new(Options { limit: Some(2048), ..Options::default() })).unwrap();
    let root = overlay.root();
    let big = vec![2u8; 8192];
    write(&below.root(), "big", &big);
    let options = OpenOptions { write: true, ..OpenOptions::default() };
    assert_eq!(root.open(&c("big"), &options).unwrap_err(), Errno::Nospc);
    assert_eq!(root.stat_at(&c("big")).unwrap().size, 8192, "the lower file shows through");
    // Truncating needs no copy of the data.
    let truncate = OpenOptions { write: true, truncate: true, ..OpenOptions::default() };
    assert!(matches!(root.open(&c("big"), &truncate), Ok(Opened::File(_))));
    assert_eq!(root.stat_at(&c("big")).unwrap().size, 0);
}
