// Prints one line and returns: the smallest whole C program (instantiation benchmarks).
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
