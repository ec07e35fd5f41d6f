/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A test's temporary directory tree, removed after. */
#ifndef VFSD_TESTS_TMPTREE_H
#define VFSD_TESTS_TMPTREE_H

/** Remove dir and everything below it (symlinks are not followed). */
int tmptree_remove(const char *dir);

#endif
