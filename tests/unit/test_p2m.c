/* Unit tests of guest RAM placement (libxencore/mm/p2m.c).
 *
 * p2m_choose_order() is the superpage policy: the largest page the hardware
 * maps whose alignment the guest frame meets and that the remaining RAM
 * fills. p2m_populate() applies it against the real frame allocator: the
 * tests give host_frames a 64 MiB arena of real memory (frame numbers are
 * host pointers >> 12; the host arch maps "physical" addresses 1:1) and the
 * host arch's fake p2m records every mapping. They pin down what a user
 * notices: a 2 MiB-capable host maps guest RAM with 2 MiB pages backed by
 * 2 MiB-aligned frames, a size that is not a multiple uses 4 KiB pages only
 * for the tail, a fragmented host falls back to 4 KiB pages and still works,
 * running out is -XC_ENOMEM without leaking a frame, new guest RAM never
 * shows a previous owner's bytes, and copies to and from guest-physical
 * addresses follow the p2m across page boundaries and fail with -XC_EFAULT
 * outside RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/host/arch_host.h"
#include "core/domain.h"
#include "lib/errno.h"
#include "mm/frame_alloc.h"
#include "mm/p2m.h"

#define PAGE_BYTES 4096ULL
#define ORDERS_4K (1u << 0)
#define ORDERS_4K_2M ((1u << 0) | (1u << 9))
#define ORDERS_ALL ((1u << 0) | (1u << 9) | (1u << 18))
#define FRAMES_2M 512ULL
#define FRAMES_1G (1ULL << 18)
#define MIB_FRAMES(n) ((uint64_t)(n)*256)

#define ARENA_BYTES (64ULL << 20)
#define ARENA_FRAMES (ARENA_BYTES / PAGE_BYTES)
#define STALE_BYTE 0xa5

/* ---- p2m_choose_order(): the policy alone --------------------------------- */

static void test_choose_order_all_sizes(void **state)
{
    (void)state;
    assert_int_equal(p2m_choose_order(0, FRAMES_1G, ORDERS_ALL), 18);
    assert_int_equal(p2m_choose_order(0, UINT64_MAX, ORDERS_ALL), 18);
    assert_int_equal(p2m_choose_order(5 * FRAMES_1G, FRAMES_1G, ORDERS_ALL), 18);
    /* One frame short of 1 GiB: 2 MiB pages. */
    assert_int_equal(p2m_choose_order(0, FRAMES_1G - 1, ORDERS_ALL), 9);
    /* Aligned for 2 MiB but not 1 GiB, however much is left. */
    assert_int_equal(p2m_choose_order(512, UINT64_MAX, ORDERS_ALL), 9);
    assert_int_equal(p2m_choose_order(FRAMES_1G + 512, FRAMES_1G, ORDERS_ALL), 9);
    assert_int_equal(p2m_choose_order(FRAMES_1G - 512, FRAMES_1G, ORDERS_ALL), 9);
    /* Exactly 2 MiB left, and one frame less. */
    assert_int_equal(p2m_choose_order(1024, FRAMES_2M, ORDERS_ALL), 9);
    assert_int_equal(p2m_choose_order(1024, FRAMES_2M - 1, ORDERS_ALL), 0);
    /* Unaligned frames get 4 KiB pages. */
    assert_int_equal(p2m_choose_order(1, UINT64_MAX, ORDERS_ALL), 0);
    assert_int_equal(p2m_choose_order(256, UINT64_MAX, ORDERS_ALL), 0);
    assert_int_equal(p2m_choose_order(FRAMES_1G + 1, UINT64_MAX, ORDERS_ALL), 0);
    assert_int_equal(p2m_choose_order(0, 1, ORDERS_ALL), 0);
}

static void test_choose_order_limited_hardware(void **state)
{
    (void)state;
    /* 2 MiB but no 1 GiB pages: never 18. */
    assert_int_equal(p2m_choose_order(0, FRAMES_1G, ORDERS_4K_2M), 9);
    assert_int_equal(p2m_choose_order(0, UINT64_MAX, ORDERS_4K_2M), 9);
    assert_int_equal(p2m_choose_order(3, UINT64_MAX, ORDERS_4K_2M), 0);
    /* 4 KiB only: always 0. */
    static const uint64_t gfns[] = {0, 1, 512, FRAMES_1G, 7 * FRAMES_1G};
    for (unsigned int i = 0; i < sizeof(gfns) / sizeof(gfns[0]); i++) {
        assert_int_equal(p2m_choose_order(gfns[i], UINT64_MAX, ORDERS_4K), 0);
        assert_int_equal(p2m_choose_order(gfns[i], FRAMES_1G, ORDERS_4K), 0);
    }
    /* 1 GiB without 2 MiB (no such hardware, but the policy must not invent
     * 2 MiB pages). */
    assert_int_equal(p2m_choose_order(0, FRAMES_1G, (1u << 0) | (1u << 18)), 18);
    assert_int_equal(p2m_choose_order(512, FRAMES_1G, (1u << 0) | (1u << 18)), 0);
}

/* ---- p2m_populate() against a real allocator -------------------------------- */

struct arena {
    uint8_t *memory; /* ARENA_BYTES, 2 MiB-aligned, the frames host_frames manages */
    void *table;
    pfn_t base;
    struct domain *d;
};

static int arena_setup(void **state)
{
    struct arena *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    void *memory = NULL;
    assert_int_equal(posix_memalign(&memory, 2u << 20, ARENA_BYTES), 0);
    a->memory = memory;
    /* What a previous owner left behind: a new guest must never see it. */
    memset(a->memory, STALE_BYTE, ARENA_BYTES);
    a->base = (uintptr_t)a->memory / PAGE_BYTES;
    size_t bytes = frame_alloc_table_bytes(ARENA_FRAMES);
    a->table = malloc(bytes);
    assert_non_null(a->table);
    assert_int_equal(frame_alloc_init(&host_frames, a->table, bytes, a->base, ARENA_FRAMES), 0);
    assert_int_equal(frame_alloc_add_range(&host_frames, a->base, ARENA_FRAMES), 0);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
    a->d = calloc(1, sizeof(*a->d));
    assert_non_null(a->d);
    host_p2m_reset();
    host_set_p2m_orders(ORDERS_ALL);
    *state = a;
    return 0;
}

static int arena_teardown(void **state)
{
    struct arena *a = *state;
    host_p2m_reset();
    host_set_p2m_orders(ORDERS_ALL);
    memset(&host_frames, 0, sizeof(host_frames));
    free(a->d);
    free(a->table);
    free(a->memory);
    free(a);
    return 0;
}

static bool in_arena(const struct arena *a, pfn_t pfn, unsigned int order)
{
    return pfn >= a->base && pfn + (1ULL << order) <= a->base + ARENA_FRAMES;
}

/* Returns everything the domain owns to the allocator, as domain destroy
 * does: its extents and the frames of the extent array. */
static void domain_free_memory(struct arena *a)
{
    struct domain *d = a->d;
    for (unsigned int i = 0; i < d->nr_extents; i++)
        assert_int_equal(frame_free(&host_frames, d->extents[i].mfn, d->extents[i].order), 0);
    if (d->extents)
        assert_int_equal(frame_free(&host_frames, d->extents_frame / PAGE_BYTES, d->extents_order),
                         0);
    memset(d, 0, sizeof(*d));
}

static uint64_t extent_frames(const struct domain *d)
{
    uint64_t sum = 0;
    for (unsigned int i = 0; i < d->nr_extents; i++)
        sum += 1ULL << d->extents[i].order;
    return sum;
}

/* Every guest frame 0..frames-1 is mapped to its own arena frame, reads as
 * zeros, and the frame after the last is not mapped. */
static void assert_ram_mapped(struct arena *a, uint64_t frames)
{
    uint8_t *used = calloc(ARENA_FRAMES, 1);
    static const uint8_t zero[PAGE_BYTES];
    assert_non_null(used);
    for (uint64_t gfn = 0; gfn < frames; gfn++) {
        uint8_t *page = p2m_gpa_to_virt(a->d, gfn * PAGE_BYTES, PAGE_BYTES);
        if (!page)
            fail_msg("gfn 0x%llx of 0x%llx is not mapped", (unsigned long long)gfn,
                     (unsigned long long)frames);
        pfn_t pfn = (uintptr_t)page / PAGE_BYTES;
        assert_true(in_arena(a, pfn, 0));
        assert_int_equal((uintptr_t)page % PAGE_BYTES, 0);
        assert_int_equal(used[pfn - a->base], 0); /* no host frame backs two guest frames */
        used[pfn - a->base] = 1;
        if (memcmp(page, zero, PAGE_BYTES) != 0)
            fail_msg("gfn 0x%llx shows stale bytes", (unsigned long long)gfn);
    }
    assert_null(p2m_gpa_to_virt(a->d, frames * PAGE_BYTES, 1));
    free(used);
}

/* The recorded arch_p2m_map calls: each naturally aligned on both sides
 * (the whole point of a superpage), in ascending guest order without gaps. */
static void assert_calls_aligned(const struct arena *a)
{
    const struct host_p2m_call *calls;
    unsigned int n = host_p2m_calls(&calls);
    uint64_t next_gfn = 0;
    for (unsigned int i = 0; i < n; i++) {
        uint64_t mask = (1ULL << calls[i].order) - 1;
        assert_int_equal(calls[i].gfn, next_gfn);
        assert_int_equal(calls[i].gfn & mask, 0);
        assert_int_equal(calls[i].mfn & mask, 0);
        assert_true(in_arena(a, calls[i].mfn, calls[i].order));
        next_gfn += 1ULL << calls[i].order;
    }
}

static void test_populate_with_2m_pages(void **state)
{
    struct arena *a = *state;
    for (int with_1g = 0; with_1g <= 1; with_1g++) {
        host_p2m_reset();
        host_set_p2m_orders(with_1g ? ORDERS_ALL : ORDERS_4K_2M);
        assert_int_equal(p2m_populate(a->d, MIB_FRAMES(32)), 0);
        const struct host_p2m_call *calls;
        assert_int_equal(host_p2m_calls(&calls), 16);
        for (unsigned int i = 0; i < 16; i++) {
            assert_int_equal(calls[i].order, 9);
            assert_int_equal(calls[i].gfn, i * FRAMES_2M);
        }
        assert_calls_aligned(a);
        assert_int_equal(a->d->mapped[P2M_2M], 16);
        assert_int_equal(a->d->mapped[P2M_4K], 0);
        assert_int_equal(a->d->mapped[P2M_1G], 0);
        assert_int_equal(a->d->max_gfn, MIB_FRAMES(32));
        assert_int_equal(a->d->nr_extents, 16);
        assert_int_equal(extent_frames(a->d), MIB_FRAMES(32));
        assert_ram_mapped(a, MIB_FRAMES(32));

        domain_free_memory(a);
        assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
    }
}

static void test_populate_4k_only(void **state)
{
    struct arena *a = *state;
    host_set_p2m_orders(ORDERS_4K);
    assert_int_equal(p2m_populate(a->d, MIB_FRAMES(32)), 0);
    assert_int_equal(a->d->mapped[P2M_4K], 8192);
    assert_int_equal(a->d->mapped[P2M_2M], 0);
    assert_int_equal(a->d->mapped[P2M_1G], 0);
    assert_int_equal(a->d->nr_extents, 8192);
    assert_int_equal(a->d->max_gfn, 8192);
    const struct host_p2m_call *calls;
    unsigned int n = host_p2m_calls(&calls); /* the fake keeps the first 4096 */
    assert_true(n > 0);
    for (unsigned int i = 0; i < n; i++)
        assert_int_equal(calls[i].order, 0);
    assert_calls_aligned(a);
    assert_ram_mapped(a, 8192);

    domain_free_memory(a);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
}

/* 33 MiB + 12 KiB: sixteen 2 MiB pages, then 1 MiB + 12 KiB of 4 KiB pages. */
static void test_populate_odd_size(void **state)
{
    struct arena *a = *state;
    const uint64_t frames = MIB_FRAMES(33) + 3;
    assert_int_equal(p2m_populate(a->d, frames), 0);
    const struct host_p2m_call *calls;
    assert_int_equal(host_p2m_calls(&calls), 16 + 259);
    for (unsigned int i = 0; i < 16; i++)
        assert_int_equal(calls[i].order, 9);
    for (unsigned int i = 16; i < 16 + 259; i++) {
        assert_int_equal(calls[i].order, 0);
        assert_int_equal(calls[i].gfn, 8192 + (i - 16));
    }
    assert_calls_aligned(a);
    assert_int_equal(a->d->mapped[P2M_2M], 16);
    assert_int_equal(a->d->mapped[P2M_4K], 259);
    assert_int_equal(a->d->max_gfn, frames);
    assert_int_equal(extent_frames(a->d), frames);
    assert_ram_mapped(a, frames);

    domain_free_memory(a);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
    assert_int_equal(frame_alloc_largest_free_order(&host_frames) >= 9, 1);
}

/* Takes every frame of the arena, then gives back all but those @keep
 * chooses; returns how many were kept (in @kept). */
static unsigned int fragment(struct arena *a, bool (*keep)(uint64_t index, void *ctx), void *ctx,
                             pfn_t *kept)
{
    for (uint64_t i = 0; i < ARENA_FRAMES; i++) {
        pfn_t pfn;
        assert_int_equal(frame_alloc(&host_frames, 0, &pfn), 0);
    }
    assert_int_equal(frame_alloc_free_frames(&host_frames), 0);
    unsigned int n = 0;
    for (uint64_t i = 0; i < ARENA_FRAMES; i++) {
        if (keep(i, ctx))
            kept[n++] = a->base + i;
        else
            assert_int_equal(frame_free(&host_frames, a->base + i, 0), 0);
    }
    return n;
}

static void unfragment(pfn_t *kept, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        assert_int_equal(frame_free(&host_frames, kept[i], 0), 0);
}

/* One frame in each of the first @ctx 2 MiB blocks stays allocated. */
static bool keep_one_per_2m_block(uint64_t index, void *ctx)
{
    uint64_t spoiled_blocks = *(uint64_t *)ctx;
    return index % FRAMES_2M == 100 && index / FRAMES_2M < spoiled_blocks;
}

static bool keep_even(uint64_t index, void *ctx)
{
    (void)ctx;
    return index % 2 == 0;
}

static void test_populate_without_free_2m_blocks(void **state)
{
    struct arena *a = *state;
    uint64_t spoiled = ARENA_FRAMES / FRAMES_2M; /* all 32 */
    pfn_t kept[32];
    unsigned int n = fragment(a, keep_one_per_2m_block, &spoiled, kept);
    assert_int_equal(n, 32);
    assert_true(frame_alloc_largest_free_order(&host_frames) < 9);

    assert_int_equal(p2m_populate(a->d, MIB_FRAMES(32)), 0);
    assert_int_equal(a->d->mapped[P2M_2M], 0);
    assert_int_equal(a->d->mapped[P2M_4K], 8192);
    assert_int_equal(a->d->max_gfn, 8192);
    assert_calls_aligned(a);
    assert_ram_mapped(a, 8192);
    /* The frames still held elsewhere were not handed to the guest. */
    for (uint64_t gfn = 0; gfn < 8192; gfn++) {
        uintptr_t host = (uintptr_t)p2m_gpa_to_virt(a->d, gfn * PAGE_BYTES, 1);
        assert_int_not_equal((host / PAGE_BYTES - a->base) % FRAMES_2M, 100);
    }

    domain_free_memory(a);
    unfragment(kept, n);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
}

/* Four whole 2 MiB blocks left among fragmented ones: the guest gets exactly
 * four 2 MiB pages, the rest in 4 KiB pages. */
static void test_populate_partly_fragmented(void **state)
{
    struct arena *a = *state;
    uint64_t spoiled = ARENA_FRAMES / FRAMES_2M - 4;
    pfn_t kept[32];
    unsigned int n = fragment(a, keep_one_per_2m_block, &spoiled, kept);
    assert_int_equal(n, 28);

    assert_int_equal(p2m_populate(a->d, MIB_FRAMES(32)), 0);
    assert_int_equal(a->d->mapped[P2M_2M], 4);
    assert_int_equal(a->d->mapped[P2M_4K], 8192 - 4 * 512);
    assert_calls_aligned(a);
    assert_ram_mapped(a, 8192);

    domain_free_memory(a);
    unfragment(kept, n);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
}

/* A 1 GiB guest on a 64 MiB host: 1 GiB pages fall back to 2 MiB ones (not
 * straight to 4 KiB), those to 4 KiB, and then memory runs out. */
static void test_populate_out_of_memory(void **state)
{
    struct arena *a = *state;
    assert_int_equal(p2m_populate(a->d, FRAMES_1G), -XC_ENOMEM);
    assert_int_equal(a->d->mapped[P2M_1G], 0);
    /* 32 blocks of 2 MiB, one of them split for the extent array. */
    assert_int_equal(a->d->mapped[P2M_2M], 31);
    assert_true(a->d->mapped[P2M_4K] > 0);
    assert_int_equal(extent_frames(a->d), a->d->mapped[P2M_2M] * 512 + a->d->mapped[P2M_4K]);
    assert_int_equal(a->d->max_gfn, 0); /* no RAM is claimed after a failure */
    /* Every frame is accounted for: free, the guest's, or the extent array. */
    assert_int_equal(frame_alloc_free_frames(&host_frames) + extent_frames(a->d) +
                         (1ULL << a->d->extents_order),
                     ARENA_FRAMES);
    assert_calls_aligned(a);

    domain_free_memory(a);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);

    /* The same with 4 KiB pages only. */
    host_p2m_reset();
    host_set_p2m_orders(ORDERS_4K);
    assert_int_equal(p2m_populate(a->d, ARENA_FRAMES + 1), -XC_ENOMEM);
    assert_int_equal(a->d->mapped[P2M_2M], 0);
    assert_int_equal(frame_alloc_free_frames(&host_frames) + extent_frames(a->d) +
                         (1ULL << a->d->extents_order),
                     ARENA_FRAMES);
    domain_free_memory(a);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
}

/* Plenty of single frames but no two adjacent ones: guest RAM can be had,
 * but the extent array cannot grow past its first page (256 extents). The
 * frame taken for the 257th guest page must go back, not leak. */
static void test_populate_extent_array_cannot_grow(void **state)
{
    struct arena *a = *state;
    pfn_t *kept = malloc(ARENA_FRAMES / 2 * sizeof(*kept));
    assert_non_null(kept);
    unsigned int n = fragment(a, keep_even, NULL, kept);
    const uint64_t free_before = frame_alloc_free_frames(&host_frames);
    assert_int_equal(free_before, ARENA_FRAMES / 2);
    assert_int_equal(frame_alloc_largest_free_order(&host_frames), 0);

    assert_int_equal(p2m_populate(a->d, 1000), -XC_ENOMEM);
    const unsigned int per_page = PAGE_BYTES / sizeof(struct domain_extent);
    assert_int_equal(a->d->nr_extents, per_page);
    assert_int_equal(a->d->mapped[P2M_4K], per_page);
    assert_int_equal(a->d->extents_order, 0);
    assert_int_equal(frame_alloc_free_frames(&host_frames), free_before - per_page - 1);

    domain_free_memory(a);
    assert_int_equal(frame_alloc_free_frames(&host_frames), free_before);
    unfragment(kept, n);
    free(kept);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
}

/* ---- Copies through the p2m ------------------------------------------------- */

/* With every other host frame taken, consecutive guest frames are never
 * adjacent in host memory: a copy that crossed a page boundary without
 * looking the next page up would land in the wrong frame. */
static void test_copy_across_pages(void **state)
{
    struct arena *a = *state;
    pfn_t *kept = malloc(ARENA_FRAMES / 2 * sizeof(*kept));
    assert_non_null(kept);
    unsigned int n = fragment(a, keep_even, NULL, kept);
    host_set_p2m_orders(ORDERS_4K);
    const uint64_t frames = 16;
    assert_int_equal(p2m_populate(a->d, frames), 0);
    uint8_t *page0 = p2m_gpa_to_virt(a->d, 0, PAGE_BYTES);
    uint8_t *page1 = p2m_gpa_to_virt(a->d, PAGE_BYTES, PAGE_BYTES);
    assert_non_null(page0);
    assert_non_null(page1);
    assert_ptr_not_equal(page0 + PAGE_BYTES, page1);

    uint8_t data[PAGE_BYTES + 200], back[sizeof(data)];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 1);

    /* 100 bytes: 40 at the end of gfn 0, 60 at the start of gfn 1. */
    assert_int_equal(p2m_copy_to_gpa(a->d, PAGE_BYTES - 40, data, 100), 0);
    assert_memory_equal(page0 + PAGE_BYTES - 40, data, 40);
    assert_memory_equal(page1, data + 40, 60);
    assert_int_equal(page1[60], 0);
    memset(back, 0, sizeof(back));
    assert_int_equal(p2m_copy_from_gpa(a->d, back, PAGE_BYTES - 40, 100), 0);
    assert_memory_equal(back, data, 100);

    /* More than a page, spanning three: gfn 4 (tail), 5 (all), 6 (head). */
    const uint64_t gpa = 5 * PAGE_BYTES - 100;
    assert_int_equal(p2m_copy_to_gpa(a->d, gpa, data, sizeof(data)), 0);
    assert_memory_equal(p2m_gpa_to_virt(a->d, gpa, 100), data, 100);
    assert_memory_equal(p2m_gpa_to_virt(a->d, 5 * PAGE_BYTES, PAGE_BYTES), data + 100, PAGE_BYTES);
    assert_memory_equal(p2m_gpa_to_virt(a->d, 6 * PAGE_BYTES, 100), data + 100 + PAGE_BYTES, 100);
    memset(back, 0, sizeof(back));
    assert_int_equal(p2m_copy_from_gpa(a->d, back, gpa, sizeof(data)), 0);
    assert_memory_equal(back, data, sizeof(data));

    /* The last byte of RAM, and nothing. */
    assert_int_equal(p2m_copy_to_gpa(a->d, frames * PAGE_BYTES - 1, data, 1), 0);
    assert_int_equal(p2m_copy_to_gpa(a->d, 0, data, 0), 0);

    domain_free_memory(a);
    unfragment(kept, n);
    free(kept);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
}

static void test_copy_outside_ram_faults(void **state)
{
    struct arena *a = *state;
    host_set_p2m_orders(ORDERS_4K);
    const uint64_t frames = 8;
    const uint64_t end = frames * PAGE_BYTES;
    assert_int_equal(p2m_populate(a->d, frames), 0);
    uint8_t buf[64] = {1};

    assert_int_equal(p2m_copy_to_gpa(a->d, end, buf, 1), -XC_EFAULT);
    assert_int_equal(p2m_copy_from_gpa(a->d, buf, end, 1), -XC_EFAULT);
    /* Starting inside, running past the end. */
    assert_int_equal(p2m_copy_to_gpa(a->d, end - 10, buf, 20), -XC_EFAULT);
    assert_int_equal(p2m_copy_from_gpa(a->d, buf, end - 10, 20), -XC_EFAULT);
    /* Far away, and at the top of the address space (must not wrap to 0). */
    assert_int_equal(p2m_copy_to_gpa(a->d, 1ULL << 40, buf, 8), -XC_EFAULT);
    assert_int_equal(p2m_copy_to_gpa(a->d, UINT64_MAX - 5, buf, 20), -XC_EFAULT);
    assert_int_equal(p2m_copy_from_gpa(a->d, buf, UINT64_MAX, 1), -XC_EFAULT);

    /* p2m_gpa_to_virt answers for one page at a time. */
    assert_non_null(p2m_gpa_to_virt(a->d, PAGE_BYTES - 8, 8));
    assert_null(p2m_gpa_to_virt(a->d, PAGE_BYTES - 8, 9));
    assert_null(p2m_gpa_to_virt(a->d, 0, PAGE_BYTES + 1));
    assert_null(p2m_gpa_to_virt(a->d, end, 1));

    domain_free_memory(a);
    assert_int_equal(frame_alloc_free_frames(&host_frames), ARENA_FRAMES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose_order_all_sizes),
        cmocka_unit_test(test_choose_order_limited_hardware),
        cmocka_unit_test_setup_teardown(test_populate_with_2m_pages, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_populate_4k_only, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_populate_odd_size, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_populate_without_free_2m_blocks, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_populate_partly_fragmented, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_populate_out_of_memory, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_populate_extent_array_cannot_grow, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_copy_across_pages, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_copy_outside_ram_faults, arena_setup, arena_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
