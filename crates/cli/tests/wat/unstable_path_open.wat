;; wasi_unstable `path_open`: creating (CREAT, CREAT|EXCL -> exist, also on a symlink), TRUNC,
;; DIRECTORY on a file -> notdir, trailing slashes, missing names -> noent, `.`, `..` and `//`
;; inside the sandbox, every way out -> perm (`..`, `a/../../outside.txt`, `/etc/passwd`,
;; symlinks to `../outside.txt` or `/etc/passwd`, a symlink whose `..` leaves, creating through
;; a dangling symlink that points outside), symlinks inside followed (last and intermediate
;; components), symlink loops and unfollowed symlinks -> loop, rights (narrowed inheriting
;; rights, missing path_open / path_create_file / path_filestat_set_size -> notcapable),
;; bad fds, unknown flags and bad pointers.
;; Fixture in the preopen (fd 3): `file.txt` = "hello world", `trunc.txt` = "some content",
;; `a/inner.txt` = "inner", symlinks `link_in` -> `file.txt`, `link_out` -> `../outside.txt`,
;; `link_abs` -> `/etc/passwd`, `loop1` -> `loop2`, `loop2` -> `loop1`, `link_dir` -> `a`,
;; `a/up` -> `../file.txt`, `a/escape` -> `../../outside.txt`, `dangling` -> `made.txt`,
;; `dangling_out` -> `../made_outside.txt`. The test then expects `new.txt` and `made.txt`
;; to exist empty, `trunc.txt` to be empty, and nothing created beside the sandbox.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "file.txt")
  (data (i32.const 288) "new.txt")
  (data (i32.const 320) "trunc.txt")
  (data (i32.const 352) "a")
  (data (i32.const 384) "missing.txt")
  (data (i32.const 416) "nodir/x.txt")
  (data (i32.const 448) "..")
  (data (i32.const 480) "a/../../outside.txt")
  (data (i32.const 512) "a/../file.txt")
  (data (i32.const 544) "/etc/passwd")
  (data (i32.const 576) "link_out")
  (data (i32.const 608) "link_abs")
  (data (i32.const 640) "link_in")
  (data (i32.const 672) "loop1")
  (data (i32.const 704) "file.txt/")
  (data (i32.const 736) "link_dir/inner.txt")
  (data (i32.const 768) "a/up")
  (data (i32.const 800) "a/escape")
  (data (i32.const 832) ".")
  (data (i32.const 864) "a/")
  (data (i32.const 896) "dangling")
  (data (i32.const 928) "dangling_out")
  (data (i32.const 960) "../made.txt")
  (data (i32.const 992) "inner.txt")
  (data (i32.const 1024) "link_dir/../file.txt")
  (data (i32.const 1056) "a/./inner.txt")
  (data (i32.const 1088) "./file.txt")
  (data (i32.const 1120) "a/inner.txt/")
  (data (i32.const 1152) "link_in/")
  (data (i32.const 1184) "a//inner.txt")
  (data (i32.const 1216) "file.txt/x")
  (data (i32.const 1248) "loop1/x")
  (data (i32.const 1280) "link_dir")
  (data (i32.const 1312) "./../file.txt")
  (data (i32.const 1536) "hello world")
  (data (i32.const 1552) "inner")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; 1 if the $n bytes at $a and $b are equal
  (func $memeq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (if (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b)))
          (then (return (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; path_open beneath $dir; returns the errno, the new fd lands at 128
  (func $open_at (param $dir i32) (param $lookup i32) (param $path i32) (param $len i32) (param $oflags i32)
      (param $base i64) (param $inh i64) (param $fdflags i32) (result i32)
    (call $path_open (local.get $dir) (local.get $lookup) (local.get $path) (local.get $len)
      (local.get $oflags) (local.get $base) (local.get $inh) (local.get $fdflags) (i32.const 128)))

  ;; path_open beneath the preopen asking for every right; returns the errno, fd at 128
  (func $open (param $lookup i32) (param $path i32) (param $len i32) (param $oflags i32) (result i32)
    (call $open_at (i32.const 3) (local.get $lookup) (local.get $path) (local.get $len) (local.get $oflags)
      (i64.const 0x8e001ff) (i64.const 0) (i32.const 0)))

  ;; opens for reading (errno checked with $id) and checks the first $n bytes equal those at
  ;; $want (ids $id+1 .. $id+3); closes the fd
  (func $reads (param $lookup i32) (param $path i32) (param $len i32) (param $want i32) (param $n i32) (param $id i32)
      (local $fd i32)
    (call $check (call $open_at (i32.const 3) (local.get $lookup) (local.get $path) (local.get $len) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 0) (local.get $id))
    (local.set $fd (i32.load (i32.const 128)))
    (i32.store (i32.const 144) (i32.const 2048))
    (i32.store (i32.const 148) (local.get $n))
    (call $check (call $fd_read (local.get $fd) (i32.const 144) (i32.const 1) (i32.const 136)) (i32.const 0) (i32.add (local.get $id) (i32.const 1)))
    (call $check (call $memeq (i32.const 2048) (local.get $want) (local.get $n)) (i32.const 1) (i32.add (local.get $id) (i32.const 2)))
    (call $check (call $fd_close (local.get $fd)) (i32.const 0) (i32.add (local.get $id) (i32.const 3))))

  ;; the filetype of the fd at 128 (then closed)
  (func $filetype (result i32) (local $fd i32)
    (local.set $fd (i32.load (i32.const 128)))
    (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 160)) (i32.const 0) (i32.const 249))
    (call $check (call $fd_close (local.get $fd)) (i32.const 0) (i32.const 250))
    (i32.load8_u (i32.const 160)))

  (func (export "_start") (local $sub i32) (local $noopen i32) (local $file i32)
    ;; plain open, and the contents
    (call $reads (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 1536) (i32.const 11) (i32.const 1))

    ;; CREAT (1) makes new.txt; CREAT|EXCL (5) on it or on file.txt: exist (20); CREAT alone again: fine
    (call $check (call $open (i32.const 0) (i32.const 288) (i32.const 7) (i32.const 1)) (i32.const 0) (i32.const 10))
    (call $check (call $filetype) (i32.const 4) (i32.const 11))
    (call $check (call $open (i32.const 0) (i32.const 288) (i32.const 7) (i32.const 5)) (i32.const 20) (i32.const 12))
    (call $check (call $open (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 5)) (i32.const 20) (i32.const 13))
    (call $check (call $open (i32.const 0) (i32.const 288) (i32.const 7) (i32.const 1)) (i32.const 0) (i32.const 14))
    (call $check (call $filetype) (i32.const 4) (i32.const 15))
    ;; CREAT|EXCL on a symlink: exist, even following symlinks (the link is never followed)
    (call $check (call $open (i32.const 1) (i32.const 640) (i32.const 7) (i32.const 5)) (i32.const 20) (i32.const 16))
    (call $check (call $open (i32.const 1) (i32.const 896) (i32.const 8) (i32.const 5)) (i32.const 20) (i32.const 17))

    ;; TRUNC (8) empties trunc.txt
    (call $check (call $open (i32.const 0) (i32.const 320) (i32.const 9) (i32.const 8)) (i32.const 0) (i32.const 20))
    (call $check (call $filetype) (i32.const 4) (i32.const 21))

    ;; DIRECTORY (2) on a file: notdir (54); on a directory: fine
    (call $check (call $open (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 2)) (i32.const 54) (i32.const 30))
    (call $check (call $open_at (i32.const 3) (i32.const 0) (i32.const 352) (i32.const 1) (i32.const 2)
      (i64.const 0x2000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 31))
    (call $check (call $filetype) (i32.const 3) (i32.const 32))
    ;; a directory opened without DIRECTORY is still a directory
    (call $check (call $open_at (i32.const 3) (i32.const 0) (i32.const 352) (i32.const 1) (i32.const 0)
      (i64.const 0x2000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 33))
    (call $check (call $filetype) (i32.const 3) (i32.const 34))
    ;; `.` and `a/` are directories
    (call $check (call $open_at (i32.const 3) (i32.const 0) (i32.const 832) (i32.const 1) (i32.const 2)
      (i64.const 0x2000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 35))
    (call $check (call $filetype) (i32.const 3) (i32.const 36))
    (call $check (call $open_at (i32.const 3) (i32.const 0) (i32.const 864) (i32.const 2) (i32.const 0)
      (i64.const 0x2000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 37))
    (call $check (call $filetype) (i32.const 3) (i32.const 38))
    ;; a symlink to a directory, followed, with DIRECTORY
    (call $check (call $open_at (i32.const 3) (i32.const 1) (i32.const 1280) (i32.const 8) (i32.const 2)
      (i64.const 0x2000) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 39))
    (call $check (call $filetype) (i32.const 3) (i32.const 40))

    ;; a trailing slash on a file (or a symlink to one): notdir
    (call $check (call $open (i32.const 0) (i32.const 704) (i32.const 9) (i32.const 0)) (i32.const 54) (i32.const 41))
    (call $check (call $open (i32.const 0) (i32.const 1120) (i32.const 12) (i32.const 0)) (i32.const 54) (i32.const 42))
    (call $check (call $open (i32.const 0) (i32.const 1152) (i32.const 8) (i32.const 0)) (i32.const 54) (i32.const 43))
    ;; a file used as a directory: notdir
    (call $check (call $open (i32.const 0) (i32.const 1216) (i32.const 10) (i32.const 0)) (i32.const 54) (i32.const 44))

    ;; missing: noent (44)
    (call $check (call $open (i32.const 0) (i32.const 384) (i32.const 11) (i32.const 0)) (i32.const 44) (i32.const 50))
    (call $check (call $open (i32.const 0) (i32.const 416) (i32.const 11) (i32.const 0)) (i32.const 44) (i32.const 51))
    (call $check (call $open (i32.const 0) (i32.const 416) (i32.const 11) (i32.const 1)) (i32.const 44) (i32.const 52))
    (call $check (call $open (i32.const 0) (i32.const 256) (i32.const 0) (i32.const 0)) (i32.const 44) (i32.const 53))

    ;; `.`, `..` and `//` that stay inside
    (call $reads (i32.const 0) (i32.const 512) (i32.const 13) (i32.const 1536) (i32.const 11) (i32.const 60))
    (call $reads (i32.const 0) (i32.const 1088) (i32.const 10) (i32.const 1536) (i32.const 11) (i32.const 64))
    (call $reads (i32.const 0) (i32.const 1056) (i32.const 13) (i32.const 1552) (i32.const 5) (i32.const 68))
    (call $reads (i32.const 0) (i32.const 1184) (i32.const 12) (i32.const 1552) (i32.const 5) (i32.const 72))

    ;; escapes: perm (63)
    (call $check (call $open (i32.const 0) (i32.const 448) (i32.const 2) (i32.const 0)) (i32.const 63) (i32.const 80))
    (call $check (call $open (i32.const 0) (i32.const 480) (i32.const 19) (i32.const 0)) (i32.const 63) (i32.const 81))
    (call $check (call $open (i32.const 0) (i32.const 544) (i32.const 11) (i32.const 0)) (i32.const 63) (i32.const 82))
    (call $check (call $open (i32.const 1) (i32.const 544) (i32.const 11) (i32.const 0)) (i32.const 63) (i32.const 83))
    (call $check (call $open (i32.const 1) (i32.const 576) (i32.const 8) (i32.const 0)) (i32.const 63) (i32.const 84))
    (call $check (call $open (i32.const 1) (i32.const 608) (i32.const 8) (i32.const 0)) (i32.const 63) (i32.const 85))
    (call $check (call $open (i32.const 1) (i32.const 800) (i32.const 8) (i32.const 0)) (i32.const 63) (i32.const 86))
    (call $check (call $open (i32.const 0) (i32.const 1312) (i32.const 13) (i32.const 0)) (i32.const 63) (i32.const 87))
    ;; ... also when creating
    (call $check (call $open (i32.const 0) (i32.const 960) (i32.const 11) (i32.const 1)) (i32.const 63) (i32.const 88))
    (call $check (call $open (i32.const 1) (i32.const 928) (i32.const 12) (i32.const 1)) (i32.const 63) (i32.const 89))
    (call $check (call $open (i32.const 1) (i32.const 576) (i32.const 8) (i32.const 9)) (i32.const 63) (i32.const 90))

    ;; symlinks inside, followed: last component, relative `..` inside the sandbox, intermediate
    (call $reads (i32.const 1) (i32.const 640) (i32.const 7) (i32.const 1536) (i32.const 11) (i32.const 100))
    (call $reads (i32.const 1) (i32.const 768) (i32.const 4) (i32.const 1536) (i32.const 11) (i32.const 104))
    (call $reads (i32.const 0) (i32.const 736) (i32.const 18) (i32.const 1552) (i32.const 5) (i32.const 108))
    (call $reads (i32.const 0) (i32.const 1024) (i32.const 20) (i32.const 1536) (i32.const 11) (i32.const 112))
    ;; creating through a dangling symlink inside makes its target (made.txt)
    (call $check (call $open (i32.const 1) (i32.const 896) (i32.const 8) (i32.const 1)) (i32.const 0) (i32.const 116))
    (call $check (call $filetype) (i32.const 4) (i32.const 117))

    ;; symlink loops: loop (32), as the last or an intermediate component
    (call $check (call $open (i32.const 1) (i32.const 672) (i32.const 5) (i32.const 0)) (i32.const 32) (i32.const 120))
    (call $check (call $open (i32.const 0) (i32.const 1248) (i32.const 7) (i32.const 0)) (i32.const 32) (i32.const 121))
    ;; a symlink as the last component without SYMLINK_FOLLOW: loop, wherever it points
    (call $check (call $open (i32.const 0) (i32.const 640) (i32.const 7) (i32.const 0)) (i32.const 32) (i32.const 122))
    (call $check (call $open (i32.const 0) (i32.const 576) (i32.const 8) (i32.const 0)) (i32.const 32) (i32.const 123))
    (call $check (call $open (i32.const 0) (i32.const 608) (i32.const 8) (i32.const 0)) (i32.const 32) (i32.const 124))
    (call $check (call $open (i32.const 0) (i32.const 672) (i32.const 5) (i32.const 0)) (i32.const 32) (i32.const 125))
    (call $check (call $open (i32.const 0) (i32.const 896) (i32.const 8) (i32.const 1)) (i32.const 32) (i32.const 126))

    ;; rights: `a` with base path_open only and inheriting fd_read only
    (call $check (call $open_at (i32.const 3) (i32.const 0) (i32.const 352) (i32.const 1) (i32.const 2)
      (i64.const 0x2000) (i64.const 2) (i32.const 0)) (i32.const 0) (i32.const 130))
    (local.set $sub (i32.load (i32.const 128)))
    ;; a file opened through it asking for everything gets fd_read only
    (call $check (call $open_at (local.get $sub) (i32.const 0) (i32.const 992) (i32.const 9) (i32.const 0)
      (i64.const -1) (i64.const -1) (i32.const 0)) (i32.const 0) (i32.const 131))
    (local.set $file (i32.load (i32.const 128)))
    (call $check (call $fd_fdstat_get (local.get $file) (i32.const 160)) (i32.const 0) (i32.const 132))
    (call $check64 (i64.load (i32.const 168)) (i64.const 2) (i32.const 133))
    (call $check64 (i64.load (i32.const 176)) (i64.const 2) (i32.const 134))
    ;; CREAT needs path_create_file, TRUNC needs path_filestat_set_size: notcapable (76)
    (call $check (call $open_at (local.get $sub) (i32.const 0) (i32.const 288) (i32.const 7) (i32.const 1)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 135))
    (call $check (call $open_at (local.get $sub) (i32.const 0) (i32.const 992) (i32.const 9) (i32.const 8)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 136))
    ;; `..` beneath a subdirectory descriptor leaves it: perm
    (call $check (call $open_at (local.get $sub) (i32.const 0) (i32.const 448) (i32.const 2) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 63) (i32.const 137))
    ;; `a` with fd_readdir only (no path_open): notcapable
    (call $check (call $open_at (i32.const 3) (i32.const 0) (i32.const 352) (i32.const 1) (i32.const 2)
      (i64.const 0x4000) (i64.const -1) (i32.const 0)) (i32.const 0) (i32.const 138))
    (local.set $noopen (i32.load (i32.const 128)))
    (call $check (call $open_at (local.get $noopen) (i32.const 0) (i32.const 992) (i32.const 9) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 76) (i32.const 139))

    ;; descriptors that are not directories: notdir; unknown ones: badf (8)
    (call $check (call $open_at (local.get $file) (i32.const 0) (i32.const 992) (i32.const 9) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 54) (i32.const 140))
    (call $check (call $open_at (i32.const 1) (i32.const 0) (i32.const 992) (i32.const 9) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 54) (i32.const 141))
    (call $check (call $open_at (i32.const 99) (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 8) (i32.const 142))
    (call $check (call $open_at (i32.const -1) (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0)) (i32.const 8) (i32.const 143))

    ;; unknown flags: inval (28) -- oflags 16, fdflags 32, lookupflags 2
    (call $check (call $open (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 16)) (i32.const 28) (i32.const 150))
    (call $check (call $open_at (i32.const 3) (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 32)) (i32.const 28) (i32.const 151))
    (call $check (call $open (i32.const 2) (i32.const 256) (i32.const 8) (i32.const 0)) (i32.const 28) (i32.const 152))

    ;; bad pointers: the fd result out of bounds -> fault (21), misaligned -> inval (28); the path
    ;; out of bounds -> fault
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 65536)) (i32.const 21) (i32.const 160))
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 256) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 130)) (i32.const 28) (i32.const 161))
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 65530) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 128)) (i32.const 21) (i32.const 162))
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const -1) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 128)) (i32.const 21) (i32.const 163))
  )
)
