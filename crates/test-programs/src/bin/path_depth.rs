//! One depth limit for every path operation: a path of 256 components opens and stats; one of
//! 257 is `nametoolong` (37) for `path_open` and `path_filestat_get` alike, although the
//! directory exists (made through a descriptor on the 256th level).

use test_programs::path_fs::{filetype_of, mkdir};
use test_programs::{FOLLOW, PREOPEN, check_eq, errno, oflags, open, rights};

fn main() {
    let deep = |n: usize| vec!["d"; n].join("/");
    for level in 1..=256 {
        check_eq!(mkdir(PREOPEN, &deep(level)), 0);
    }
    let bottom = open(PREOPEN, FOLLOW, &deep(256), oflags::DIRECTORY, rights::PATH_CREATE_DIRECTORY, 0, 0).unwrap();
    check_eq!(mkdir(bottom, "d"), 0);
    let dir_rights = rights::FD_READDIR;
    check_eq!(open(PREOPEN, FOLLOW, &deep(256), oflags::DIRECTORY, dir_rights, 0, 0).map(drop), Ok(()));
    check_eq!(filetype_of(PREOPEN, FOLLOW, &deep(256)).map(drop), Ok(()));
    check_eq!(open(PREOPEN, FOLLOW, &deep(257), oflags::DIRECTORY, dir_rights, 0, 0).map(drop), Err(errno::NAMETOOLONG));
    check_eq!(filetype_of(PREOPEN, FOLLOW, &deep(257)).map(drop), Err(errno::NAMETOOLONG));
    check_eq!(filetype_of(PREOPEN, 0, &deep(257)).map(drop), Err(errno::NAMETOOLONG));
    println!("ok");
}
