//! The compile-cache attack of the security review, from inside the guest: given the user's
//! home (which holds Lucent's compile cache, `.cache/lucent`) as a writable preopen, try to
//! list, read, replace and move the cache, directly, through a symlink, and by moving the
//! directories above it. Every attempt must fail with `acces` (Rust's `PermissionDenied`);
//! the program prints one line per attempt and exits 1 if any succeeded.
//!
//! Argument: the guest path of the home directory.

use std::fs;
use std::io::ErrorKind;

fn main() {
    let home = std::env::args().nth(1).expect("the home directory");
    let cache = format!("{home}/.cache/lucent");
    let mut escaped = false;
    let mut check = |what: &str, result: std::io::Result<()>| match result {
        Err(e) if e.kind() == ErrorKind::PermissionDenied => println!("{what}: denied"),
        Err(e) => println!("{what}: failed otherwise ({e})"),
        Ok(()) => {
            println!("{what}: SUCCEEDED");
            escaped = true;
        }
    };
    check("list the cache", fs::read_dir(&cache).map(drop));
    check("list its modules", fs::read_dir(format!("{cache}/modules")).map(drop));
    check("read the secret", fs::read(format!("{cache}/key")).map(drop));
    check("stat the secret", fs::metadata(format!("{cache}/key")).map(drop));
    check("plant an entry", fs::write(format!("{cache}/modules/planted.entry"), "forged"));
    check("replace the secret", fs::write(format!("{cache}/key"), [0u8; 32]));
    check("through .. from beside it", fs::read(format!("{home}/.cache/../.cache/lucent/key")).map(drop));
    // A symlink of the guest's making, pointing in (the home is the first preopen).
    let _ = fs::remove_file(format!("{home}/to-cache"));
    assert_eq!(test_programs::symlink(".cache/lucent", test_programs::PREOPEN, "to-cache"), 0, "make a symlink");
    check("through a symlink", fs::read(format!("{home}/to-cache/key")).map(drop));
    check("list through a symlink", fs::read_dir(format!("{home}/to-cache")).map(drop));
    // Moving the cache, or a directory above it, to put a forged one in its place.
    check("move the cache", fs::rename(&cache, format!("{home}/moved-cache")));
    check("move the directory above", fs::rename(format!("{home}/.cache"), format!("{home}/moved-dot-cache")));
    // Where `.cache` is a symlink: remove it, or put another in its place.
    if fs::symlink_metadata(format!("{home}/.cache")).is_ok_and(|m| m.file_type().is_symlink()) {
        check("remove the symlink on the path", fs::remove_file(format!("{home}/.cache")));
        fs::write(format!("{home}/decoy"), "").expect("make a decoy");
        check("replace the symlink on the path", fs::rename(format!("{home}/decoy"), format!("{home}/.cache")));
    }
    // The cache is still there, untouched, under its name.
    let still = fs::symlink_metadata(&cache).map(|m| m.is_dir()).unwrap_or(false);
    println!("cache still in place: {still}");
    std::process::exit(if escaped || !still { 1 } else { 0 });
}
