//! Symlinks the guest makes itself: any relative contents may be stored, even ones that
//! leave the sandbox (the spec checks contents at each use, not at creation); absolute ones
//! are `perm`. Every use that follows an escaping one is `perm`; a link's contents are
//! relative to the directory it is in.
//!
//! Fixture: see `escape_fixture` in the host test (`fs_path.rs`).

use test_programs::errno::{EXIST, LOOP, NOENT, PERM, SUCCESS};
use test_programs::escape::{following_far_refused, following_refused};
use test_programs::path_fs::filetype::SYMBOLIC_LINK;
use test_programs::path_fs::{filetype_of, link, read_file, readlink, rename, rights, write_file};
use test_programs::{FOLLOW, PREOPEN as P, check_eq, oflags, open, symlink};

/// Symlinks that leave the sandbox, made by the guest: (path, contents).
const MADE: &[(&str, &str)] = &[
    ("mine", "../outside.txt"),
    ("sub/mine2", "../../outside.txt"),
    ("up", ".."),
    ("up3", "sub/../.."),
    ("up4", "sub/deeper/../../.."),
    ("back_in", "../sandbox/victim.txt"),
    ("new_outside", "../ESCAPED_guest"),
    ("gesc", "../sandbox/gesc"),
    ("g1", "g2"),
    ("g2", "sub/g3"),
    ("sub/g3", "../mine"),
];

fn main() {
    for (path, contents) in MADE {
        check_eq!(symlink(contents, P, path), SUCCESS);
        check_eq!(readlink(P, path, 64), Ok(contents.to_string()));
        check_eq!(filetype_of(P, 0, path), Ok(SYMBOLIC_LINK));
    }
    for (path, _) in MADE {
        following_refused(P, path, PERM);
    }
    // Above the test's temporary directory: `up2/.` is only read.
    check_eq!(symlink("../..", P, "up2"), SUCCESS);
    following_far_refused(P, "up2", PERM);
    // Absolute contents are refused at creation; nothing is made.
    for contents in ["/etc/passwd", "/outside.txt", "/", "//x", "/ESCAPED_abs"] {
        check_eq!(symlink(contents, P, "abs"), PERM);
        check_eq!(filetype_of(P, 0, "abs"), Err(NOENT));
    }
    // Writing through an escaping link, or creating its target, is refused.
    check_eq!(write_file(P, "mine", "stolen"), Err(PERM));
    check_eq!(write_file(P, "new_outside", "stolen"), Err(PERM));
    check_eq!(write_file(P, "g1", "stolen"), Err(PERM));
    // A hard link to the link is a second escaping link.
    check_eq!(link(P, 0, "sub/mine2", P, "mine2_copy"), SUCCESS);
    following_refused(P, "mine2_copy", PERM);
    check_eq!(link(P, FOLLOW, "sub/mine2", P, "mine2_target"), PERM);
    // Loops made by the guest.
    check_eq!(symlink("gl2", P, "gl1"), SUCCESS);
    check_eq!(symlink("gl1", P, "gl2"), SUCCESS);
    check_eq!(read_file(P, FOLLOW, "gl1"), Err(LOOP));
    check_eq!(symlink("x", P, "gl1"), EXIST);

    // Contents are relative to the link's directory: moved into `sub`, `../outside.txt` names
    // the sandbox's own `outside.txt`, which does not exist until the guest makes a decoy.
    check_eq!(rename(P, "mine", P, "sub/mine_moved"), SUCCESS);
    check_eq!(read_file(P, FOLLOW, "sub/mine_moved"), Err(NOENT));
    check_eq!(write_file(P, "outside.txt", "decoy"), Ok(()));
    check_eq!(read_file(P, FOLLOW, "sub/mine_moved"), Ok("decoy".into()));
    check_eq!(write_file(P, "sub/mine_moved", "decoy, rewritten"), Ok(()));
    // Moved back up, it leaves again.
    check_eq!(rename(P, "sub/mine_moved", P, "mine_back"), SUCCESS);
    following_refused(P, "mine_back", PERM);

    // Made through a descriptor for `sub`: `..` leaves that descriptor's tree, though the same
    // link is inside when reached from the preopen.
    let sub = open(P, FOLLOW, "sub", oflags::DIRECTORY, rights::DIR, rights::ALL, 0).unwrap();
    check_eq!(symlink("../victim.txt", sub, "to_parent"), SUCCESS);
    following_refused(sub, "to_parent", PERM);
    check_eq!(read_file(P, FOLLOW, "sub/to_parent"), Ok("victim".into()));
    println!("ok");
}
