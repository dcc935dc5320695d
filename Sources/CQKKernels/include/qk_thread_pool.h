#ifndef QK_THREAD_POOL_H
#define QK_THREAD_POOL_H

/// One chunk of a parallel job: `task(context, chunk)` for chunk in 0..<chunks.
typedef void (*qk_pool_task)(void *context, long chunk);

/// Runs `task(context, c)` once for every c in 0..<chunks, on the calling thread and up to `threads − 1`
/// persistent worker threads of a process-wide pool (at most one worker per other online CPU). The workers
/// claim chunks from a shared counter, so which thread runs a chunk varies, but every chunk runs exactly once
/// and the call returns after all of them finished. Idle workers spin for ``qk_pool_spin_microseconds`` before
/// sleeping, so a call shortly after another hands a chunk over without a system call.
/// A call made while the pool is busy (from inside a chunk, or from another thread at the same time) runs
/// its chunks in order on the calling thread.
void qk_pool_run(long chunks, long threads, qk_pool_task task, void *context);

/// Worker threads of the pool (CPUs this process may use − 1); starts them on first use.
long qk_pool_worker_count(void);

/// How long an idle worker spins before it sleeps (default 200 µs); returns the previous value.
long qk_pool_set_spin_microseconds(long microseconds);

#endif
