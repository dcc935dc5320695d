#ifndef QK_THREAD_POOL_H
#define QK_THREAD_POOL_H

/// One chunk of a parallel job: `task(context, chunk)` for chunk in 0..<chunks.
typedef void (*qk_pool_task)(void *context, long chunk);

/// Runs `task(context, c)` once for every c in 0..<chunks, on the calling thread and up to `threads − 1`
/// persistent worker threads of a process-wide pool (at most one worker per other online CPU). The workers
/// claim chunks from a shared counter, so which thread runs a chunk varies, but every chunk runs exactly once
/// and the call returns after all of them finished. Idle workers spin for ``qk_pool_spin_microseconds`` before
/// sleeping, so a call shortly after another hands a chunk over without a system call.
/// A call made while the pool is busy (from inside a chunk, or from another thread at the same time), or while
/// the pool backs off after a worker was descheduled mid-chunk (a busy machine: 1 ms doubling to 256 ms), runs
/// its chunks in order on the calling thread.
void qk_pool_run(long chunks, long threads, qk_pool_task task, void *context);

/// Worker threads of the pool (CPUs this process may use − 1); starts them on first use.
long qk_pool_worker_count(void);

/// How long an idle worker spins before it sleeps (default 200 µs); returns the previous value.
long qk_pool_set_spin_microseconds(long microseconds);

/// ``qk_pool_run`` that runs nothing and returns 0 when it could not use a worker (one chunk, one thread, no
/// workers, or the pool busy: a call from inside a chunk or from another thread at the same time), so the
/// caller can run the whole job in one piece instead; 1 when every chunk ran.
int qk_pool_run_if_free(long chunks, long threads, qk_pool_task task, void *context);

/// Turns the back-off after stalls on (1, the default) or off (0, which also ends a back-off in progress: every
/// job then uses the workers, e.g. for tests of the workers or on a machine known to be idle); returns the
/// previous setting. The environment variable QK_POOL_BACKOFF=0 turns it off from the start.
int qk_pool_set_backoff(int enabled);

/// Brackets one model run that may call ``qk_pool_run`` with `threads` threads (no-ops for threads ≤ 1; pairs may
/// nest or overlap across threads). While a run that posted a job is in progress, idle workers keep spinning
/// instead of sleeping after the spin window, and the window then counts from the run's end; a run that follows
/// one that posted a job wakes sleeping workers as it begins.
void qk_pool_run_begin(long threads);
void qk_pool_run_end(long threads);

#endif
