//! The size limit bounds the host's memory, not only what the guest sees: a guest that fills a
//! memory filesystem with as many small things as the limit lets it make (empty files, hard
//! links, directories, symlinks, one-byte files) makes the host allocate no more than the
//! limit. Measured with a counting allocator around the system's: the bytes live after the
//! filesystem is full, less those live before.

use lucent_abi::Errno;
use lucent_core::fs::{OpenOptions, Opened, WasiDir};
use lucent_core::path::Component;
use lucent_memfs::{MemFs, Options};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::IoSlice;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only a counter is added.
#[allow(unsafe_code, reason = "a global allocator is an unsafe trait; this one only counts")]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The counter is the process's: the tests of this file take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const LIMIT: u64 = 8 << 20;

fn name(i: usize) -> Component {
    Component::new(format!("{i:x}").as_bytes()).unwrap()
}

/// Fills a fresh filesystem with `make` until it says `Nospc`, and returns how many it made
/// and the host bytes they hold.
fn fill(make: impl Fn(&dyn WasiDir, usize) -> Result<(), Errno>) -> (usize, usize) {
    let fs = MemFs::new(Options { limit: Some(LIMIT), ..Options::default() });
    let root = fs.root();
    root.create_dir(&name(usize::MAX)).unwrap();
    let Opened::Dir(dir) =
        root.open(&name(usize::MAX), &OpenOptions { directory: true, ..OpenOptions::default() }).unwrap()
    else {
        panic!("not a directory")
    };
    let before = LIVE.load(Ordering::Relaxed);
    let mut made = 0;
    loop {
        match make(&*dir, made) {
            Ok(()) => made += 1,
            Err(Errno::Nospc) => break,
            Err(e) => panic!("{e:?} after {made}"),
        }
    }
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    assert!(fs.used() <= LIMIT);
    drop(dir);
    drop(root);
    drop(fs);
    (made, held)
}

/// Fills a filesystem with `make` and checks what the host holds for it.
fn check(what: &str, make: impl Fn(&dyn WasiDir, usize) -> Result<(), Errno>) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (made, held) = fill(make);
    let limit = usize::try_from(LIMIT).unwrap();
    eprintln!("{what}: {made} made, {held} bytes held ({:.2}× the limit)", held as f64 / limit as f64);
    assert!(made > 1000, "{what}: only {made} made");
    assert!(held <= limit, "{what}: {held} bytes held for a limit of {limit}");
}

fn create() -> OpenOptions {
    OpenOptions { write: true, create: true, ..OpenOptions::default() }
}

#[test]
fn empty_files_hold_no_more_than_the_limit() {
    check("empty files", |dir, i| match dir.open(&name(i), &create())? {
        Opened::File(_) => Ok(()),
        other => panic!("{other:?}"),
    });
}

#[test]
fn one_byte_files_hold_no_more_than_the_limit() {
    check("one-byte files", |dir, i| match dir.open(&name(i), &create())? {
        Opened::File(f) => f.write_vectored(&[IoSlice::new(b"x")]).map(drop),
        other => panic!("{other:?}"),
    });
}

#[test]
fn directories_hold_no_more_than_the_limit() {
    check("directories", |dir, i| dir.create_dir(&name(i)));
}

#[test]
fn symlinks_hold_no_more_than_the_limit() {
    check("symlinks", |dir, i| dir.symlink(b"t", &name(i)));
}

/// Directories of one file each: every directory's two maps get their first nodes.
#[test]
fn directories_of_one_file_hold_no_more_than_the_limit() {
    check("directories of one file", |dir, i| {
        dir.create_dir(&name(i))?;
        let Opened::Dir(sub) = dir.open(&name(i), &OpenOptions { directory: true, ..OpenOptions::default() })? else {
            panic!("not a directory")
        };
        sub.open(&name(0), &create()).map(drop)
    });
}

/// Files written then truncated to nothing: their page maps are emptied.
#[test]
fn truncated_files_hold_no_more_than_the_limit() {
    check("truncated files", |dir, i| match dir.open(&name(i), &create())? {
        Opened::File(f) => {
            f.write_vectored(&[IoSlice::new(&[1; 9000])])?;
            f.set_size(0)
        }
        other => panic!("{other:?}"),
    });
}

#[test]
fn hard_links_hold_no_more_than_the_limit() {
    check("hard links", |dir, i| {
        if i == 0 { dir.open(&name(0), &create()).map(drop) } else { dir.link(&name(0), dir, &name(i)) }
    });
}
