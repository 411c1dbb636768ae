/* A WAGI handler in C: CGI headers, a blank line, then the page. `lucent serve` runs it once per
 * request, with the request in its environment and its body on stdin. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *path = getenv("PATH_INFO");
    const char *method = getenv("REQUEST_METHOD");
    printf("Content-Type: text/plain\n\n");
    printf("Hello from C! %s %s\n", method ? method : "?", path && *path ? path : "/");
    for (int i = 1; i < argc; i++) printf("argument %d: %s\n", i, argv[i]);
    return 0;
}
