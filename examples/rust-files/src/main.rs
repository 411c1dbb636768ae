//! Word counts for every `.txt` file named on the command line, written to `counts.txt` in the
//! preopened directory.
//!
//!     lucent --dir DATA::. rust-files.wasm a.txt b.txt

use std::fs;
use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut report = fs::File::create("counts.txt")?;
    for name in std::env::args().skip(1) {
        match fs::read_to_string(&name) {
            Ok(text) => {
                let words = text.split_whitespace().count();
                writeln!(report, "{name}: {words} words")?;
                println!("{name}: {words} words");
            }
            Err(e) => {
                writeln!(report, "{name}: {e}")?;
                eprintln!("{name}: {e}");
            }
        }
    }
    println!("wrote counts.txt");
    Ok(())
}
