/* The pthread declarations of wasi-libc's threaded build (musl's, for wasm32), which Debian's
 * wasi-libc, a single-threaded build, does not install. The C guests compile against Debian's
 * headers with these and link against the threaded libc.a that Rust's wasm32-wasip1-threads
 * target ships (see crates/test-programs-artifacts/build.rs). Sizes are musl's for 32-bit
 * `long`. */
#ifndef LUCENT_PTHREAD_H
#define LUCENT_PTHREAD_H

typedef struct __pthread *pthread_t;
typedef struct { union { int __i[9]; volatile int __vi[9]; unsigned __s[9]; } __u; } pthread_attr_t;
typedef struct { union { int __i[6]; volatile int __vi[6]; volatile void *volatile __p[6]; } __u; } pthread_mutex_t;
typedef struct { union { int __i[12]; volatile int __vi[12]; void *__p[12]; } __u; } pthread_cond_t;
typedef struct { unsigned __attr; } pthread_mutexattr_t;
typedef struct { unsigned __attr; } pthread_condattr_t;

int pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int pthread_join(pthread_t, void **);
int pthread_mutex_init(pthread_mutex_t *, const pthread_mutexattr_t *);
int pthread_mutex_lock(pthread_mutex_t *);
int pthread_mutex_unlock(pthread_mutex_t *);
int pthread_cond_init(pthread_cond_t *, const pthread_condattr_t *);
int pthread_cond_wait(pthread_cond_t *, pthread_mutex_t *);
int pthread_cond_signal(pthread_cond_t *);
int pthread_cond_broadcast(pthread_cond_t *);

#endif
