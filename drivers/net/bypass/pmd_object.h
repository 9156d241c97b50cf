/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BYPASS_PMD_OBJECT_H
#define BYPASS_PMD_OBJECT_H

/*
 * The loaded object (shared library, or the program itself when the PMD
 * is linked in) that holds another driver, as far as proving what lies in
 * it needs: its segments, from the object's own program headers at run
 * time, whatever build, distribution or version it is. Nothing here
 * writes anywhere; the STANDBY files (virtio_*_standby.c) write only what
 * these checks proved.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pmd_segment_kind {
	PMD_SEG_CODE,  /* executable */
	PMD_SEG_CONST, /* read-only, or made so after relocation (RELRO) */
	PMD_SEG_DATA,  /* writable for the whole run: .data, .bss */
};

struct pmd_segment {
	uintptr_t lo, hi;
	enum pmd_segment_kind kind;
};

#define PMD_OBJECT_MAX_SEGMENTS 16

struct pmd_object {
	const char *name; /* "" for the program itself */
	struct pmd_segment seg[PMD_OBJECT_MAX_SEGMENTS];
	unsigned nb_seg;
};

/* The object holding `addr`: 0, or -ENOENT. */
int pmd_object_of(const void *addr, struct pmd_object *o);

/* Whether `p` lies in a segment of `o` of that kind. */
int pmd_object_holds(const struct pmd_object *o, const void *p, enum pmd_segment_kind kind);

/* NULL if `table` is a table of `o`'s: aligned, in its data (constant or
 * not: virtio_user's backend tables are not const), every one of its
 * `members` pointers NULL or code of `o`, and those at the `needed`
 * indexes (`nb_needed` of them) set. Otherwise why not. */
const char *pmd_object_table_check(const struct pmd_object *o, const void *table, unsigned members,
				   const unsigned *needed, unsigned nb_needed);

/* The one array of `n` entries `stride` bytes apart, in `o`'s writable
 * data, whose entry `index`, and each entry `i` with `required[i]` set
 * (`required` may be NULL), points to a table of `o`'s (as above), and
 * whose other entries are each NULL or such a table: the shape of a
 * per-port array of operation tables, of which the ports the PMD holds
 * now must have one. NULL, and `*why`, when there is none or more than
 * one: then nothing about it is known for sure. */
void *pmd_object_find_table_array(const struct pmd_object *o, unsigned index, unsigned n,
				  size_t stride, const unsigned char *required, unsigned members,
				  const unsigned *needed, unsigned nb_needed, const char **why);

#ifdef __cplusplus
}
#endif

#endif
