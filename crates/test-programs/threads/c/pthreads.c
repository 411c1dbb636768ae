/* pthreads through wasi-libc's threaded build: create and join with a result, a mutex under
 * contention, a condition variable, and pthread_create past the runner's thread limit (run
 * with --max-threads 3: two threads can be made, the third fails with EAGAIN). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include "lucent_pthread.h"

static pthread_mutex_t lock;
static pthread_cond_t changed;
static long counter;
static int ready;

/* A joined thread's slot is free once its host thread has ended, a moment after the join
 * returns (as a Linux thread counts against RLIMIT_NPROC until it is reaped): pthread_create
 * may fail with EAGAIN meanwhile, so creates below the limit try again. */
static int create(pthread_t *t, void *(*start)(void *), void *arg) {
    for (int tries = 0; tries < 100000; tries++) {
        int err = pthread_create(t, 0, start, arg);
        if (err != EAGAIN) return err;
        sched_yield();
    }
    return EAGAIN;
}

static void *square(void *arg) {
    long n = (long)arg;
    return (void *)(n * n);
}

static void *count(void *arg) {
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return 0;
}

static void *signal_ready(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    return 0;
}

static void *wait_ready(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!ready) pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    return 0;
}

int main(void) {
    pthread_mutex_init(&lock, 0);
    pthread_cond_init(&changed, 0);

    pthread_t t;
    void *result;
    if (create(&t, square, (void *)12) != 0 || pthread_join(t, &result) != 0) return 1;
    printf("join %ld\n", (long)result);

    pthread_t counters[2];
    for (int i = 0; i < 2; i++) if (create(&counters[i], count, 0) != 0) return 2;
    for (int i = 0; i < 2; i++) pthread_join(counters[i], 0);
    printf("mutex %ld\n", counter);

    pthread_t waiter, signaller;
    if (create(&waiter, wait_ready, 0) != 0 || create(&signaller, signal_ready, 0) != 0) return 3;
    pthread_join(waiter, 0);
    pthread_join(signaller, 0);
    printf("cond %d\n", ready);

    /* Two waiters hold the runner's other slots; the next create must fail cleanly. */
    ready = 0;
    pthread_t held[2];
    for (int i = 0; i < 2; i++) if (create(&held[i], wait_ready, 0) != 0) return 4;
    pthread_t extra;
    int err = pthread_create(&extra, 0, square, (void *)1);
    printf("past the limit: %s\n", err == EAGAIN ? "EAGAIN" : strerror(err));
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < 2; i++) pthread_join(held[i], 0);
    printf("done\n");
    return 0;
}
