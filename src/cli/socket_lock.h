/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One daemon per socket path: SOCKET.pid beside the socket, locked with
 * flock(2) for as long as the daemon lives and holding its pid, as the
 * Rust virtiofsd does. A second daemon on the same path is refused before
 * it touches the socket; a lock file left by a dead daemon is not locked
 * and is simply taken over.
 */
#ifndef VFSD_CLI_SOCKET_LOCK_H
#define VFSD_CLI_SOCKET_LOCK_H

#include <stddef.h>

/**
 * Lock socket_path + ".pid" and write our pid to it. Returns the locked
 * fd (keep it open), or -1 with one line in err.
 */
int socket_lock(const char *socket_path, char *err, size_t errlen);

#endif
