/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFSD_UTIL_THREAD_H
#define VFSD_UTIL_THREAD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * pthread_create with signals blocked in the new thread, so signals are
 * handled by the thread that started serving. Worker threads run with a
 * guest user's effective ids between requests: a handler that cleans up
 * (unlink, umount) must not run there. Two stay open, whose handlers do
 * nothing a guest user's ids could matter for: SIGBUS, which the kernel
 * delivers on a fault whatever the mask (blocked, it kills the process
 * without a word; transport/guest_mem.c handles it), and THREAD_WAKE_SIGNAL
 * (thread_wake()). Returns 0 or -errno.
 */
int thread_create_nosig(pthread_t *t, void *(*fn)(void *), void *arg);

/*
 * Interrupts a thread's blocking system call. Its default action is to
 * ignore it, so a stray one from outside kills nothing.
 */
#define THREAD_WAKE_SIGNAL SIGURG

/**
 * Install the handler of THREAD_WAKE_SIGNAL: it does nothing, and is
 * installed without SA_RESTART, so that a system call it interrupts
 * returns EINTR instead of going back to sleep. Returns 0 or -errno.
 */
int thread_wake_init(void);

/**
 * Send THREAD_WAKE_SIGNAL to t: a blocking system call t is in (or enters
 * before the signal is taken) returns EINTR. A call that only a fatal
 * signal ends (an uninterruptible wait) goes on; so may one t enters just
 * after the signal was taken, so callers repeat it while they wait.
 */
void thread_wake(pthread_t t);

/* The interval at which thread_join_until() wakes the thread it waits for. */
#define THREAD_WAKE_MS 100

/** Milliseconds of CLOCK_MONOTONIC (deadlines that the wall clock cannot move). */
uint64_t thread_now_ms(void);

/**
 * Join t, waking it (thread_wake()) every THREAD_WAKE_MS, until deadline_ms
 * (thread_now_ms() time). Returns 0 once joined, -ETIMEDOUT if t still
 * runs at the deadline: stuck in a wait only a fatal signal ends. Then t
 * is neither joined nor detached, and what it uses must stay allocated.
 */
int thread_join_until(pthread_t t, uint64_t deadline_ms);

/**
 * thread_wake() by the kernel's id of a thread (gettid()) that may have
 * ended meanwhile: with no pthread_t to outlive its join, the signal goes
 * at worst to another thread of this process that took the id over, where
 * it interrupts one call as any wake does.
 */
void thread_wake_tid(pid_t tid);

#endif
