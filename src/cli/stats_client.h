/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vfsd stats PATH [--json|--prometheus]`: ask a running daemon's
 * --stats-socket for its metrics and print them.
 */
#ifndef VFSD_CLI_STATS_CLIENT_H
#define VFSD_CLI_STATS_CLIENT_H

/** argv[0] is "stats". Exit status: 0, 1 (cannot reach), 2 (usage). */
int stats_client_main(int argc, char *argv[]);

#endif
