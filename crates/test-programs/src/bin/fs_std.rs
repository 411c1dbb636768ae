//! The whole `std::fs` surface in the preopened directory: directories, listings, metadata,
//! rename, links, symlinks, sizes, times, removal.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime};

fn listing(dir: &str) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn main() -> std::io::Result<()> {
    fs::create_dir("d")?;
    fs::create_dir_all("d/e/f")?;
    println!("create_dir again: {}", fs::create_dir("d").unwrap_err().kind());
    fs::write("d/a.txt", "alpha")?;
    fs::write("d/e/b.txt", "beta beta")?;
    println!("list d: {:?}", listing("d"));

    let meta = fs::metadata("d/e/b.txt")?;
    println!("b.txt: file={} len={}", meta.is_file(), meta.len());
    println!("d/e: dir={}", fs::metadata("d/e")?.is_dir());
    println!("missing: {}", fs::metadata("nope").unwrap_err().kind());

    fs::rename("d/a.txt", "d/e/f/a2.txt")?;
    println!("after rename d: {:?}, f: {:?}", listing("d"), listing("d/e/f"));

    fs::hard_link("d/e/b.txt", "d/b-link.txt")?;
    println!("nlink-based read: {}", fs::read_to_string("d/b-link.txt")?);

    assert_eq!(test_programs::symlink("e/b.txt", test_programs::PREOPEN, "d/sym"), 0);
    println!("read_link: {:?}", fs::read_link("d/sym")?);
    println!("through symlink: {}", fs::read_to_string("d/sym")?);
    println!("symlink_metadata is_symlink: {}", fs::symlink_metadata("d/sym")?.file_type().is_symlink());
    println!("absolute symlink: {}", test_programs::symlink("/etc/passwd", test_programs::PREOPEN, "d/abs"));

    let mut f = OpenOptions::new().read(true).write(true).create(true).truncate(true).open("d/sized.bin")?;
    f.set_len(100)?;
    println!("set_len 100: {}", f.metadata()?.len());
    f.set_len(3)?;
    f.write_all(b"xyz")?;
    println!("pos after write: {}", f.stream_position()?);
    f.seek(SeekFrom::Start(0))?;
    let mut s = String::new();
    f.read_to_string(&mut s)?;
    println!("content: {:?}", s);
    f.sync_all()?;
    f.sync_data()?;

    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    f.set_modified(when)?;
    println!("mtime set: {}", fs::metadata("d/sized.bin")?.modified()? == when);

    fs::remove_file("d/sym")?;
    fs::remove_file("d/b-link.txt")?;
    println!("remove non-empty dir: {}", fs::remove_dir("d/e").is_err());
    fs::remove_dir_all("d/e")?;
    println!("final d: {:?}", listing("d"));

    // A large directory is listed completely across several fd_readdir calls.
    fs::create_dir("many")?;
    for i in 0..300 {
        File::create(format!("many/file-with-a-longish-name-{i:04}"))?;
    }
    println!("many: {}", fs::read_dir("many")?.count());
    Ok(())
}
