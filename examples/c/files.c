// Keeps a visitor log in the preopened directory: reads `notes.txt` if present, appends a
// line to `log.txt`, and writes a summary to `summary.txt`.
//
//   lucent --dir DATA::. files.wasm NAME
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : "anonymous";

    char notes[256] = "(no notes)";
    FILE *in = fopen("notes.txt", "r");
    if (in) {
        size_t n = fread(notes, 1, sizeof notes - 1, in);
        notes[n] = '\0';
        fclose(in);
    }

    FILE *log = fopen("log.txt", "a");
    if (!log) {
        fprintf(stderr, "cannot open log.txt: %s\n", strerror(errno));
        return 1;
    }
    fprintf(log, "visit by %s\n", name);
    fclose(log);

    int visits = 0;
    char line[256];
    log = fopen("log.txt", "r");
    while (log && fgets(line, sizeof line, log)) visits++;
    if (log) fclose(log);

    FILE *summary = fopen("summary.txt", "w");
    if (!summary) {
        fprintf(stderr, "cannot open summary.txt: %s\n", strerror(errno));
        return 1;
    }
    fprintf(summary, "visits: %d\nlast: %s\nnotes: %s", visits, name, notes);
    fclose(summary);
    printf("%s logged; %d visit(s) so far\n", name, visits);

    // The sandbox holds: nothing outside the preopened directory can be opened.
    FILE *escape = fopen("../outside.txt", "r");
    printf("opening ../outside.txt: %s\n", escape ? "opened (!)" : strerror(errno));
    return 0;
}
