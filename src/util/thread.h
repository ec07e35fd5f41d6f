/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFSD_UTIL_THREAD_H
#define VFSD_UTIL_THREAD_H

#include <pthread.h>

/**
 * pthread_create with every signal blocked in the new thread, so signals
 * are handled by the thread that started serving. Worker threads run with
 * a guest user's effective ids between requests: a handler that cleans up
 * (unlink, umount) must not run there. Returns 0 or -errno.
 */
int thread_create_nosig(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
