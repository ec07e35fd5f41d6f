/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/thread.h"

#include <errno.h>
#include <signal.h>

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
