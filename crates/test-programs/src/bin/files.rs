//! Reads and writes files in the preopened directory with the standard library.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};

fn main() -> std::io::Result<()> {
    // Read a file the host put there.
    let mut input = String::new();
    File::open("input.txt")?.read_to_string(&mut input)?;
    println!("input: {}", input.trim());

    // Create, write, read back.
    let mut out = File::create("out.txt")?;
    writeln!(out, "line 1")?;
    drop(out);
    let mut append = OpenOptions::new().append(true).open("out.txt")?;
    writeln!(append, "line 2")?;
    drop(append);
    println!("out: {:?}", std::fs::read_to_string("out.txt")?);

    // Seek and overwrite in place.
    let mut rw = OpenOptions::new().read(true).write(true).open("out.txt")?;
    rw.seek(SeekFrom::Start(5))?;
    rw.write_all(b"A")?;
    let end = rw.seek(SeekFrom::End(0))?;
    println!("size: {end}");
    rw.seek(SeekFrom::Start(0))?;
    let mut all = String::new();
    rw.read_to_string(&mut all)?;
    println!("rewritten: {all:?}");

    // Truncate by creating again; write into an existing subdirectory.
    File::create("out.txt")?.write_all(b"short")?;
    std::fs::write("sub/nested.txt", "nested")?;
    println!("nested: {}", std::fs::read_to_string("sub/../sub/nested.txt")?);

    // Errors come back as errors.
    println!("missing: {}", File::open("missing.txt").unwrap_err().kind());
    println!("escape: {}", File::open("../outside.txt").is_err());
    Ok(())
}
