/* pthreads through wasi-libc's threaded build: create and join with a result, a mutex under
 * contention, a condition variable, and pthread_create past the runner's thread limit (run
 * with --max-threads 3: two threads can be made, the third fails with EAGAIN). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lucent_pthread.h"

static pthread_mutex_t lock;
static pthread_cond_t changed;
static long counter;
static int ready;

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
    if (pthread_create(&t, 0, square, (void *)12) != 0 || pthread_join(t, &result) != 0) return 1;
    printf("join %ld\n", (long)result);

    pthread_t counters[2];
    for (int i = 0; i < 2; i++) pthread_create(&counters[i], 0, count, 0);
    for (int i = 0; i < 2; i++) pthread_join(counters[i], 0);
    printf("mutex %ld\n", counter);

    pthread_t waiter, signaller;
    pthread_create(&waiter, 0, wait_ready, 0);
    pthread_create(&signaller, 0, signal_ready, 0);
    pthread_join(waiter, 0);
    pthread_join(signaller, 0);
    printf("cond %d\n", ready);

    /* Two waiters hold the runner's other slots; the next create must fail cleanly. */
    ready = 0;
    pthread_t held[2];
    for (int i = 0; i < 2; i++) pthread_create(&held[i], 0, wait_ready, 0);
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
