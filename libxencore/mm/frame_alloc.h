/* The physical frame allocator: a binary buddy allocator over 4 KiB frames.
 *
 * Blocks are 2^order frames, naturally aligned in physical memory, so an
 * order-9 block is a 2 MiB superpage and an order-18 block a 1 GiB one; the
 * p2m relies on that. Metadata lives in a frame table kept apart from the
 * frames themselves (9 bytes a frame), so nothing written into a free frame
 * can corrupt the allocator. Misuse is detected, not trusted: freeing a block
 * that is not an allocated block of that order (a double free, a wrong order,
 * an address inside a block) fails with -XC_EINVAL and changes nothing. */
#ifndef XENCORE_MM_FRAME_ALLOC_H
#define XENCORE_MM_FRAME_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/spinlock.h"

#define FRAME_MAX_ORDER 18 /* 1 GiB in 4 KiB frames */
#define FRAME_NONE UINT32_MAX

typedef uint64_t pfn_t;

struct frame_alloc {
    pfn_t base_pfn;   /* first frame the table describes */
    uint64_t nr_pfns; /* frames the table describes (managed or not) */
    uint32_t *next;   /* free-list links, as indices from base_pfn */
    uint32_t *prev;
    uint8_t *state;   /* FRAME_STATE_* per frame */
    uint32_t free_head[FRAME_MAX_ORDER + 1];
    uint64_t free_blocks[FRAME_MAX_ORDER + 1];
    uint64_t free_frames;
    uint64_t managed_frames;
    spinlock_t lock;
};

/* Bytes of frame table needed to describe @nr_pfns frames. */
size_t frame_alloc_table_bytes(uint64_t nr_pfns);

/* Sets up an allocator describing frames [base_pfn, base_pfn + nr_pfns) with
 * @table (frame_alloc_table_bytes() bytes, any alignment of 4). No frame is free
 * until frame_alloc_add_range(). Returns 0 or -XC_EINVAL. */
int frame_alloc_init(struct frame_alloc *fa, void *table, size_t table_bytes, pfn_t base_pfn,
                     uint64_t nr_pfns);

/* Tells the allocator its frame table is now reachable at @table (the same
 * memory, mapped at another address). */
void frame_alloc_move_table(struct frame_alloc *fa, void *table);

/* Hands frames [start, start + count) to the allocator. Fails with -XC_EINVAL if
 * any lies outside the table and -XC_EEXIST if any is already managed; then
 * nothing changes. */
int frame_alloc_add_range(struct frame_alloc *fa, pfn_t start, uint64_t count);

/* Allocates 2^@order contiguous, 2^@order-aligned frames. Returns 0 and the first
 * frame in *@pfn, -XC_ENOMEM when no block is large enough, -XC_EINVAL for a bad
 * order. */
int frame_alloc(struct frame_alloc *fa, unsigned int order, pfn_t *pfn);

/* Returns a block from frame_alloc() of the same order. */
int frame_free(struct frame_alloc *fa, pfn_t pfn, unsigned int order);

uint64_t frame_alloc_free_frames(struct frame_alloc *fa);
uint64_t frame_alloc_managed_frames(struct frame_alloc *fa);
/* The order of the largest free block, or -1 when nothing is free. */
int frame_alloc_largest_free_order(struct frame_alloc *fa);

/* The hypervisor's own allocator for all of RAM, set up by mm_init(). */
extern struct frame_alloc host_frames;

#endif /* XENCORE_MM_FRAME_ALLOC_H */
