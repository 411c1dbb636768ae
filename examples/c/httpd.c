// A small HTTP/1.0 server: serves files from its preopened directory (mount it read-only)
// on the listening socket Lucent hands it.
//
//   lucent --dir ./site::.:ro --tcplisten 127.0.0.1:8080 httpd.wasm 4
//   curl http://127.0.0.1:8080/index.html
//
// Arguments: the listener's descriptor (4: after the one preopen at 3), and optionally how
// many requests to serve before exiting (default: forever).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void reply(int client, const char *status, const char *type, const char *body, size_t len) {
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     status, type, len);
    send(client, head, (size_t)n, 0);
    if (len) send(client, body, len, 0);
}

static const char *content_type(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".html") == 0) return "text/html";
    if (dot && strcmp(dot, ".css") == 0) return "text/css";
    return "text/plain";
}

static void serve(int client) {
    char request[2048];
    ssize_t got = recv(client, request, sizeof request - 1, 0);
    if (got <= 0) return;
    request[got] = '\0';
    char method[8], target[1024];
    if (sscanf(request, "%7s %1023s", method, target) != 2 || strcmp(method, "GET") != 0) {
        reply(client, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
        return;
    }
    const char *path = target[1] ? target + 1 : "index.html";  // "/x" -> "x"
    FILE *file = fopen(path, "rb");
    if (!file) {
        const char *status = errno == ENOENT ? "404 Not Found" : "403 Forbidden";
        char body[1200];
        int n = snprintf(body, sizeof body, "%s: %s\n", target, strerror(errno));
        reply(client, status, "text/plain", body, (size_t)n);
        fprintf(stderr, "GET %s -> %s\n", target, status);
        return;
    }
    static char body[1 << 20];
    size_t len = fread(body, 1, sizeof body, file);
    fclose(file);
    reply(client, "200 OK", content_type(path), body, len);
    fprintf(stderr, "GET %s -> 200 (%zu bytes)\n", target, len);
}

int main(int argc, char **argv) {
    int listener = argc > 1 ? atoi(argv[1]) : 4;
    long limit = argc > 2 ? atol(argv[2]) : -1;
    for (long served = 0; limit < 0 || served < limit; served++) {
        int client = accept(listener, NULL, NULL);
        if (client < 0) {
            perror("accept");
            return 1;
        }
        serve(client);
        shutdown(client, SHUT_WR);
        close(client);
    }
    return 0;
}
