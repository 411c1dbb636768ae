// Arguments, environment and standard streams through wasi-libc.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    fprintf(stderr, "to stderr\n");
    char line[256];
    int lines = 0;
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        printf("stdin: %s", line);
    }
    printf("lines=%d\n", lines);
    // Standard output is no socket, whatever rights it has.
    errno = 0;
    int shut = shutdown(STDOUT_FILENO, SHUT_RD);
    printf("shutdown(stdout)=%d %s\n", shut, errno == ENOTSOCK ? "ENOTSOCK" : strerror(errno));
    return argc > 1 && strcmp(argv[1], "fail") == 0 ? 3 : 0;
}
