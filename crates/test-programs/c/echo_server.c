// An echo server over the listening socket Lucent hands it: one poll() over the listener and
// every client, so that a client that sends nothing holds up no one else.
//
//   lucent run --tcplisten 127.0.0.1:0 echo_server.wasm LISTENER_FD CLIENTS
//
// Accepts CLIENTS connections, echoes whatever each sends, and exits 0 once all of them have
// disconnected, printing a summary on stdout. Exits 2 after 30 s with nothing to do.
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 32
#define IDLE_TIMEOUT_MS 30000

// Sends all of `buf`; returns 0, or -1 if the client is gone.
static int send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t sent = send(fd, buf, len, 0);
        if (sent <= 0) return -1;
        buf += sent;
        len -= (size_t)sent;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: echo_server LISTENER_FD CLIENTS\n");
        return 2;
    }
    int listener = atoi(argv[1]);
    long want = atol(argv[2]);
    if (want < 1 || want > MAX_CLIENTS) {
        fprintf(stderr, "CLIENTS must be 1..%d\n", MAX_CLIENTS);
        return 2;
    }
    // fds[0] is the listener, fds[1..=nclients] the connected clients.
    struct pollfd fds[1 + MAX_CLIENTS];
    int nclients = 0, most_at_once = 0;
    long accepted = 0, gone = 0;
    unsigned long long echoed = 0;
    while (gone < want) {
        // Once every client has come, the listener is left out (a negative fd is skipped).
        fds[0].fd = accepted < want ? listener : -1;
        fds[0].events = POLLIN;
        for (int i = 1; i <= nclients; i++) fds[i].events = POLLIN;
        int ready = poll(fds, (nfds_t)(1 + nclients), IDLE_TIMEOUT_MS);
        if (ready < 0) {
            perror("poll");
            return 1;
        }
        if (ready == 0) {
            fprintf(stderr, "idle for %d ms: accepted %ld, gone %ld\n", IDLE_TIMEOUT_MS, accepted, gone);
            return 2;
        }
        for (int i = nclients; i >= 1; i--) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t got = recv(fds[i].fd, buf, sizeof buf, 0);
            if (got > 0 && send_all(fds[i].fd, buf, (size_t)got) == 0) {
                echoed += (unsigned long long)got;
                continue;
            }
            if (got < 0) perror("recv");
            // End of stream (or an error): the client is gone.
            close(fds[i].fd);
            fds[i] = fds[nclients];
            nclients--;
            gone++;
        }
        if (fds[0].fd >= 0 && (fds[0].revents & POLLIN)) {
            struct sockaddr_storage addr;
            socklen_t addrlen = sizeof addr;
            int client = accept(listener, (struct sockaddr *)&addr, &addrlen);
            if (client < 0) {
                perror("accept");
                return 1;
            }
            nclients++;
            fds[nclients].fd = client;
            fds[nclients].revents = 0;
            accepted++;
            if (nclients > most_at_once) most_at_once = nclients;
        }
    }
    printf("served %ld clients, echoed %llu bytes, at most %d at once\n", accepted, echoed, most_at_once);
    return 0;
}
