/* Unit tests of the buddy frame allocator (libxencore/mm/frame_alloc.c).
 *
 * Every page the hypervisor owns comes from this allocator, and the p2m maps
 * superpages on the strength of its alignment promise, so these tests pin down
 * what callers rely on: blocks are naturally aligned, splits merge back
 * completely, fragmentation is real (no phantom large blocks), running out is
 * an error that changes nothing, misuse (double free, wrong order, an address
 * inside a block, overlapping ranges) is detected and changes nothing, and a
 * long random mix of operations never hands out the same frame twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/errno.h"
#include "mm/frame_alloc.h"

/* An allocator describing [base, base + nr) with a malloc'd frame table. */
struct fixture {
    struct frame_alloc fa;
    void *table;
    pfn_t base;
    uint64_t nr;
};

static struct fixture *fixture_new(pfn_t base, uint64_t nr)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    size_t bytes = frame_alloc_table_bytes(nr);
    f->table = malloc(bytes);
    assert_non_null(f->table);
    f->base = base;
    f->nr = nr;
    assert_int_equal(frame_alloc_init(&f->fa, f->table, bytes, base, nr), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 0);
    assert_int_equal(frame_alloc_managed_frames(&f->fa), 0);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), -1);
    return f;
}

static void fixture_free(struct fixture *f)
{
    free(f->table);
    free(f);
}

/* The counters a failed call must leave alone. */
struct snapshot {
    uint64_t free_frames;
    uint64_t managed;
    int largest;
    uint64_t free_blocks[FRAME_MAX_ORDER + 1];
};

static struct snapshot take_snapshot(struct frame_alloc *fa)
{
    struct snapshot s;
    s.free_frames = frame_alloc_free_frames(fa);
    s.managed = frame_alloc_managed_frames(fa);
    s.largest = frame_alloc_largest_free_order(fa);
    memcpy(s.free_blocks, fa->free_blocks, sizeof(s.free_blocks));
    return s;
}

static void assert_unchanged(struct frame_alloc *fa, const struct snapshot *before)
{
    struct snapshot now = take_snapshot(fa);
    assert_int_equal(now.free_frames, before->free_frames);
    assert_int_equal(now.managed, before->managed);
    assert_int_equal(now.largest, before->largest);
    assert_memory_equal(now.free_blocks, before->free_blocks, sizeof(now.free_blocks));
}

/* free_frames must equal what the free lists hold. */
static void assert_free_lists_consistent(struct frame_alloc *fa)
{
    uint64_t sum = 0;
    for (unsigned int k = 0; k <= FRAME_MAX_ORDER; k++)
        sum += fa->free_blocks[k] << k;
    assert_int_equal(sum, frame_alloc_free_frames(fa));
}

static void test_init_rejects_bad_arguments(void **state)
{
    (void)state;
    struct frame_alloc fa;
    uint32_t table[64];
    size_t need = frame_alloc_table_bytes(16);
    assert_int_equal(frame_alloc_init(&fa, table, need, 0, 0), -XC_EINVAL);
    assert_int_equal(frame_alloc_init(&fa, table, need - 1, 0, 16), -XC_EINVAL);
    assert_int_equal(frame_alloc_init(&fa, NULL, need, 0, 16), -XC_EINVAL);
    assert_int_equal(frame_alloc_init(&fa, (char *)table + 1, need, 0, 16), -XC_EINVAL);
    assert_int_equal(frame_alloc_init(&fa, table, need, UINT64_MAX - 4, 16), -XC_EINVAL);
    assert_int_equal(frame_alloc_init(&fa, table, need, 0, 16), 0);
}

/* A block of order k starts at a pfn that is a multiple of 2^k, in absolute
 * frame numbers, even when the table's base is not aligned. */
static void test_alignment(void **state)
{
    (void)state;
    const pfn_t base = 0x1235; /* deliberately odd */
    const uint64_t nr = 8192;
    struct fixture *f = fixture_new(base, nr);
    assert_int_equal(frame_alloc_add_range(&f->fa, base, nr), 0);

    for (unsigned int order = 0; order <= 11; order++) {
        pfn_t pfn = 0;
        assert_int_equal(frame_alloc(&f->fa, order, &pfn), 0);
        assert_int_equal(pfn & ((1ULL << order) - 1), 0);
        assert_true(pfn >= base && pfn + (1ULL << order) <= base + nr);
        assert_int_equal(frame_free(&f->fa, pfn, order), 0);
    }

    /* Many mixed orders at once: still aligned and inside the range. */
    pfn_t live[64];
    unsigned int orders[64];
    for (unsigned int i = 0; i < 64; i++) {
        orders[i] = i % 7;
        assert_int_equal(frame_alloc(&f->fa, orders[i], &live[i]), 0);
        assert_int_equal(live[i] & ((1ULL << orders[i]) - 1), 0);
        assert_true(live[i] >= base && live[i] + (1ULL << orders[i]) <= base + nr);
    }
    for (unsigned int i = 0; i < 64; i++)
        assert_int_equal(frame_free(&f->fa, live[i], orders[i]), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), nr);
    fixture_free(f);
}

/* Splitting a large block and freeing the pieces in another order merges them
 * back into exactly the block we started with. */
static void test_split_and_merge_back(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, 4096);
    assert_int_equal(frame_alloc_add_range(&f->fa, 1024, 1024), 0);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 10);
    assert_int_equal(f->fa.free_blocks[10], 1);
    struct snapshot start = take_snapshot(&f->fa);

    pfn_t one;
    assert_int_equal(frame_alloc(&f->fa, 0, &one), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 1023);
    /* One frame taken from 2^10 leaves one free block of each order 0..9. */
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 9);
    for (unsigned int k = 0; k <= 9; k++)
        assert_int_equal(f->fa.free_blocks[k], 1);
    assert_int_equal(f->fa.free_blocks[10], 0);

    /* Fill the rest with a mix of orders. */
    pfn_t pfns[1024];
    unsigned int orders[1024];
    unsigned int n = 0;
    static const unsigned int pattern[] = { 3, 0, 5, 1, 2, 0, 4 };
    uint64_t taken = 1;
    for (unsigned int i = 0; taken < 1024; i++) {
        unsigned int order = pattern[i % 7];
        int rc = frame_alloc(&f->fa, order, &pfns[n]);
        if (rc == -XC_ENOMEM)
            order = 0, rc = frame_alloc(&f->fa, 0, &pfns[n]);
        assert_int_equal(rc, 0);
        orders[n++] = order;
        taken += 1ULL << order;
    }
    assert_int_equal(frame_alloc_free_frames(&f->fa), 0);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), -1);

    /* Free in reverse, the single frame in the middle of it. */
    for (unsigned int i = n; i-- > 0;) {
        assert_int_equal(frame_free(&f->fa, pfns[i], orders[i]), 0);
        if (i == n / 2)
            assert_int_equal(frame_free(&f->fa, one, 0), 0);
        assert_free_lists_consistent(&f->fa);
    }
    assert_unchanged(&f->fa, &start);
    assert_int_equal(f->fa.free_blocks[10], 1);
    pfn_t whole;
    assert_int_equal(frame_alloc(&f->fa, 10, &whole), 0);
    assert_int_equal(whole, 1024);
    fixture_free(f);
}

/* All order-0 frames taken, every other one returned: half the memory is free
 * but not a single pair is, so an order-1 request must fail. */
static void test_fragmentation(void **state)
{
    (void)state;
    const uint64_t nr = 1ULL << FRAME_MAX_ORDER;
    const pfn_t base = 1ULL << FRAME_MAX_ORDER; /* aligned so one max-order block fits */
    struct fixture *f = fixture_new(base, nr);
    assert_int_equal(frame_alloc_add_range(&f->fa, base, nr), 0);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), FRAME_MAX_ORDER);

    uint8_t *taken = calloc(nr, 1);
    assert_non_null(taken);
    for (uint64_t i = 0; i < nr; i++) {
        pfn_t pfn;
        assert_int_equal(frame_alloc(&f->fa, 0, &pfn), 0);
        assert_true(pfn >= base && pfn < base + nr);
        assert_int_equal(taken[pfn - base], 0);
        taken[pfn - base] = 1;
    }
    assert_int_equal(frame_alloc_free_frames(&f->fa), 0);

    for (uint64_t i = 0; i < nr; i += 2)
        assert_int_equal(frame_free(&f->fa, base + i, 0), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), nr / 2);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 0);

    struct snapshot before = take_snapshot(&f->fa);
    pfn_t pfn = 0xdead;
    assert_int_equal(frame_alloc(&f->fa, 1, &pfn), -XC_ENOMEM);
    assert_int_equal(pfn, 0xdead);
    assert_unchanged(&f->fa, &before);

    for (uint64_t i = 1; i < nr; i += 2)
        assert_int_equal(frame_free(&f->fa, base + i, 0), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), nr);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), FRAME_MAX_ORDER);
    assert_int_equal(frame_alloc(&f->fa, FRAME_MAX_ORDER, &pfn), 0);
    assert_int_equal(pfn, base);
    free(taken);
    fixture_free(f);
}

static void test_exhaustion(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, 256);
    assert_int_equal(frame_alloc_add_range(&f->fa, 0, 100), 0);

    /* 100 frames free, but no block of 128. */
    struct snapshot before = take_snapshot(&f->fa);
    pfn_t pfn = 0xdead;
    assert_int_equal(frame_alloc(&f->fa, 7, &pfn), -XC_ENOMEM);
    assert_int_equal(pfn, 0xdead);
    assert_unchanged(&f->fa, &before);
    assert_int_equal(frame_alloc(&f->fa, FRAME_MAX_ORDER + 1, &pfn), -XC_EINVAL);
    assert_int_equal(frame_alloc(&f->fa, 0, NULL), -XC_EINVAL);
    assert_unchanged(&f->fa, &before);

    for (unsigned int i = 0; i < 100; i++)
        assert_int_equal(frame_alloc(&f->fa, 0, &pfn), 0);
    before = take_snapshot(&f->fa);
    assert_int_equal(before.free_frames, 0);
    assert_int_equal(before.managed, 100);
    for (unsigned int order = 0; order <= FRAME_MAX_ORDER; order++) {
        pfn = 0xdead;
        assert_int_equal(frame_alloc(&f->fa, order, &pfn), -XC_ENOMEM);
        assert_int_equal(pfn, 0xdead);
        assert_unchanged(&f->fa, &before);
    }
    fixture_free(f);
}

static void test_double_free_detected(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, 1024);
    assert_int_equal(frame_alloc_add_range(&f->fa, 0, 1024), 0);

    pfn_t a, keep;
    assert_int_equal(frame_alloc(&f->fa, 3, &a), 0);
    assert_int_equal(frame_alloc(&f->fa, 3, &keep), 0); /* stops a merging upwards */
    assert_int_equal(frame_free(&f->fa, a, 3), 0);
    struct snapshot before = take_snapshot(&f->fa);
    assert_int_equal(frame_free(&f->fa, a, 3), -XC_EINVAL);
    assert_unchanged(&f->fa, &before);

    /* A freed order-0 frame that merged into a larger free block, then was
     * handed out again as part of an order-1 block: freeing the old order-0
     * handle must not split the live block. */
    pfn_t b, c;
    assert_int_equal(frame_alloc(&f->fa, 0, &b), 0);
    assert_int_equal(frame_free(&f->fa, b, 0), 0);
    assert_int_equal(frame_alloc(&f->fa, 1, &c), 0);
    before = take_snapshot(&f->fa);
    assert_int_equal(frame_free(&f->fa, b, 0), -XC_EINVAL);
    assert_int_equal(frame_free(&f->fa, c, 0), -XC_EINVAL);
    assert_int_equal(frame_free(&f->fa, c + 1, 0), -XC_EINVAL);
    assert_unchanged(&f->fa, &before);
    assert_int_equal(frame_free(&f->fa, c, 1), 0);
    assert_int_equal(frame_free(&f->fa, c, 1), -XC_EINVAL);
    assert_int_equal(frame_free(&f->fa, keep, 3), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 1024);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 10);
    fixture_free(f);
}

static void test_bad_free_detected(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, 2048);
    assert_int_equal(frame_alloc_add_range(&f->fa, 0, 1024), 0); /* 1024..2047 unmanaged */

    pfn_t a;
    assert_int_equal(frame_alloc(&f->fa, 3, &a), 0);
    struct snapshot before = take_snapshot(&f->fa);

    assert_int_equal(frame_free(&f->fa, a, 2), -XC_EINVAL); /* wrong order, smaller */
    assert_int_equal(frame_free(&f->fa, a, 4), -XC_EINVAL); /* wrong order, larger */
    assert_int_equal(frame_free(&f->fa, a, FRAME_MAX_ORDER + 1), -XC_EINVAL);
    assert_int_equal(frame_free(&f->fa, a + 1, 0), -XC_EINVAL); /* inside the block */
    assert_int_equal(frame_free(&f->fa, a + 4, 2), -XC_EINVAL); /* its upper half */
    assert_int_equal(frame_free(&f->fa, a + 7, 0), -XC_EINVAL);
    assert_int_equal(frame_free(&f->fa, a + 8, 3), -XC_EINVAL); /* a free neighbour */
    assert_int_equal(frame_free(&f->fa, 1536, 0), -XC_EINVAL);  /* unmanaged frame */
    assert_int_equal(frame_free(&f->fa, 2048, 0), -XC_EINVAL);  /* outside the table */
    assert_int_equal(frame_free(&f->fa, UINT64_MAX, 0), -XC_EINVAL);
    assert_unchanged(&f->fa, &before);

    assert_int_equal(frame_free(&f->fa, a, 3), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 1024);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 10);
    fixture_free(f);
}

static void test_add_range_overlap_rejected(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, 2048);
    assert_int_equal(frame_alloc_add_range(&f->fa, 100, 500), 0); /* [100, 600) */
    struct snapshot before = take_snapshot(&f->fa);
    assert_int_equal(before.managed, 500);

    assert_int_equal(frame_alloc_add_range(&f->fa, 500, 200), -XC_EEXIST); /* tail overlaps */
    assert_unchanged(&f->fa, &before);
    assert_int_equal(frame_alloc_add_range(&f->fa, 0, 101), -XC_EEXIST); /* head overlaps */
    assert_unchanged(&f->fa, &before);
    assert_int_equal(frame_alloc_add_range(&f->fa, 100, 500), -XC_EEXIST); /* the same */
    assert_unchanged(&f->fa, &before);
    assert_int_equal(frame_alloc_add_range(&f->fa, 0, 2048), -XC_EEXIST); /* a superset */
    assert_unchanged(&f->fa, &before);
    assert_int_equal(frame_alloc_add_range(&f->fa, 2000, 100), -XC_EINVAL); /* past table */
    assert_int_equal(frame_alloc_add_range(&f->fa, UINT64_MAX - 1, 4), -XC_EINVAL);
    assert_unchanged(&f->fa, &before);

    /* The rejected calls left [600, 700) and [0, 100) unmanaged: adding them
     * now works, and everything merges into one aligned order-10 block. */
    assert_int_equal(frame_alloc_add_range(&f->fa, 600, 424), 0);
    assert_int_equal(frame_alloc_add_range(&f->fa, 0, 100), 0);
    assert_int_equal(frame_alloc_managed_frames(&f->fa), 1024);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 1024);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 10);
    assert_int_equal(f->fa.free_blocks[10], 1);
    fixture_free(f);
}

/* [3, 1003) starts and ends off any large alignment: it is cut into aligned
 * blocks, the largest of order 8, and every frame of it can be handed out. */
static void test_unaligned_range(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(0, 2048);
    assert_int_equal(frame_alloc_add_range(&f->fa, 3, 1000), 0);
    assert_int_equal(frame_alloc_managed_frames(&f->fa), 1000);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 1000);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 8);
    assert_free_lists_consistent(&f->fa);

    /* Exactly two order-8 blocks fit: [256, 512) and [512, 768). */
    pfn_t x, y, z;
    assert_int_equal(frame_alloc(&f->fa, 8, &x), 0);
    assert_int_equal(frame_alloc(&f->fa, 8, &y), 0);
    assert_int_equal(frame_alloc(&f->fa, 8, &z), -XC_ENOMEM);
    assert_true((x == 256 && y == 512) || (x == 512 && y == 256));
    assert_int_equal(frame_free(&f->fa, x, 8), 0);
    assert_int_equal(frame_free(&f->fa, y, 8), 0);

    /* Every frame, one at a time, and not one more. */
    uint8_t seen[2048] = { 0 };
    for (unsigned int i = 0; i < 1000; i++) {
        pfn_t pfn;
        assert_int_equal(frame_alloc(&f->fa, 0, &pfn), 0);
        assert_true(pfn >= 3 && pfn < 1003);
        assert_int_equal(seen[pfn], 0);
        seen[pfn] = 1;
    }
    assert_int_equal(frame_alloc(&f->fa, 0, &z), -XC_ENOMEM);
    for (pfn_t pfn = 3; pfn < 1003; pfn++)
        assert_int_equal(frame_free(&f->fa, pfn, 0), 0);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 1000);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 8);

    /* Ranges added later merge with their neighbours: [3, 1024) makes
     * [512, 1024) whole, and [0, 3) then the whole of [0, 1024). */
    assert_int_equal(frame_alloc_add_range(&f->fa, 1003, 21), 0);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 9);
    assert_int_equal(frame_alloc_add_range(&f->fa, 0, 3), 0);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), 10);
    assert_int_equal(f->fa.free_blocks[10], 1);
    assert_int_equal(frame_alloc_free_frames(&f->fa), 1024);
    assert_free_lists_consistent(&f->fa);
    fixture_free(f);
}

/* xorshift64*: a fixed, portable sequence so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

struct live_block {
    pfn_t pfn;
    unsigned int order;
};

static void test_random_stress(void **state)
{
    (void)state;
    const pfn_t base = 0x10003; /* unaligned table base */
    const uint64_t nr = 16384;
    struct fixture *f = fixture_new(base, nr);
    /* Three managed pieces with holes between them and odd edges. */
    static const uint64_t pieces[][2] = { { 5, 6000 }, { 6100, 4096 }, { 10300, 6000 } };
    uint8_t *in_piece = calloc(nr, 1);
    assert_non_null(in_piece);
    uint64_t managed = 0;
    for (unsigned int i = 0; i < 3; i++) {
        assert_int_equal(frame_alloc_add_range(&f->fa, base + pieces[i][0], pieces[i][1]), 0);
        memset(in_piece + pieces[i][0], 1, pieces[i][1]);
        managed += pieces[i][1];
    }
    assert_int_equal(frame_alloc_managed_frames(&f->fa), managed);
    const int start_largest = frame_alloc_largest_free_order(&f->fa);

    /* owner[i]: 1 while frame base + i is part of a live allocation. */
    uint8_t *owner = calloc(nr, sizeof(*owner));
    struct live_block *live = calloc(managed, sizeof(*live));
    assert_non_null(owner);
    assert_non_null(live);
    size_t n_live = 0;
    uint64_t allocated = 0;
    struct live_block last_freed = { 0, 0 };
    bool have_freed = false;

    for (unsigned int step = 0; step < 5000; step++) {
        uint64_t r = rng_next();
        bool do_alloc = n_live == 0 || (r % 100) < 55;
        if (do_alloc) {
            /* Mostly small orders, now and then a large one. */
            unsigned int order =
                (r >> 8) % 8 == 0 ? (unsigned int)((r >> 16) % 11) : (unsigned int)((r >> 16) % 4);
            pfn_t pfn = 0xdead;
            int rc = frame_alloc(&f->fa, order, &pfn);
            if (rc == -XC_ENOMEM) {
                /* Failing is only honest when no block that large is free. */
                assert_true(frame_alloc_largest_free_order(&f->fa) < (int)order);
                assert_int_equal(pfn, 0xdead);
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(pfn & ((1ULL << order) - 1), 0);
                assert_true(pfn >= base && pfn + (1ULL << order) <= base + nr);
                for (uint64_t i = 0; i < (1ULL << order); i++) {
                    assert_int_equal(in_piece[pfn - base + i], 1); /* not in a hole */
                    assert_int_equal(owner[pfn - base + i], 0);    /* no overlap */
                    owner[pfn - base + i] = 1;
                }
                live[n_live++] = (struct live_block){ pfn, order };
                allocated += 1ULL << order;
            }
        } else {
            size_t victim = (size_t)((r >> 8) % n_live);
            struct live_block b = live[victim];
            assert_int_equal(frame_free(&f->fa, b.pfn, b.order), 0);
            for (uint64_t i = 0; i < (1ULL << b.order); i++)
                owner[b.pfn - base + i] = 0;
            allocated -= 1ULL << b.order;
            live[victim] = live[--n_live];
            last_freed = b;
            have_freed = true;
        }

        /* Now and then free the last freed block again (unless it is live
         * once more): always refused, nothing changes. */
        if (have_freed && step % 97 == 0 && owner[last_freed.pfn - base] == 0) {
            struct snapshot before = take_snapshot(&f->fa);
            assert_int_equal(frame_free(&f->fa, last_freed.pfn, last_freed.order), -XC_EINVAL);
            assert_unchanged(&f->fa, &before);
        }

        assert_int_equal(frame_alloc_free_frames(&f->fa) + allocated, managed);
        assert_int_equal(frame_alloc_managed_frames(&f->fa), managed);
        assert_free_lists_consistent(&f->fa);
    }

    while (n_live) {
        struct live_block b = live[--n_live];
        assert_int_equal(frame_free(&f->fa, b.pfn, b.order), 0);
    }
    assert_int_equal(frame_alloc_free_frames(&f->fa), managed);
    assert_int_equal(frame_alloc_largest_free_order(&f->fa), start_largest);
    free(live);
    free(owner);
    free(in_piece);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_bad_arguments),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_split_and_merge_back),
        cmocka_unit_test(test_fragmentation),
        cmocka_unit_test(test_exhaustion),
        cmocka_unit_test(test_double_free_detected),
        cmocka_unit_test(test_bad_free_detected),
        cmocka_unit_test(test_add_range_overlap_rejected),
        cmocka_unit_test(test_unaligned_range),
        cmocka_unit_test(test_random_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
