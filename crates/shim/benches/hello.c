/* The start-up benchmark's program, built for wasm32-wasi and natively (static). */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("hello from %s with %d arguments\n", argv[0], argc - 1);
    return 0;
}
