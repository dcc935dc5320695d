// A persistent worker pool for qk_pool_run (see qk_thread_pool.h).
//
// Hand-off protocol, per worker slot: the caller writes the job pointer, then moves the slot IDLE → POSTED.
// The worker (spinning on its own cache line, or asleep on its condition variable) moves POSTED → RUNNING,
// claims chunks from the job's counter until none are left, and stores IDLE. When the caller has run out of
// chunks it revokes every slot still POSTED (POSTED → IDLE, so a worker that never woke up costs nothing) and
// waits for the RUNNING ones (spinning, then asleep on `done`; a long wait starts a back-off, see note_stall). A worker touches only a job it won the POSTED → RUNNING exchange for, and the
// caller returns only after such workers stored IDLE, so the job can live on the caller's stack.
//
// Staying awake: after a job a worker spins for spin_nanoseconds, then sleeps. Between qk_pool_run_begin and
// qk_pool_run_end (one model run) a worker that already got a job in that run keeps spinning until the run ends,
// so the gaps between a model's parallel nodes never put it to sleep; the spin window then counts from the end of
// the run. A run that begins after a run that used the pool wakes sleeping workers at once (wake_serial), so
// they are spinning again by the time its first parallel node posts a job.
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
    _Atomic int caller_waiting;  // the caller sleeps on `done` until this worker stores IDLE
    qk_job *job;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_cond_t done;
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

static _Atomic long runs_active;            // runs between qk_pool_run_begin and qk_pool_run_end
static _Atomic long run_generation;         // + 1 whenever runs_active goes 0 → 1
static _Atomic long used_generation = -1;   // the run_generation in which a job was last posted
static _Atomic long long run_end_nanoseconds;  // when the last run that posted a job ended
static _Atomic long wake_serial;            // + 1 when qk_pool_run_begin wakes sleeping workers
static _Atomic long long serial_until;      // backing off: jobs run on the caller alone until then
static _Atomic long long backoff_nanoseconds = 1000000;
static _Atomic long long last_stall;        // when a caller last waited for a descheduled worker
static _Atomic int backoff_enabled = 1;

static long long monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/// Runs chunks claimed from the job's counter until none are left; returns how many this thread ran.
static long run_chunks(qk_job *job) {
    for (long ran = 0;; ran++) {
        long chunk = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (chunk >= job->chunks) return ran;
        job->task(job->context, chunk);
    }
}

/// Whether an idle worker whose last job ended at `job_end` should still spin at `now`: while a run that
/// posted a job is in progress, and for spin_nanoseconds after that job or the end of the last such run.
static int keeps_spinning(long long now, long long job_end) {
    if (now < atomic_load_explicit(&serial_until, memory_order_relaxed)) return 0;  // backing off: no jobs come
    long generation = atomic_load_explicit(&run_generation, memory_order_relaxed);
    if (atomic_load_explicit(&runs_active, memory_order_relaxed) > 0 &&
        atomic_load_explicit(&used_generation, memory_order_relaxed) == generation) {
        return 1;
    }
    long long run_end = atomic_load_explicit(&run_end_nanoseconds, memory_order_relaxed);
    long long since = run_end > job_end ? run_end : job_end;
    return now <= since + atomic_load_explicit(&spin_nanoseconds, memory_order_relaxed);
}

/// Waits until the slot is POSTED: spins while keeps_spinning says so, then sleeps on the condition variable
/// until a job is posted or qk_pool_run_begin wakes the pool (then it spins again).
static void await_post(qk_worker *w) {
    long long job_end = monotonic_nanoseconds();
    for (;;) {
        for (unsigned spins = 1;; spins++) {
            if (atomic_load_explicit(&w->state, memory_order_relaxed) == SLOT_POSTED) return;
            QK_PAUSE();
            // No sched_yield here: the kernel's EEVDF scheduler pushes a yielding task's deadline back a slice per
            // call, so a worker yielding every few microseconds starves on a busy machine (measured: 12 ms of CPU
            // in 3 s while runnable). Plain spinning uses its fair share and is preempted like any thread.
            if (spins % 128 == 0 && !keeps_spinning(monotonic_nanoseconds(), job_end)) break;
        }
        long serial = atomic_load(&wake_serial);
        pthread_mutex_lock(&w->mutex);
        atomic_store(&w->sleeping, 1);  // sequentially consistent with the caller's POSTED store and sleeping load
        while (atomic_load(&w->state) != SLOT_POSTED && atomic_load(&wake_serial) == serial) {
            pthread_cond_wait(&w->wake, &w->mutex);
        }
        atomic_store(&w->sleeping, 0);
        pthread_mutex_unlock(&w->mutex);
        if (atomic_load_explicit(&w->state, memory_order_relaxed) == SLOT_POSTED) return;
        job_end = monotonic_nanoseconds();  // woken for a run: spin a window from now
    }
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
        atomic_store(&w->state, SLOT_IDLE);  // sequentially consistent with the caller's caller_waiting store
        if (atomic_load(&w->caller_waiting)) {
            pthread_mutex_lock(&w->mutex);
            pthread_cond_signal(&w->done);
            pthread_mutex_unlock(&w->mutex);
        }
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
    const char *backoff = getenv("QK_POOL_BACKOFF");
    if (backoff && backoff[0] == '0') atomic_store(&backoff_enabled, 0);
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
        pthread_cond_init(&w->done, NULL);
        atomic_init(&w->caller_waiting, 0);
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

/// Signals every sleeping worker (after the caller changed what its wait loop checks).
static void wake_sleepers(long helpers) {
    for (long i = 0; i < helpers; i++) {
        qk_worker *w = &pool_workers[i].worker;
        if (atomic_load(&w->sleeping)) {
            pthread_mutex_lock(&w->mutex);
            pthread_cond_signal(&w->wake);
            pthread_mutex_unlock(&w->mutex);
        }
    }
}

void qk_pool_run_begin(long threads) {
    if (threads <= 1) return;
    if (atomic_fetch_add(&runs_active, 1) != 0) return;
    long previous = atomic_fetch_add(&run_generation, 1);
    if (atomic_load_explicit(&used_generation, memory_order_relaxed) != previous) return;
    long helpers = threads - 1, available = qk_pool_worker_count();
    atomic_fetch_add(&wake_serial, 1);
    wake_sleepers(helpers < available ? helpers : available);
}

void qk_pool_run_end(long threads) {
    if (threads <= 1) return;
    long generation = atomic_load_explicit(&run_generation, memory_order_relaxed);
    if (atomic_load_explicit(&used_generation, memory_order_relaxed) == generation) {
        atomic_store_explicit(&run_end_nanoseconds, monotonic_nanoseconds(), memory_order_relaxed);
    }
    atomic_fetch_sub(&runs_active, 1);
}

/// Waits until a worker that took a job stores IDLE. Spins up to `patience` nanoseconds (a worker that runs
/// finishes its current chunk by then), then sleeps on `done`: the worker was descheduled mid-chunk on a busy
/// machine, and spinning or yielding would only delay it. Returns whether it had to sleep.
static int await_idle(qk_worker *w, long long patience) {
    long long deadline = monotonic_nanoseconds() + patience;
    for (unsigned spins = 1; atomic_load_explicit(&w->state, memory_order_acquire) != SLOT_IDLE; spins++) {
        QK_PAUSE();
        if (spins % 128 == 0 && monotonic_nanoseconds() > deadline) break;
    }
    if (atomic_load_explicit(&w->state, memory_order_acquire) == SLOT_IDLE) return 0;
    pthread_mutex_lock(&w->mutex);
    atomic_store(&w->caller_waiting, 1);
    while (atomic_load(&w->state) != SLOT_IDLE) pthread_cond_wait(&w->done, &w->mutex);
    atomic_store(&w->caller_waiting, 0);
    pthread_mutex_unlock(&w->mutex);
    return 1;
}

/// After a stall (a caller slept waiting for a worker descheduled mid-chunk, or ran several chunks while a
/// worker that had been spinning never took one: either way the machine has no idle CPU for the worker),
/// jobs run on the caller alone for a back-off period that doubles with each stall that follows soon after the
/// last one (within 8 back-off periods; 1 ms up to 256 ms) and starts over at 1 ms otherwise. On a busy machine
/// stalls come back at once, a second thread cannot help anyway, and waiting for a preempted worker costs
/// milliseconds per job; on an idle machine the rare stall (a worker briefly preempted by the system) costs
/// about a millisecond of serial jobs, not a doubling series.
static void note_stall(long long now) {
    if (!atomic_load_explicit(&backoff_enabled, memory_order_relaxed)) return;
    long long backoff = atomic_load_explicit(&backoff_nanoseconds, memory_order_relaxed);
    long long quiet = now - atomic_load_explicit(&last_stall, memory_order_relaxed);
    backoff = quiet > 8 * backoff ? 1000000 : (backoff * 2 < 256000000 ? backoff * 2 : 256000000);
    atomic_store_explicit(&backoff_nanoseconds, backoff, memory_order_relaxed);
    atomic_store_explicit(&last_stall, now, memory_order_relaxed);
    atomic_store_explicit(&serial_until, now + backoff, memory_order_relaxed);
}

int qk_pool_set_backoff(int enabled) {
    if (!enabled) atomic_store(&serial_until, 0);
    return atomic_exchange(&backoff_enabled, enabled != 0);
}

static void run_serially(long chunks, qk_pool_task task, void *context) {
    for (long chunk = 0; chunk < chunks; chunk++) task(context, chunk);
}

/// The pool's workers that a job of `chunks` chunks over `threads` threads may use (0: run it serially).
static long helpers_for(long chunks, long threads) {
    if (chunks <= 1 || threads <= 1) return 0;
    long helpers = threads - 1 < chunks - 1 ? threads - 1 : chunks - 1;
    long available = qk_pool_worker_count();
    return helpers < available ? helpers : available;
}

void qk_pool_run(long chunks, long threads, qk_pool_task task, void *context) {
    if (chunks <= 0) return;
    if (!qk_pool_run_if_free(chunks, threads, task, context)) run_serially(chunks, task, context);
}

int qk_pool_run_if_free(long chunks, long threads, qk_pool_task task, void *context) {
    long helpers = helpers_for(chunks, threads);
    if (helpers <= 0) return 0;
    long long until = atomic_load_explicit(&serial_until, memory_order_relaxed);
    if (until != 0 && monotonic_nanoseconds() < until) return 0;
    if (atomic_flag_test_and_set_explicit(&pool_busy, memory_order_acquire)) return 0;
    atomic_store_explicit(&used_generation, atomic_load_explicit(&run_generation, memory_order_relaxed),
                          memory_order_relaxed);
    qk_job job = {.task = task, .context = context, .chunks = chunks};
    atomic_init(&job.next, 0);
    int awake = 1;  // every helper was spinning when the job was posted
    for (long i = 0; i < helpers; i++) {
        qk_worker *w = &pool_workers[i].worker;
        w->job = &job;
        atomic_store(&w->state, SLOT_POSTED);
        awake &= !atomic_load(&w->sleeping);
    }
    wake_sleepers(helpers);
    long long start = monotonic_nanoseconds();
    long ran = run_chunks(&job);
    // A running worker finishes its chunk within about one chunk's time of the caller running out of chunks.
    long long caller_time = monotonic_nanoseconds() - start;
    long long chunk_time = ran > 0 ? caller_time / ran : 0;
    long long patience = 100000 + 2 * chunk_time;
    int stalled = 0;
    for (long i = 0; i < helpers; i++) {
        qk_worker *w = &pool_workers[i].worker;
        int expected = SLOT_POSTED;
        if (atomic_compare_exchange_strong_explicit(&w->state, &expected, SLOT_IDLE, memory_order_acquire,
                                                    memory_order_acquire)) {
            // A worker that was spinning yet claimed nothing while the caller ran chunks for 20 µs (a spinning
            // worker answers within a microsecond) was off its CPU.
            stalled |= awake && caller_time > 20000;
            continue;
        }
        stalled |= await_idle(w, patience);
    }
    if (stalled) note_stall(monotonic_nanoseconds());
    atomic_flag_clear_explicit(&pool_busy, memory_order_release);
    return 1;
}
