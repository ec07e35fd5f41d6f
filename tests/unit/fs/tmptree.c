/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tmptree.h"

#include <ftw.h>
#include <stdio.h>

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int tmptree_remove(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
