/* Binary buddy allocator; see frame_alloc.h for the contract.
 *
 * Invariants (under fa->lock):
 * - every managed frame is either the head of exactly one block (free or
 *   allocated, its order recorded in state) or a TAIL inside one;
 * - a free block of order k is on free list k, and its buddy (pfn ^ 2^k) is not
 *   a free head of order k (it would have been merged);
 * - free_frames = sum over k of free_blocks[k] << k.
 * Every operation touches O(FRAME_MAX_ORDER) frame-table entries. */
#include "mm/frame_alloc.h"

#include "lib/errno.h"
#include "lib/string.h"

enum {
    FRAME_STATE_UNMANAGED = 0x00, /* hole, reserved, or not yet added */
    FRAME_STATE_TAIL = 0x01,      /* inside a block whose head is elsewhere */
    FRAME_STATE_FREE = 0x40,      /* | order: head of a free block */
    FRAME_STATE_USED = 0x80,      /* | order: head of an allocated block */
    FRAME_STATE_ORDER_MASK = 0x3f,
};

struct frame_alloc host_frames;

size_t frame_alloc_table_bytes(uint64_t nr_pfns)
{
    return (size_t)nr_pfns * (2 * sizeof(uint32_t) + sizeof(uint8_t));
}

int frame_alloc_init(struct frame_alloc *fa, void *table, size_t table_bytes, pfn_t base_pfn,
                     uint64_t nr_pfns)
{
    if (!fa || !table || ((uintptr_t)table & 3) || nr_pfns == 0 || nr_pfns >= FRAME_NONE ||
        base_pfn + nr_pfns < base_pfn || table_bytes < frame_alloc_table_bytes(nr_pfns))
        return -XC_EINVAL;
    memset(fa, 0, sizeof(*fa));
    fa->base_pfn = base_pfn;
    fa->nr_pfns = nr_pfns;
    fa->next = table;
    fa->prev = fa->next + nr_pfns;
    fa->state = (uint8_t *)(fa->prev + nr_pfns);
    memset(fa->state, FRAME_STATE_UNMANAGED, nr_pfns);
    for (unsigned int k = 0; k <= FRAME_MAX_ORDER; k++)
        fa->free_head[k] = FRAME_NONE;
    return 0;
}

void frame_alloc_move_table(struct frame_alloc *fa, void *table)
{
    spin_lock(&fa->lock);
    fa->next = table;
    fa->prev = fa->next + fa->nr_pfns;
    fa->state = (uint8_t *)(fa->prev + fa->nr_pfns);
    spin_unlock(&fa->lock);
}

static void list_push(struct frame_alloc *fa, uint32_t idx, unsigned int order)
{
    fa->prev[idx] = FRAME_NONE;
    fa->next[idx] = fa->free_head[order];
    if (fa->free_head[order] != FRAME_NONE)
        fa->prev[fa->free_head[order]] = idx;
    fa->free_head[order] = idx;
    fa->state[idx] = (uint8_t)(FRAME_STATE_FREE | order);
    fa->free_blocks[order]++;
}

static void list_remove(struct frame_alloc *fa, uint32_t idx, unsigned int order)
{
    if (fa->prev[idx] != FRAME_NONE)
        fa->next[fa->prev[idx]] = fa->next[idx];
    else
        fa->free_head[order] = fa->next[idx];
    if (fa->next[idx] != FRAME_NONE)
        fa->prev[fa->next[idx]] = fa->prev[idx];
    fa->free_blocks[order]--;
}

/* Frees the used block at idx (state already checked) and merges upwards. */
static void free_block(struct frame_alloc *fa, uint32_t idx, unsigned int order)
{
    fa->free_frames += 1ULL << order;
    while (order < FRAME_MAX_ORDER) {
        pfn_t pfn = fa->base_pfn + idx;
        pfn_t buddy_pfn = pfn ^ (1ULL << order);
        if (buddy_pfn < fa->base_pfn || buddy_pfn - fa->base_pfn >= fa->nr_pfns)
            break;
        uint32_t buddy = (uint32_t)(buddy_pfn - fa->base_pfn);
        if (fa->state[buddy] != (FRAME_STATE_FREE | order))
            break;
        list_remove(fa, buddy, order);
        uint32_t upper = idx > buddy ? idx : buddy;
        fa->state[upper] = FRAME_STATE_TAIL;
        idx = idx < buddy ? idx : buddy;
        order++;
    }
    list_push(fa, idx, order);
}

int frame_alloc_add_range(struct frame_alloc *fa, pfn_t start, uint64_t count)
{
    if (start < fa->base_pfn || start + count < start ||
        start + count > fa->base_pfn + fa->nr_pfns)
        return -XC_EINVAL;

    spin_lock(&fa->lock);
    uint32_t first = (uint32_t)(start - fa->base_pfn);
    for (uint64_t i = 0; i < count; i++) {
        if (fa->state[first + i] != FRAME_STATE_UNMANAGED) {
            spin_unlock(&fa->lock);
            return -XC_EEXIST;
        }
    }
    pfn_t pfn = start, end = start + count;
    while (pfn < end) {
        unsigned int order = 0;
        while (order < FRAME_MAX_ORDER && !(pfn & ((2ULL << order) - 1)) &&
               pfn + (2ULL << order) <= end)
            order++;
        uint32_t idx = (uint32_t)(pfn - fa->base_pfn);
        for (uint64_t i = 1; i < (1ULL << order); i++)
            fa->state[idx + i] = FRAME_STATE_TAIL;
        fa->managed_frames += 1ULL << order;
        free_block(fa, idx, order);
        pfn += 1ULL << order;
    }
    spin_unlock(&fa->lock);
    return 0;
}

int frame_alloc(struct frame_alloc *fa, unsigned int order, pfn_t *pfn)
{
    if (order > FRAME_MAX_ORDER || !pfn)
        return -XC_EINVAL;

    spin_lock(&fa->lock);
    unsigned int k = order;
    while (k <= FRAME_MAX_ORDER && fa->free_head[k] == FRAME_NONE)
        k++;
    if (k > FRAME_MAX_ORDER) {
        spin_unlock(&fa->lock);
        return -XC_ENOMEM;
    }
    uint32_t idx = fa->free_head[k];
    list_remove(fa, idx, k);
    while (k > order) { /* split: the upper half goes back on the next list down */
        k--;
        list_push(fa, idx + (1U << k), k);
    }
    fa->state[idx] = (uint8_t)(FRAME_STATE_USED | order);
    fa->free_frames -= 1ULL << order;
    spin_unlock(&fa->lock);
    *pfn = fa->base_pfn + idx;
    return 0;
}

int frame_free(struct frame_alloc *fa, pfn_t pfn, unsigned int order)
{
    if (order > FRAME_MAX_ORDER || pfn < fa->base_pfn || pfn - fa->base_pfn >= fa->nr_pfns)
        return -XC_EINVAL;

    spin_lock(&fa->lock);
    uint32_t idx = (uint32_t)(pfn - fa->base_pfn);
    if (fa->state[idx] != (FRAME_STATE_USED | order)) {
        spin_unlock(&fa->lock);
        return -XC_EINVAL;
    }
    free_block(fa, idx, order);
    spin_unlock(&fa->lock);
    return 0;
}

uint64_t frame_alloc_free_frames(struct frame_alloc *fa)
{
    return __atomic_load_n(&fa->free_frames, __ATOMIC_RELAXED);
}

uint64_t frame_alloc_managed_frames(struct frame_alloc *fa)
{
    return __atomic_load_n(&fa->managed_frames, __ATOMIC_RELAXED);
}

int frame_alloc_largest_free_order(struct frame_alloc *fa)
{
    spin_lock(&fa->lock);
    int largest = -1;
    for (int k = FRAME_MAX_ORDER; k >= 0; k--) {
        if (fa->free_head[k] != FRAME_NONE) {
            largest = k;
            break;
        }
    }
    spin_unlock(&fa->lock);
    return largest;
}
