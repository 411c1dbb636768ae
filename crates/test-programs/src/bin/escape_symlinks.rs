//! Sandbox escapes through symlinks made on the host: to `..`, `../..`, `../outside.txt`,
//! absolute paths (the host's `/etc/passwd`, the test directory, even the sandbox itself), a
//! chain a→b→c→outside, a link that leaves before it would loop. Every call that follows one
//! (`SYMLINK_FOLLOW`, a trailing `/` or `/.`, a path through it) is `perm`; the link itself
//! may be looked at, renamed and removed.
//!
//! Fixture: see `escape_fixture` in the host test (`fs_path.rs`).

use test_programs::errno::{LOOP, PERM, SUCCESS};
use test_programs::escape::{following_far_refused, following_refused, reads_refused};
use test_programs::path_fs::filetype::DIRECTORY;
use test_programs::path_fs::{filetype_of, read_file, readlink, rename, rights, unlink};
use test_programs::{FOLLOW, PREOPEN as P, check_eq, oflags, open, path_filestat};

/// Symlinks that lead outside, and would only reach files beneath the test's temporary
/// directory if resolution were wrong.
const ESCAPING_LINKS: &[(&str, &str)] = &[
    ("link_out", "../outside.txt"),
    ("link_dotdot", ".."),
    ("link_parent_sandbox", "../sandbox"),
    ("chain_a", "chain_b"),
    ("chain_b", "sub/chain_c"),
    ("sub/chain_c", "../chain_d"),
    ("chain_d", "../outside.txt"),
    ("sub/up_out", "../../outside.txt"),
    ("loop_out", "../sandbox/loop_out"),
];

/// Symlinks that lead above the test's temporary directory: `link/.` is only read.
const FAR_LINKS: &[(&str, &str)] = &[("link_dotdot2", "../.."), ("sub/up2", "../..")];

/// Symlinks with absolute contents (host paths made by the test): refused even when they name
/// the sandbox itself.
const ABSOLUTE_LINKS: &[&str] = &["link_abs_out", "link_abs_root", "link_abs_self", "link_abs_missing"];

fn main() {
    for (link, contents) in ESCAPING_LINKS {
        check_eq!(readlink(P, link, 64), Ok(contents.to_string()));
        following_refused(P, link, PERM);
    }
    for (link, contents) in FAR_LINKS {
        check_eq!(readlink(P, link, 64), Ok(contents.to_string()));
        following_far_refused(P, link, PERM);
    }
    for link in ABSOLUTE_LINKS {
        check_eq!(readlink(P, link, 4096).map(|c| c.starts_with('/')), Ok(true));
        following_refused(P, link, PERM);
    }
    // Links to the host's own files: only reads are tried.
    for link in ["link_etc", "link_passwd"] {
        for path in [link.to_string(), format!("{link}/"), format!("{link}/."), format!("{link}/passwd")] {
            let fd = open(P, FOLLOW, &path, 0, rights::FD_READ, 0, 0);
            check_eq!(fd, Err(PERM));
            check_eq!(path_filestat(P, FOLLOW, &path).map(|s| s.ino), Err(PERM));
        }
        reads_refused(P, &format!("{link}/."), PERM);
    }

    // Links that stay inside are followed: `sub/up -> ..` is the preopen itself.
    check_eq!(read_file(P, FOLLOW, "sub/up/victim.txt"), Ok("victim".into()));
    check_eq!(path_filestat(P, FOLLOW, "sub/up").map(|s| s.ino), path_filestat(P, 0, ".").map(|s| s.ino));
    check_eq!(filetype_of(P, 0, "sub/up/sub/up/."), Ok(DIRECTORY));
    check_eq!(filetype_of(P, FOLLOW, "loop_x"), Err(LOOP));
    // From `sub` opened as a descriptor, `up` leaves it.
    let sub = open(P, FOLLOW, "sub", oflags::DIRECTORY, rights::DIR, rights::ALL, 0).unwrap();
    following_refused(sub, "up", PERM);
    following_refused(sub, "chain_c", PERM);

    // The links themselves can be renamed and removed (the outside file stays); a renamed
    // escaping link still escapes.
    check_eq!(rename(P, "link_out", P, "renamed_out"), SUCCESS);
    following_refused(P, "renamed_out", PERM);
    check_eq!(unlink(P, "renamed_out"), SUCCESS);
    check_eq!(unlink(P, "link_abs_out"), SUCCESS);
    check_eq!(unlink(P, "chain_d"), SUCCESS);
    check_eq!(read_file(P, FOLLOW, "chain_a"), Err(test_programs::errno::NOENT));
    println!("ok");
}
