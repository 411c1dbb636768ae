//! The memory backend's side of two hostcalls, without the engine or the guest: `stat` of a
//! path (`path_filestat_get`: the resolver's walk, then `stat_at`) and a listing of 10,000
//! entries read 4 KiB at a time (`fd_readdir` as Rust's standard library calls it), each entry
//! encoded as the hostcall encodes it. `bench/` measures the whole (issue 15's targets); this
//! tells how much of it is the backend's.
//!
//! `cargo bench -p lucent-memfs --bench ops`

#![allow(missing_docs, reason = "criterion's macros generate undocumented functions")]

use criterion::{Criterion, criterion_group, criterion_main};
use lucent_abi::Filetype;
use lucent_core::fs::{OpenOptions, Opened, WasiDir};
use lucent_core::path::{Component, Follow, Step, resolve};
use lucent_memfs::{MemFs, Options};
use std::hint::black_box;
use std::sync::Arc;

const FILES: usize = 10_000;

/// A filesystem with `files/file-000000` … `files/file-009999`, and the directory's handle.
fn tree() -> (Arc<dyn WasiDir>, Arc<dyn WasiDir>) {
    let root = MemFs::new(Options::default()).root();
    let name = |s: &str| Component::new(s.as_bytes()).expect("a name");
    root.create_dir(&name("files")).expect("mkdir");
    let Ok(Opened::Dir(dir)) = root.open(&name("files"), &OpenOptions { directory: true, ..OpenOptions::default() })
    else {
        panic!("open files")
    };
    let create = OpenOptions { write: true, create: true, ..OpenOptions::default() };
    for i in 0..FILES {
        dir.open(&name(&format!("file-{i:06}")), &create).expect("create");
    }
    (root, dir)
}

fn bench(c: &mut Criterion) {
    let (root, dir) = tree();
    let paths: Vec<Vec<u8>> = (0..FILES).map(|i| format!("files/file-{i:06}").into_bytes()).collect();
    c.bench_function("memfs/stat 10,000 paths", |b| {
        b.iter(|| {
            for path in &paths {
                let stat = resolve(&root, path, Follow::Always, |target| {
                    let stat = target.dir.stat_at(target.name)?;
                    if target.follow && stat.filetype == Filetype::SymbolicLink.raw() {
                        return Ok(Step::Follow(target.dir.read_link(target.name)?));
                    }
                    Ok(Step::Done(stat))
                })
                .expect("stat");
                black_box(stat);
            }
        });
    });
    c.bench_function("memfs/readdir 10,000 entries, 4 KiB at a time", |b| {
        let mut buf = vec![0u8; 4096];
        b.iter(|| {
            let mut cookie = 0;
            let mut listed = 0usize;
            loop {
                let mut used = 0usize;
                let mut last = None;
                dir.read_dir(cookie, &mut |entry, next| {
                    // As `fd_readdir`: a 24-byte header, then the name, cut off at the end.
                    let mut header = [0u8; 24];
                    header[..8].copy_from_slice(&next.to_le_bytes());
                    header[8..16].copy_from_slice(&entry.ino.to_le_bytes());
                    for part in [&header[..], &entry.name[..]] {
                        let n = part.len().min(buf.len() - used);
                        buf[used..used + n].copy_from_slice(&part[..n]);
                        used += n;
                    }
                    if used < buf.len() {
                        last = Some(next);
                        listed += 1;
                    }
                    used < buf.len()
                })
                .expect("read_dir");
                match last {
                    Some(next) if used == buf.len() => cookie = next,
                    _ => break,
                }
            }
            assert_eq!(listed, FILES + 2);
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
