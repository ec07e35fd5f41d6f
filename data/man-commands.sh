#!/bin/sh
# Write help2man's include file for vfsd(1): the static sections of
# vfsd.h2m, then a COMMANDS section made of `vfsd check --help` and
# `vfsd config --help`, so the subcommands' page text has one source too.
#
#   man-commands.sh VFSD STATIC.h2m OUT
set -eu

vfsd=$1 static=$2 out=$3

# Verbatim roff: escape backslashes, and keep lines from starting with a
# control character.
roff_verbatim() {
	sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}

{
	cat "$static"
	echo
	echo "[COMMANDS]"
	for cmd in check config; do
		echo ".PP"
		printf '%s\n' "\\fBvfsd $cmd\\fR"
		echo ".PP"
		echo ".nf"
		"$vfsd" "$cmd" --help | roff_verbatim
		echo ".fi"
	done
} >"$out.tmp"
mv "$out.tmp" "$out"
