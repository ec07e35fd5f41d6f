/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/thread.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int thread_create_nosig(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t mask, old;
	int ret;

	sigfillset(&mask);
	sigdelset(&mask, SIGBUS);
	sigdelset(&mask, THREAD_WAKE_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &mask, &old);
	ret = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -ret;
}

/* Only there to make the signal interrupt a system call. */
static void thread_on_wake(int sig)
{
	(void)sig;
}

int thread_wake_init(void)
{
	struct sigaction sa = { .sa_handler = thread_on_wake };

	sigemptyset(&sa.sa_mask);
	if (sigaction(THREAD_WAKE_SIGNAL, &sa, NULL))
		return -errno;
	return 0;
}

void thread_wake(pthread_t t)
{
	/* ESRCH cannot happen: callers wake threads they know are running. */
	(void)pthread_kill(t, THREAD_WAKE_SIGNAL);
}

uint64_t thread_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int thread_join_until(pthread_t t, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = thread_now_ms(), until;
		struct timespec ts;
		int ret;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		until = now + THREAD_WAKE_MS < deadline_ms ?
				now + THREAD_WAKE_MS : deadline_ms;
		ts.tv_sec = (time_t)(until / 1000);
		ts.tv_nsec = (long)(until % 1000) * 1000000;
		ret = pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &ts);
		if (ret != ETIMEDOUT)
			return -ret;
		/* A blocking call it is in (or enters next) returns EINTR. */
		thread_wake(t);
	}
}

void thread_wake_tid(pid_t tid)
{
	/* ESRCH: it ended; nothing to wake. */
	(void)syscall(SYS_tgkill, getpid(), tid, THREAD_WAKE_SIGNAL);
}
