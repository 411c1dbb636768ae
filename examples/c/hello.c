// Prints its arguments and the GREETING environment variable.
//
//   lucent --env GREETING=hello hello.wasm world
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *greeting = getenv("GREETING");
    printf("%s from %s!\n", greeting ? greeting : "hi", argv[0]);
    for (int i = 1; i < argc; i++) {
        printf("  argument %d: %s\n", i, argv[i]);
    }
    return 0;
}
