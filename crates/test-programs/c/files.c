// Files through wasi-libc: fopen/fprintf/fread/fseek/ftell, append mode, open(2) flags and
// the errno a sandbox escape gives.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "failed: %s (errno %d: %s)\n", what, errno, strerror(errno));
    return 1;
}

int main(void) {
    FILE *f = fopen("c_out.txt", "w");
    if (!f) return fail("fopen w");
    fprintf(f, "alpha %d\n", 1);
    fclose(f);

    f = fopen("c_out.txt", "a");
    if (!f) return fail("fopen a");
    fputs("beta\n", f);
    fclose(f);

    char buf[64] = {0};
    f = fopen("c_out.txt", "r");
    if (!f) return fail("fopen r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    if (fseek(f, 2, SEEK_SET) != 0) return fail("fseek");
    long pos = ftell(f);
    int c = fgetc(f);
    fclose(f);
    printf("read %zu bytes: %s", n, buf);
    printf("at %ld: %c\n", pos, c);

    // POSIX open with O_EXCL on an existing file.
    int fd = open("c_out.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
    printf("excl: %s\n", fd < 0 && errno == EEXIST ? "EEXIST" : "unexpected");
    fd = open("input.txt", O_RDONLY);
    if (fd < 0) return fail("open input.txt");
    n = read(fd, buf, sizeof buf - 1);
    buf[n] = 0;
    printf("input: %s", buf);
    close(fd);

    // Leaving the sandbox fails.
    fd = open("../outside.txt", O_RDONLY);
    printf("escape: %s\n", fd < 0 && errno == EPERM ? "EPERM" : "unexpected");
    fd = open("missing.txt", O_RDONLY);
    printf("missing: %s\n", fd < 0 && errno == ENOENT ? "ENOENT" : "unexpected");
    return 0;
}
