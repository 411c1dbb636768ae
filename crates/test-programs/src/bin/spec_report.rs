//! The WASI specification as the `wasi` crate's generated bindings compile it for wasm32:
//! every record's size, alignment and field offsets, every enumeration's values, every right,
//! for `wasi_snapshot_preview1` (wasi 0.11) and `wasi_unstable` (wasi 0.6), one per line. The
//! program also refers to every function of both modules, so that its imports are the two
//! ABIs' complete function lists with their types. The host tests compare both with Lucent's.

use std::mem::{align_of, offset_of, size_of};
use wasi_unstable::wasi_unstable::raw as p0;

/// `record ABI NAME SIZE ALIGN FIELD=OFFSET...`, field names as the witx files give them.
macro_rules! record {
    ($abi:literal, $name:literal, $ty:ty, $($field:literal = $rust:ident),* $(,)?) => {
        let fields: Vec<String> = vec![$(format!("{}={}", $field, offset_of!($ty, $rust))),*];
        println!("record {} {} {} {} {}", $abi, $name, size_of::<$ty>(), align_of::<$ty>(), fields.join(" "));
    };
}

/// `value KIND NAME RAW` for each constant (names lower-cased, as in witx).
macro_rules! values {
    ($kind:literal: $($constant:path),* $(,)?) => {
        $(println!("value {} {} {}", $kind, $constant.name().to_lowercase(), $constant.raw());)*
    };
}

/// `right ABI NAME BIT` for each right (the constant's name after its prefix).
macro_rules! rights {
    ($abi:literal, $prefix:literal: $($constant:path),* $(,)?) => {
        $({
            let name = stringify!($constant).rsplit("::").next().unwrap_or_default();
            let name = name.strip_prefix($prefix).unwrap_or(name).to_lowercase();
            println!("right {} {} {}", $abi, name, u64::trailing_zeros($constant as u64));
        })*
    };
}

/// The address of every function, so that each becomes an import of this module.
macro_rules! functions {
    ($($f:path),* $(,)?) => {
        [$($f as *const () as usize),*]
    };
}

fn main() {
    use wasi::*;
    record!("preview1", "iovec", Iovec, "buf" = buf, "buf_len" = buf_len);
    record!("preview1", "ciovec", Ciovec, "buf" = buf, "buf_len" = buf_len);
    record!("preview1", "fdstat", Fdstat, "fs_filetype" = fs_filetype, "fs_flags" = fs_flags,
        "fs_rights_base" = fs_rights_base, "fs_rights_inheriting" = fs_rights_inheriting);
    record!("preview1", "prestat", Prestat, "tag" = tag, "dir" = u);
    record!("preview1", "filestat", Filestat, "dev" = dev, "ino" = ino, "filetype" = filetype, "nlink" = nlink,
        "size" = size, "atim" = atim, "mtim" = mtim, "ctim" = ctim);
    record!("preview1", "dirent", Dirent, "d_next" = d_next, "d_ino" = d_ino, "d_namlen" = d_namlen, "d_type" = d_type);
    record!("preview1", "event", Event, "userdata" = userdata, "error" = error, "type" = type_,
        "fd_readwrite" = fd_readwrite);
    record!("preview1", "event_fd_readwrite", EventFdReadwrite, "nbytes" = nbytes, "flags" = flags);
    record!("preview1", "subscription", Subscription, "userdata" = userdata, "u" = u);
    record!("preview1", "subscription_u", SubscriptionU, "tag" = tag, "payload" = u);
    record!("preview1", "subscription_clock", SubscriptionClock, "id" = id, "timeout" = timeout,
        "precision" = precision, "flags" = flags);

    record!("preview0", "iovec", p0::__wasi_iovec_t, "buf" = buf, "buf_len" = buf_len);
    record!("preview0", "fdstat", p0::__wasi_fdstat_t, "fs_filetype" = fs_filetype, "fs_flags" = fs_flags,
        "fs_rights_base" = fs_rights_base, "fs_rights_inheriting" = fs_rights_inheriting);
    record!("preview0", "prestat", p0::__wasi_prestat_t, "tag" = pr_type, "dir" = u);
    record!("preview0", "filestat", p0::__wasi_filestat_t, "dev" = st_dev, "ino" = st_ino, "filetype" = st_filetype,
        "nlink" = st_nlink, "size" = st_size, "atim" = st_atim, "mtim" = st_mtim, "ctim" = st_ctim);
    record!("preview0", "dirent", p0::__wasi_dirent_t, "d_next" = d_next, "d_ino" = d_ino, "d_namlen" = d_namlen,
        "d_type" = d_type);
    record!("preview0", "event", p0::__wasi_event_t, "userdata" = userdata, "error" = error, "type" = type_,
        "fd_readwrite" = u);
    record!("preview0", "event_fd_readwrite", p0::__wasi_event_u_fd_readwrite_t, "nbytes" = nbytes, "flags" = flags);
    record!("preview0", "subscription", p0::__wasi_subscription_t, "userdata" = userdata, "u" = type_);
    record!("preview0", "subscription_clock", p0::__wasi_subscription_u_clock_t, "identifier" = identifier,
        "id" = clock_id, "timeout" = timeout, "precision" = precision, "flags" = flags);
    // The payload of `wasi_unstable`'s subscription union sits after the one-byte tag.
    println!("record preview0 subscription_u 0 0 tag=0 payload={}", offset_of!(p0::__wasi_subscription_t, u)
        - offset_of!(p0::__wasi_subscription_t, type_));

    values!("errno": ERRNO_SUCCESS, ERRNO_2BIG, ERRNO_ACCES, ERRNO_ADDRINUSE, ERRNO_ADDRNOTAVAIL,
        ERRNO_AFNOSUPPORT, ERRNO_AGAIN, ERRNO_ALREADY, ERRNO_BADF, ERRNO_BADMSG, ERRNO_BUSY, ERRNO_CANCELED,
        ERRNO_CHILD, ERRNO_CONNABORTED, ERRNO_CONNREFUSED, ERRNO_CONNRESET, ERRNO_DEADLK, ERRNO_DESTADDRREQ,
        ERRNO_DOM, ERRNO_DQUOT, ERRNO_EXIST, ERRNO_FAULT, ERRNO_FBIG, ERRNO_HOSTUNREACH, ERRNO_IDRM, ERRNO_ILSEQ,
        ERRNO_INPROGRESS, ERRNO_INTR, ERRNO_INVAL, ERRNO_IO, ERRNO_ISCONN, ERRNO_ISDIR, ERRNO_LOOP, ERRNO_MFILE,
        ERRNO_MLINK, ERRNO_MSGSIZE, ERRNO_MULTIHOP, ERRNO_NAMETOOLONG, ERRNO_NETDOWN, ERRNO_NETRESET,
        ERRNO_NETUNREACH, ERRNO_NFILE, ERRNO_NOBUFS, ERRNO_NODEV, ERRNO_NOENT, ERRNO_NOEXEC, ERRNO_NOLCK,
        ERRNO_NOLINK, ERRNO_NOMEM, ERRNO_NOMSG, ERRNO_NOPROTOOPT, ERRNO_NOSPC, ERRNO_NOSYS, ERRNO_NOTCONN,
        ERRNO_NOTDIR, ERRNO_NOTEMPTY, ERRNO_NOTRECOVERABLE, ERRNO_NOTSOCK, ERRNO_NOTSUP, ERRNO_NOTTY, ERRNO_NXIO,
        ERRNO_OVERFLOW, ERRNO_OWNERDEAD, ERRNO_PERM, ERRNO_PIPE, ERRNO_PROTO, ERRNO_PROTONOSUPPORT,
        ERRNO_PROTOTYPE, ERRNO_RANGE, ERRNO_ROFS, ERRNO_SPIPE, ERRNO_SRCH, ERRNO_STALE, ERRNO_TIMEDOUT,
        ERRNO_TXTBSY, ERRNO_XDEV, ERRNO_NOTCAPABLE);
    values!("clockid": CLOCKID_REALTIME, CLOCKID_MONOTONIC, CLOCKID_PROCESS_CPUTIME_ID, CLOCKID_THREAD_CPUTIME_ID);
    values!("whence": WHENCE_SET, WHENCE_CUR, WHENCE_END);
    values!("filetype": FILETYPE_UNKNOWN, FILETYPE_BLOCK_DEVICE, FILETYPE_CHARACTER_DEVICE, FILETYPE_DIRECTORY,
        FILETYPE_REGULAR_FILE, FILETYPE_SOCKET_DGRAM, FILETYPE_SOCKET_STREAM, FILETYPE_SYMBOLIC_LINK);
    values!("advice": ADVICE_NORMAL, ADVICE_SEQUENTIAL, ADVICE_RANDOM, ADVICE_WILLNEED, ADVICE_DONTNEED,
        ADVICE_NOREUSE);
    values!("signal": SIGNAL_NONE, SIGNAL_HUP, SIGNAL_INT, SIGNAL_QUIT, SIGNAL_ILL, SIGNAL_TRAP, SIGNAL_ABRT,
        SIGNAL_BUS, SIGNAL_FPE, SIGNAL_KILL, SIGNAL_USR1, SIGNAL_SEGV, SIGNAL_USR2, SIGNAL_PIPE, SIGNAL_ALRM,
        SIGNAL_TERM, SIGNAL_CHLD, SIGNAL_CONT, SIGNAL_STOP, SIGNAL_TSTP, SIGNAL_TTIN, SIGNAL_TTOU, SIGNAL_URG,
        SIGNAL_XCPU, SIGNAL_XFSZ, SIGNAL_VTALRM, SIGNAL_PROF, SIGNAL_WINCH, SIGNAL_POLL, SIGNAL_PWR, SIGNAL_SYS);
    println!("value whence0 cur {}", p0::__WASI_WHENCE_CUR);
    println!("value whence0 end {}", p0::__WASI_WHENCE_END);
    println!("value whence0 set {}", p0::__WASI_WHENCE_SET);

    rights!("preview1", "RIGHTS_": RIGHTS_FD_DATASYNC, RIGHTS_FD_READ, RIGHTS_FD_SEEK, RIGHTS_FD_FDSTAT_SET_FLAGS,
        RIGHTS_FD_SYNC, RIGHTS_FD_TELL, RIGHTS_FD_WRITE, RIGHTS_FD_ADVISE, RIGHTS_FD_ALLOCATE,
        RIGHTS_PATH_CREATE_DIRECTORY, RIGHTS_PATH_CREATE_FILE, RIGHTS_PATH_LINK_SOURCE, RIGHTS_PATH_LINK_TARGET,
        RIGHTS_PATH_OPEN, RIGHTS_FD_READDIR, RIGHTS_PATH_READLINK, RIGHTS_PATH_RENAME_SOURCE,
        RIGHTS_PATH_RENAME_TARGET, RIGHTS_PATH_FILESTAT_GET, RIGHTS_PATH_FILESTAT_SET_SIZE,
        RIGHTS_PATH_FILESTAT_SET_TIMES, RIGHTS_FD_FILESTAT_GET, RIGHTS_FD_FILESTAT_SET_SIZE,
        RIGHTS_FD_FILESTAT_SET_TIMES, RIGHTS_PATH_SYMLINK, RIGHTS_PATH_REMOVE_DIRECTORY, RIGHTS_PATH_UNLINK_FILE,
        RIGHTS_POLL_FD_READWRITE, RIGHTS_SOCK_SHUTDOWN, RIGHTS_SOCK_ACCEPT);
    rights!("preview0", "__WASI_RIGHT_": p0::__WASI_RIGHT_FD_DATASYNC, p0::__WASI_RIGHT_FD_READ,
        p0::__WASI_RIGHT_FD_SEEK, p0::__WASI_RIGHT_FD_FDSTAT_SET_FLAGS, p0::__WASI_RIGHT_FD_SYNC,
        p0::__WASI_RIGHT_FD_TELL, p0::__WASI_RIGHT_FD_WRITE, p0::__WASI_RIGHT_FD_ADVISE, p0::__WASI_RIGHT_FD_ALLOCATE,
        p0::__WASI_RIGHT_PATH_CREATE_DIRECTORY, p0::__WASI_RIGHT_PATH_CREATE_FILE,
        p0::__WASI_RIGHT_PATH_LINK_SOURCE, p0::__WASI_RIGHT_PATH_LINK_TARGET, p0::__WASI_RIGHT_PATH_OPEN,
        p0::__WASI_RIGHT_FD_READDIR, p0::__WASI_RIGHT_PATH_READLINK, p0::__WASI_RIGHT_PATH_RENAME_SOURCE,
        p0::__WASI_RIGHT_PATH_RENAME_TARGET, p0::__WASI_RIGHT_PATH_FILESTAT_GET,
        p0::__WASI_RIGHT_PATH_FILESTAT_SET_SIZE, p0::__WASI_RIGHT_PATH_FILESTAT_SET_TIMES,
        p0::__WASI_RIGHT_FD_FILESTAT_GET, p0::__WASI_RIGHT_FD_FILESTAT_SET_SIZE,
        p0::__WASI_RIGHT_FD_FILESTAT_SET_TIMES, p0::__WASI_RIGHT_PATH_SYMLINK,
        p0::__WASI_RIGHT_PATH_REMOVE_DIRECTORY, p0::__WASI_RIGHT_PATH_UNLINK_FILE,
        p0::__WASI_RIGHT_POLL_FD_READWRITE, p0::__WASI_RIGHT_SOCK_SHUTDOWN);

    use wasi::wasi_snapshot_preview1 as p1;
    let preview1 = functions![p1::args_get, p1::args_sizes_get, p1::environ_get, p1::environ_sizes_get,
        p1::clock_res_get, p1::clock_time_get, p1::fd_advise, p1::fd_allocate, p1::fd_close, p1::fd_datasync,
        p1::fd_fdstat_get, p1::fd_fdstat_set_flags, p1::fd_fdstat_set_rights, p1::fd_filestat_get,
        p1::fd_filestat_set_size, p1::fd_filestat_set_times, p1::fd_pread, p1::fd_prestat_get,
        p1::fd_prestat_dir_name, p1::fd_pwrite, p1::fd_read, p1::fd_readdir, p1::fd_renumber, p1::fd_seek,
        p1::fd_sync, p1::fd_tell, p1::fd_write, p1::path_create_directory, p1::path_filestat_get,
        p1::path_filestat_set_times, p1::path_link, p1::path_open, p1::path_readlink, p1::path_remove_directory,
        p1::path_rename, p1::path_symlink, p1::path_unlink_file, p1::poll_oneoff, p1::proc_exit, p1::proc_raise,
        p1::sched_yield, p1::random_get, p1::sock_accept, p1::sock_recv, p1::sock_send, p1::sock_shutdown];
    let preview0 = functions![p0::__wasi_clock_res_get, p0::__wasi_clock_time_get, p0::__wasi_fd_close,
        p0::__wasi_fd_datasync, p0::__wasi_fd_pread, p0::__wasi_fd_pwrite, p0::__wasi_fd_read,
        p0::__wasi_fd_renumber, p0::__wasi_fd_seek, p0::__wasi_fd_tell, p0::__wasi_fd_fdstat_get,
        p0::__wasi_fd_fdstat_set_flags, p0::__wasi_fd_fdstat_set_rights, p0::__wasi_fd_sync, p0::__wasi_fd_write,
        p0::__wasi_fd_advise, p0::__wasi_fd_allocate, p0::__wasi_path_create_directory, p0::__wasi_path_link,
        p0::__wasi_path_open, p0::__wasi_fd_readdir, p0::__wasi_path_readlink, p0::__wasi_path_rename,
        p0::__wasi_fd_filestat_get, p0::__wasi_fd_filestat_set_times, p0::__wasi_fd_filestat_set_size,
        p0::__wasi_path_filestat_get, p0::__wasi_path_filestat_set_times, p0::__wasi_path_symlink,
        p0::__wasi_path_unlink_file, p0::__wasi_path_remove_directory, p0::__wasi_poll_oneoff,
        p0::__wasi_proc_exit, p0::__wasi_proc_raise, p0::__wasi_random_get, p0::__wasi_sock_recv,
        p0::__wasi_sock_send, p0::__wasi_sock_shutdown, p0::__wasi_sched_yield, p0::__wasi_args_get,
        p0::__wasi_args_sizes_get, p0::__wasi_environ_get, p0::__wasi_environ_sizes_get,
        p0::__wasi_fd_prestat_get, p0::__wasi_fd_prestat_dir_name];
    println!("functions preview1 {} preview0 {}", std::hint::black_box(preview1).len(),
        std::hint::black_box(preview0).len());
}
