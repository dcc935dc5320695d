// A persistent worker pool for qk_pool_run (see qk_thread_pool.h).
//
// Hand-off protocol, per worker slot: the caller writes the job pointer, then moves the slot IDLE → POSTED.
// The worker (spinning on its own cache line, or asleep on its condition variable) moves POSTED → RUNNING,
// claims chunks from the job's counter until none are left, and stores IDLE. When the caller has run out of
// chunks it revokes every slot still POSTED (POSTED → IDLE, so a worker that never woke up costs nothing) and
// waits for the RUNNING ones. A worker touches only a job it won the POSTED → RUNNING exchange for, and the
// caller returns only after such workers stored IDLE, so the job can live on the caller's stack.
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE  // sched_getaffinity
#endif
#include "qk_thread_pool.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define QK_PAUSE() __asm__ __volatile__("yield")
#else
#define QK_PAUSE() ((void)0)
#endif

enum { SLOT_IDLE = 0, SLOT_POSTED = 1, SLOT_RUNNING = 2 };
enum { MAX_WORKERS = 255 };

typedef struct {
    qk_pool_task task;
    void *context;
    long chunks;
    _Atomic long next;
} qk_job;

typedef struct {
    _Atomic int state;
    _Atomic int sleeping;
    qk_job *job;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_t thread;
} qk_worker;

// Each worker's slot on its own cache lines, so spinning workers do not disturb each other.
typedef struct {
    _Alignas(128) qk_worker worker;
} qk_worker_line;

static qk_worker_line *pool_workers;
static long pool_size;
static atomic_flag pool_busy = ATOMIC_FLAG_INIT;
static _Atomic long spin_nanoseconds = 200000;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static long long monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void run_chunks(qk_job *job) {
    for (;;) {
        long chunk = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (chunk >= job->chunks) return;
        job->task(job->context, chunk);
    }
}

/// Waits until the slot is POSTED: spins for spin_nanoseconds, then sleeps on the condition variable.
static void await_post(qk_worker *w) {
    long long deadline = monotonic_nanoseconds() + atomic_load_explicit(&spin_nanoseconds, memory_order_relaxed);
    for (unsigned spins = 1;; spins++) {
        if (atomic_load_explicit(&w->state, memory_order_relaxed) == SLOT_POSTED) return;
        QK_PAUSE();
        if (spins % 128 == 0) {
            if (monotonic_nanoseconds() > deadline) break;
            sched_yield();  // on a busy machine, let a runnable thread (the caller, say) have this CPU
        }
    }
    pthread_mutex_lock(&w->mutex);
    atomic_store(&w->sleeping, 1);  // sequentially consistent with the caller's POSTED store and sleeping load
    while (atomic_load(&w->state) != SLOT_POSTED) pthread_cond_wait(&w->wake, &w->mutex);
    atomic_store(&w->sleeping, 0);
    pthread_mutex_unlock(&w->mutex);
}

static void *worker_main(void *argument) {
    qk_worker *w = argument;
    for (;;) {
        await_post(w);
        int expected = SLOT_POSTED;
        if (!atomic_compare_exchange_strong_explicit(&w->state, &expected, SLOT_RUNNING, memory_order_acquire,
                                                     memory_order_relaxed)) {
            continue;  // revoked by the caller, which ran every chunk itself
        }
        run_chunks(w->job);
        atomic_store_explicit(&w->state, SLOT_IDLE, memory_order_release);
    }
    return NULL;
}

/// CPUs this process may run on (its affinity mask on Linux), at least 1.
static long usable_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? online : 1;
}

static void start_pool(void) {
    long cpus = usable_cpus();
    long wanted = cpus > 1 ? cpus - 1 : 0;
    if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
    if (wanted == 0) return;
    qk_worker_line *lines = aligned_alloc(_Alignof(qk_worker_line), sizeof(qk_worker_line) * (size_t)wanted);
    if (!lines) return;
    long started = 0;
    for (; started < wanted; started++) {
        qk_worker *w = &lines[started].worker;
        atomic_init(&w->state, SLOT_IDLE);
        atomic_init(&w->sleeping, 0);
        w->job = NULL;
        pthread_mutex_init(&w->mutex, NULL);
        pthread_cond_init(&w->wake, NULL);
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&w->thread, &attributes, worker_main, w);
        pthread_attr_destroy(&attributes);
        if (failed) break;
    }
    pool_workers = lines;
    pool_size = started;
}

long qk_pool_worker_count(void) {
    pthread_once(&pool_once, start_pool);
    return pool_size;
}

long qk_pool_set_spin_microseconds(long microseconds) {
    long previous = atomic_exchange(&spin_nanoseconds, (microseconds < 0 ? 0 : microseconds) * 1000);
    return previous / 1000;
}

static void run_serially(long chunks, qk_pool_task task, void *context) {
    for (long chunk = 0; chunk < chunks; chunk++) task(context, chunk);
}

void qk_pool_run(long chunks, long threads, qk_pool_task task, void *context) {
    if (chunks <= 0) return;
    long helpers = threads - 1 < chunks - 1 ? threads - 1 : chunks - 1;
    if (helpers > 0) {
        long available = qk_pool_worker_count();
        if (helpers > available) helpers = available;
    }
    if (helpers <= 0 || atomic_flag_test_and_set_explicit(&pool_busy, memory_order_acquire)) {
        run_serially(chunks, task, context);
        return;
    }
    qk_job job = {.task = task, .context = context, .chunks = chunks};
    atomic_init(&job.next, 0);
    for (long i = 0; i < helpers; i++) {
        qk_worker *w = &pool_workers[i].worker;
        w->job = &job;
        atomic_store(&w->state, SLOT_POSTED);
        if (atomic_load(&w->sleeping)) {
            pthread_mutex_lock(&w->mutex);
            pthread_cond_signal(&w->wake);
            pthread_mutex_unlock(&w->mutex);
        }
    }
    run_chunks(&job);
    for (long i = 0; i < helpers; i++) {
        qk_worker *w = &pool_workers[i].worker;
        int expected = SLOT_POSTED;
        if (atomic_compare_exchange_strong_explicit(&w->state, &expected, SLOT_IDLE, memory_order_acquire,
                                                    memory_order_acquire)) {
            continue;
        }
        for (unsigned spins = 1; atomic_load_explicit(&w->state, memory_order_acquire) != SLOT_IDLE; spins++) {
            if (spins < 4096) {
                QK_PAUSE();
            } else {
                sched_yield();  // the worker was descheduled: give it the CPU
            }
        }
    }
    atomic_flag_clear_explicit(&pool_busy, memory_order_release);
}
