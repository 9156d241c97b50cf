/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include "pmd_object.h"

#include <errno.h>
#include <link.h>
#include <string.h>

struct search {
	const void *addr;
	struct pmd_object *o;
	int found;
};

static void add(struct pmd_object *o, uintptr_t lo, uintptr_t hi, enum pmd_segment_kind kind)
{
	if (lo < hi && o->nb_seg < PMD_OBJECT_MAX_SEGMENTS)
		o->seg[o->nb_seg++] = (struct pmd_segment){lo, hi, kind};
}

static uintptr_t min_u(uintptr_t a, uintptr_t b)
{
	return a < b ? a : b;
}
static uintptr_t max_u(uintptr_t a, uintptr_t b)
{
	return a > b ? a : b;
}

/* A writable PT_LOAD is .data and .bss, except the part PT_GNU_RELRO says
 * the loader made read-only once relocated (.data.rel.ro, the GOT): const
 * tables of pointers live there. */
static int segments(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct search *s = arg;
	(void)size;
	uintptr_t relro_lo = 0, relro_hi = 0;
	int holds = 0;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_GNU_RELRO) {
			relro_lo = lo;
			relro_hi = lo + ph->p_memsz;
		}
		if (ph->p_type == PT_LOAD && (uintptr_t)s->addr >= lo &&
		    (uintptr_t)s->addr < lo + ph->p_memsz)
			holds = 1;
	}
	if (!holds)
		return 0;
	struct pmd_object *o = s->o;
	memset(o, 0, sizeof(*o));
	o->name = info->dlpi_name != NULL ? info->dlpi_name : "";
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		const uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (ph->p_flags & PF_X) {
			add(o, lo, hi, PMD_SEG_CODE);
		} else if (!(ph->p_flags & PF_W)) {
			add(o, lo, hi, PMD_SEG_CONST);
		} else {
			add(o, lo, min_u(hi, relro_lo), PMD_SEG_DATA);
			add(o, max_u(lo, relro_lo), min_u(hi, relro_hi), PMD_SEG_CONST);
			add(o, max_u(lo, relro_hi), hi, PMD_SEG_DATA);
		}
	}
	s->found = 1;
	return 1;
}

int pmd_object_of(const void *addr, struct pmd_object *o)
{
	struct search s = {addr, o, 0};
	dl_iterate_phdr(segments, &s);
	return s.found ? 0 : -ENOENT;
}

/* The segment of `o` of that kind holding all of [p, p + len). */
static const struct pmd_segment *segment(const struct pmd_object *o, uintptr_t p, size_t len,
					 enum pmd_segment_kind kind)
{
	for (unsigned i = 0; i < o->nb_seg; i++)
		if (o->seg[i].kind == kind && p >= o->seg[i].lo && p <= o->seg[i].hi &&
		    len <= o->seg[i].hi - p)
			return &o->seg[i];
	return NULL;
}

int pmd_object_holds(const struct pmd_object *o, const void *p, enum pmd_segment_kind kind)
{
	return segment(o, (uintptr_t)p, 1, kind) != NULL;
}

const char *pmd_object_table_check(const struct pmd_object *o, const void *table, unsigned members,
				   const unsigned *needed, unsigned nb_needed)
{
	const size_t len = members * sizeof(void *);
	if (table == NULL || (uintptr_t)table % sizeof(void *) != 0 ||
	    (segment(o, (uintptr_t)table, len, PMD_SEG_CONST) == NULL &&
	     segment(o, (uintptr_t)table, len, PMD_SEG_DATA) == NULL))
		return "not a table in the PMD's data";
	void *const *member = table;
	for (unsigned i = 0; i < members; i++)
		if (member[i] != NULL && !pmd_object_holds(o, member[i], PMD_SEG_CODE))
			return "a member of the table is not code of the PMD's";
	for (unsigned i = 0; i < nb_needed; i++)
		if (needed[i] >= members || member[needed[i]] == NULL)
			return "the table lacks an operation it must have";
	return NULL;
}

static int is_table(const struct pmd_object *o, const void *p, unsigned members,
		    const unsigned *needed, unsigned nb_needed)
{
	return pmd_object_table_check(o, p, members, needed, nb_needed) == NULL;
}

#define MAX_CANDIDATES 64

/* How often `o`'s code addresses each of `targets` RIP-relatively, as
 * x86-64 code reaches its static data: a 32-bit displacement ending an
 * instruction, from the instruction's end. Every byte is tried as the
 * start of a displacement; a false match needs 32 bits to agree. */
static void count_code_refs(const struct pmd_object *o, const uintptr_t *targets, unsigned n,
			    unsigned *refs)
{
	for (unsigned s = 0; s < o->nb_seg; s++) {
		const struct pmd_segment *seg = &o->seg[s];
		if (seg->kind != PMD_SEG_CODE || seg->hi - seg->lo < 4)
			continue;
		for (uintptr_t p = seg->lo; p + 4 <= seg->hi; p++) {
			int32_t disp;
			memcpy(&disp, (const void *)p, sizeof(disp));
			const uintptr_t target = p + 4 + (intptr_t)disp;
			for (unsigned i = 0; i < n; i++)
				refs[i] += target == targets[i];
		}
	}
}

/* Whether the `n` entries from `a`, `stride` apart, have the shape of the
 * per-port array pmd_object_find_table_array() looks for. */
static int fits(const struct pmd_object *o, uintptr_t a, unsigned index, unsigned n, size_t stride,
		const unsigned char *required, unsigned members, const unsigned *needed,
		unsigned nb_needed)
{
	void *const *at_index = (void *const *)(a + index * stride);
	if (*at_index == NULL || !is_table(o, *at_index, members, needed, nb_needed))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		void *const *e = (void *const *)(a + i * stride);
		const int set = *e != NULL;
		if ((!set && required != NULL && required[i]) ||
		    (set && !is_table(o, *e, members, needed, nb_needed)))
			return 0;
	}
	return 1;
}

void *pmd_object_find_table_array(const struct pmd_object *o, unsigned index, unsigned n,
				  size_t stride, const unsigned char *required, unsigned members,
				  const unsigned *needed, unsigned nb_needed, const char **why)
{
	const size_t span = (size_t)(n - 1) * stride + sizeof(void *);
	uintptr_t candidate[MAX_CANDIDATES];
	unsigned nb = 0;
	*why = "no array of operation tables with an entry for the port";
	if (index >= n || stride < sizeof(void *) || stride % sizeof(void *) != 0)
		return NULL;
	for (unsigned s = 0; s < o->nb_seg; s++) {
		const struct pmd_segment *seg = &o->seg[s];
		if (seg->kind != PMD_SEG_DATA || seg->hi - seg->lo < span)
			continue;
		const uintptr_t first =
		    (seg->lo + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
		for (uintptr_t a = first; a <= seg->hi - span; a += sizeof(void *)) {
			if (!fits(o, a, index, n, stride, required, members, needed, nb_needed))
				continue;
			if (nb == MAX_CANDIDATES) {
				*why = "too many arrays of operation tables fit the port";
				return NULL;
			}
			candidate[nb++] = a;
		}
	}
	if (nb == 0)
		return NULL;
#if defined(__x86_64__)
	/* The array's start is what the PMD's code addresses: the entries of
	 * ports closed since (the PMD never clears them) let the same shape
	 * fit a few entries either side. */
	unsigned refs[MAX_CANDIDATES] = {0};
	count_code_refs(o, candidate, nb, refs);
	unsigned addressed = 0, found = 0;
	for (unsigned i = 0; i < nb; i++)
		if (refs[i] > 0) {
			addressed++;
			found = i;
		}
	if (addressed == 0) {
		*why = "no array of operation tables that fits the port is addressed by the PMD's "
		       "code";
		return NULL;
	}
	if (addressed > 1) {
		*why = "more than one array of operation tables fits the port";
		return NULL;
	}
	return (void *)candidate[found];
#else
	if (nb > 1) {
		*why = "more than one array of operation tables fits the port";
		return NULL;
	}
	return (void *)candidate[0];
#endif
}
