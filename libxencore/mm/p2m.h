/* Guest RAM: which host frames back it and with which page sizes. */
#ifndef XENCORE_MM_P2M_H
#define XENCORE_MM_P2M_H

#include <stddef.h>
#include <stdint.h>

struct domain;

/* The page order to use at @gfn for the remaining @frames, given the orders
 * the hardware can map (bit k set: 2^k frames): the largest supported order
 * whose alignment @gfn meets and that fits. Pure, for unit tests. */
unsigned int p2m_choose_order(uint64_t gfn, uint64_t frames, uint32_t supported_orders);

/* Allocates and maps guest RAM gfn 0 .. frames-1, using the largest pages the
 * hardware and the allocator allow (a large block that cannot be found falls
 * back to smaller ones). Counts mappings by size in d->mapped. */
int p2m_populate(struct domain *d, uint64_t frames);

/* Host pointer to guest-physical @gpa, valid for @length bytes within one
 * page, or NULL if not RAM of @d. */
void *p2m_gpa_to_virt(struct domain *d, uint64_t gpa, size_t length);

/* Copies to/from guest-physical memory (any length, page by page). */
int p2m_copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t length);
int p2m_copy_from_gpa(struct domain *d, void *dst, uint64_t gpa, size_t length);

#endif /* XENCORE_MM_P2M_H */
