/*
 * Small test process for bench/throughput.py and bench/frozen.py.
 *
 * Usage: victim MIB READY_FILE [PERIOD_MS]
 *
 * Holds MIB MiB of memory (half random, half text, every page touched), writes "PID" to
 * READY_FILE, then wakes every PERIOD_MS milliseconds (default 1) and reads the monotonic
 * clock. Whenever two wake-ups are more than 4 ms further apart than that (the process was
 * frozen, e.g. by criu dump), it prints "gap <microseconds>" on stdout: the time between the
 * two wake-ups, the freeze as the process itself lived it. Many victims at 1 ms keep a small
 * machine busy: use a longer period where the freeze is not measured.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: victim MIB READY_FILE [PERIOD_MS]\n");
        return 2;
    }
    long period_ms = argc == 4 ? atol(argv[3]) : 1;
    if (period_ms < 1) {
        fprintf(stderr, "PERIOD_MS must be at least 1\n");
        return 2;
    }
    size_t size = (size_t)atol(argv[1]) << 20;
    unsigned char *memory = malloc(size);
    if (memory == NULL) {
        perror("malloc");
        return 1;
    }
    unsigned int seed = (unsigned int)getpid();
    for (size_t i = 0; i < size / 2; i++) {
        memory[i] = (unsigned char)rand_r(&seed);
    }
    const char *line = "rfork benchmark victim: the same line again and again.\n";
    size_t length = strlen(line);
    for (size_t i = size / 2; i < size; i++) {
        memory[i] = (unsigned char)line[i % length];
    }
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", argv[2]);
    FILE *ready = fopen(temporary, "w");
    if (ready == NULL || fprintf(ready, "%d\n", getpid()) < 0 || fclose(ready) != 0
            || rename(temporary, argv[2]) != 0) {
        perror(argv[2]);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct timespec period = {period_ms / 1000, (period_ms % 1000) * 1000000};
    long long last = now_us();
    for (;;) {
        nanosleep(&period, NULL);
        long long now = now_us();
        if (now - last > period_ms * 1000 + 4000) {
            printf("gap %lld\n", now - last);
        }
        last = now;
    }
}
