/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the share's inodes are found again once their fds are closed: by
 * file handle or by name (--inode-file-handles), chosen from the options,
 * the share's mounts and the capabilities the server keeps, with the
 * reason for the startup line.
 */
#include "cli/file_handles.h"

#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "fs/passthrough.h"
#include "policy/mounts.h"
#include "util/log.h"

/*
 * Handles cannot be opened without CAP_DAC_READ_SEARCH: prefer falls back
 * to names, mandatory is an error. True if it is one. Without root there
 * is none to have: open_by_handle_at() wants it in the host's user
 * namespace.
 */
bool file_handles_without_cap(struct vfsd_options *o, bool rootless,
			      caps_set_t caps, char *why, size_t len)
{
	if (o->inode_file_handles == INODE_FH_NEVER ||
	    (!rootless && (caps >> CAP_DAC_READ_SEARCH) & 1))
		return false;
	if (o->inode_file_handles == INODE_FH_MANDATORY) {
		fprintf(stderr, "vfsd: --inode-file-handles=mandatory needs "
				"CAP_DAC_READ_SEARCH (%s)\n",
			rootless ? "only root has it" : "dropped by --modcaps");
		return true;
	}
	o->inode_file_handles = INODE_FH_NEVER;
	snprintf(why, len, "%s",
		 rootless ? "without root there is no CAP_DAC_READ_SEARCH" :
			    "CAP_DAC_READ_SEARCH dropped by --modcaps");
	return false;
}

/*
 * Without --inode-file-handles: handles (and CAP_DAC_READ_SEARCH) only
 * where no handle can reach past the share (policy/mounts.h), else names,
 * which need no capability; with --inode-fd-budget=unlimited neither.
 */
void file_handles_default(struct vfsd_options *o, bool rootless, char *why,
			  size_t len)
{
	bool whole = false;
	int err;

	if (o->inode_file_handles_set) {
		snprintf(why, len,
			 "--inode-file-handles=%s",
			 o->inode_file_handles == INODE_FH_NEVER ? "never" :
			 o->inode_file_handles == INODE_FH_PREFER ? "prefer" :
								    "mandatory");
		return;
	}
	if (o->inode_fd_budget == PT_FD_BUDGET_UNLIMITED) {
		o->inode_file_handles = INODE_FH_NEVER;
		snprintf(why, len,
			 "--inode-fd-budget=unlimited");
		return;
	}
	if (rootless) {
		o->inode_file_handles = INODE_FH_NEVER;
		snprintf(why, len,
			 "without root there is no CAP_DAC_READ_SEARCH to open "
			 "file handles; names need none");
		return;
	}
	err = mounts_share_is_whole(o->shared_dir, &whole);
	if (err)
		log_warn("cannot read the mounts of %s: %s", o->shared_dir,
			 strerror(-err));
	o->inode_file_handles = whole ? INODE_FH_PREFER : INODE_FH_NEVER;
	snprintf(why, len, "%s",
		 whole ? "the share is the root of its filesystems" :
			 "a file handle could reach past the share, which is not "
			 "the root of its filesystem or has a bind mount below it; "
			 "names need no capability");
}
