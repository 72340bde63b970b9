/* Unit tests of mm_for_each_free_range() (libxencore/mm/mm_init.c).
 *
 * This is where the boot memory map becomes the frames the allocator hands
 * out. A frame reported by mistake is memory the hypervisor will overwrite
 * while the firmware, the image or a guest kernel module still lives there; a
 * frame reported twice is handed out twice. The map is hostile input
 * (overlapping, unaligned, reserved ranges inside RAM), so the tests give it
 * exactly that and check the exact page-aligned pieces that come out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mm/mm.h"

#define MiB 0x100000ULL
#define GiB 0x40000000ULL

struct piece {
    uint64_t start, end;
};

struct collected {
    struct piece pieces[256];
    unsigned int count;
};

static void collect(uint64_t start, uint64_t end, void *context)
{
    struct collected *c = context;
    assert_true(c->count < sizeof(c->pieces) / sizeof(c->pieces[0]));
    c->pieces[c->count++] = (struct piece){ start, end };
}

static int piece_compare(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Runs the walk and checks the universal promises: every piece non-empty,
 * page-aligned, above 1 MiB, and no two pieces share a byte. Returns the
 * pieces sorted by address. */
static struct collected *walk(const struct xencore_boot_info *info, uint64_t extra_start,
                              uint64_t extra_end)
{
    struct collected *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    mm_for_each_free_range(info, extra_start, extra_end, collect, c);
    qsort(c->pieces, c->count, sizeof(c->pieces[0]), piece_compare);
    for (unsigned int i = 0; i < c->count; i++) {
        assert_true(c->pieces[i].start < c->pieces[i].end);
        assert_int_equal(c->pieces[i].start & 0xfff, 0);
        assert_int_equal(c->pieces[i].end & 0xfff, 0);
        assert_true(c->pieces[i].start >= MM_LOW_MEMORY_END);
        if (i)
            assert_true(c->pieces[i - 1].end <= c->pieces[i].start);
    }
    return c;
}

static void assert_pieces(const struct collected *c, const struct piece *expected,
                          unsigned int count)
{
    if (c->count != count) {
        for (unsigned int i = 0; i < c->count; i++)
            print_error("piece %u: [0x%llx, 0x%llx)\n", i, (unsigned long long)c->pieces[i].start,
                        (unsigned long long)c->pieces[i].end);
    }
    assert_int_equal(c->count, count);
    for (unsigned int i = 0; i < count; i++) {
        assert_int_equal(c->pieces[i].start, expected[i].start);
        assert_int_equal(c->pieces[i].end, expected[i].end);
    }
}

static void add_range(struct xencore_boot_info *info, uint64_t base, uint64_t length, uint32_t type)
{
    assert_true(info->memmap_entries < XENCORE_BOOT_MEMMAP_MAX);
    info->memmap[info->memmap_entries++] = (struct xencore_mem_range){ base, length, type, 0 };
}

static void add_module(struct xencore_boot_info *info, uint64_t base, uint64_t length)
{
    info->modules[info->module_count].base = base;
    info->modules[info->module_count].length = length;
    info->module_count++;
}

/* The map of a PC with the awkward parts firmware really produces. */
static struct xencore_boot_info *pc_info(void)
{
    struct xencore_boot_info *info = calloc(1, sizeof(*info));
    assert_non_null(info);
    add_range(info, 0, 0x9fc00, XENCORE_MEM_RAM); /* below 1 MiB: never */
    add_range(info, 0x9fc00, 0x400, XENCORE_MEM_RESERVED);
    add_range(info, 1 * MiB, 255 * MiB, XENCORE_MEM_RAM);           /* [1 MiB, 256 MiB) */
    add_range(info, 0x5000800, 0x1000, XENCORE_MEM_RESERVED);       /* straddles two pages */
    add_range(info, 200 * MiB, 100 * MiB, XENCORE_MEM_RAM);         /* overlaps the one above */
    add_range(info, 0x12000000, 0x10000, XENCORE_MEM_ACPI_RECLAIM); /* tables inside RAM */
    add_range(info, 0x20000100, 0xffff80, XENCORE_MEM_RAM);         /* unaligned both ends */
    add_range(info, 4 * GiB, 1 * GiB, XENCORE_MEM_RAM);
    add_range(info, 4 * GiB, 1 * GiB, XENCORE_MEM_RAM);          /* listed twice */
    add_range(info, 4 * GiB + 1 * MiB, 0x1000, XENCORE_MEM_BAD); /* listed after its RAM */
    add_range(info, 6 * GiB, 0, XENCORE_MEM_RAM);                /* empty */
    add_range(info, 7 * GiB, 0x800, XENCORE_MEM_RAM);            /* less than a page */
    info->image_start = 2 * MiB;
    info->image_end = 3 * MiB;
    add_module(info, 8 * MiB, 1 * MiB);
    add_module(info, 0x3000010, 0x10); /* unaligned: its whole page goes */
    return info;
}

static const struct piece pc_expected[] = {
    { 0x100000, 0x200000 },       /* 1 MiB up to the image */
    { 0x300000, 0x800000 },       /* image to module 0 */
    { 0x900000, 0x3000000 },      /* module 0 to module 1's page */
    { 0x3001000, 0x5000000 },     /* to the reserved range's first page */
    { 0x5002000, 0x10000000 },    /* to 256 MiB */
    { 0x10000000, 0x12000000 },   /* the overlapping entry's new part, to the ACPI tables */
    { 0x12010000, 0x12c00000 },   /* up to 300 MiB */
    { 0x20001000, 0x21000000 },   /* the unaligned entry rounded inwards */
    { 0x100000000, 0x100100000 }, /* above 4 GiB, up to the bad page */
    { 0x100101000, 0x140000000 },
};

static void test_pc_memory_map(void **state)
{
    (void)state;
    struct xencore_boot_info *info = pc_info();
    struct collected *c = walk(info, 0, 0);
    assert_pieces(c, pc_expected, sizeof(pc_expected) / sizeof(pc_expected[0]));
    free(c);
    free(info);
}

/* The order of the map does not matter: reversed, the same frames come out. */
static void test_map_order_does_not_matter(void **state)
{
    (void)state;
    struct xencore_boot_info *info = pc_info();
    for (uint32_t i = 0, j = info->memmap_entries - 1; i < j; i++, j--) {
        struct xencore_mem_range t = info->memmap[i];
        info->memmap[i] = info->memmap[j];
        info->memmap[j] = t;
    }
    struct collected *c = walk(info, 0, 0);
    /* Reversed, the [200, 300) MiB entry comes first and is reported whole
     * (less the ACPI tables); the [1, 256) MiB entry then adds only what lies
     * below 200 MiB. Same frames, cut differently. */
    static const struct piece expected[] = {
        { 0x100000, 0x200000 },       { 0x300000, 0x800000 },     { 0x900000, 0x3000000 },
        { 0x3001000, 0x5000000 },     { 0x5002000, 0xc800000 },   { 0xc800000, 0x12000000 },
        { 0x12010000, 0x12c00000 },   { 0x20001000, 0x21000000 }, { 0x100000000, 0x100100000 },
        { 0x100101000, 0x140000000 },
    };
    assert_pieces(c, expected, sizeof(expected) / sizeof(expected[0]));
    free(c);
    free(info);
}

/* The caller's extra range (the frame table) is carved out too, rounded
 * outwards to whole pages. */
static void test_extra_exclusion(void **state)
{
    (void)state;
    struct xencore_boot_info *info = pc_info();
    struct collected *c = walk(info, 0x4000800, 0x4100001);
    static const struct piece expected[] = {
        { 0x100000, 0x200000 },       { 0x300000, 0x800000 },       { 0x900000, 0x3000000 },
        { 0x3001000, 0x4000000 },     { 0x4101000, 0x5000000 },     { 0x5002000, 0x10000000 },
        { 0x10000000, 0x12000000 },   { 0x12010000, 0x12c00000 },   { 0x20001000, 0x21000000 },
        { 0x100000000, 0x100100000 }, { 0x100101000, 0x140000000 },
    };
    assert_pieces(c, expected, sizeof(expected) / sizeof(expected[0]));
    free(c);
    free(info);
}

/* RAM crossing 1 MiB keeps only its part above; the image and a module that
 * cover a whole RAM entry leave nothing of it. */
static void test_low_memory_and_covered_entries(void **state)
{
    (void)state;
    struct xencore_boot_info *info = calloc(1, sizeof(*info));
    assert_non_null(info);
    add_range(info, 0x80000, 0x180000, XENCORE_MEM_RAM); /* [512 KiB, 2 MiB) */
    add_range(info, 16 * MiB, 1 * MiB, XENCORE_MEM_RAM); /* all image */
    add_range(info, 32 * MiB, 0x800, XENCORE_MEM_RAM);   /* under a module */
    add_range(info, 64 * MiB, 1 * MiB, XENCORE_MEM_RAM);
    add_range(info, 64 * MiB - 0x1000, 0x2000, XENCORE_MEM_RESERVED); /* first page of it */
    info->image_start = 15 * MiB;
    info->image_end = 18 * MiB;
    add_module(info, 32 * MiB, 0x100);
    struct collected *c = walk(info, 0, 0);
    static const struct piece expected[] = {
        { 0x100000, 0x200000 },
        { 64 * MiB + 0x1000, 65 * MiB },
    };
    assert_pieces(c, expected, sizeof(expected) / sizeof(expected[0]));
    free(c);
    free(info);
}

/* A page only partly inside one RAM entry but wholly inside the next is RAM:
 * the first entry must not withhold it from the second. */
static void test_partial_page_covered_by_later_entry(void **state)
{
    (void)state;
    struct xencore_boot_info *info = calloc(1, sizeof(*info));
    assert_non_null(info);
    add_range(info, 16 * MiB, 16 * MiB + 0x800, XENCORE_MEM_RAM); /* ends mid-page */
    add_range(info, 32 * MiB, 16 * MiB, XENCORE_MEM_RAM);         /* covers that page */
    add_range(info, 64 * MiB + 0x800, 16 * MiB, XENCORE_MEM_RAM); /* starts mid-page */
    add_range(info, 63 * MiB, 1 * MiB + 0x1000, XENCORE_MEM_RAM); /* covers that page */
    info->image_start = 2 * MiB;
    info->image_end = 3 * MiB;
    struct collected *c = walk(info, 0, 0);
    static const struct piece expected[] = {
        { 16 * MiB, 32 * MiB },          /* the first entry, rounded inwards */
        { 32 * MiB, 48 * MiB },          /* the second, its first page included */
        { 63 * MiB, 64 * MiB + 0x1000 }, /* the fourth, the third's partial page included */
        { 64 * MiB + 0x1000, 80 * MiB }, /* the third */
    };
    assert_pieces(c, expected, sizeof(expected) / sizeof(expected[0]));
    free(c);
    free(info);
}

/* No RAM (or only RAM that is taken) means no callback at all. */
static void test_nothing_free(void **state)
{
    (void)state;
    struct xencore_boot_info *info = calloc(1, sizeof(*info));
    assert_non_null(info);
    add_range(info, 0, 640 * 1024, XENCORE_MEM_RAM);
    add_range(info, 1 * MiB, 15 * MiB, XENCORE_MEM_RESERVED);
    add_range(info, 16 * MiB, 4 * MiB, XENCORE_MEM_RAM);
    info->image_start = 16 * MiB;
    info->image_end = 20 * MiB;
    struct collected *c = walk(info, 0, 0);
    assert_int_equal(c->count, 0);
    free(c);
    free(info);
}

/* A memory map at the limit of entries, every RAM entry overlapping the
 * previous one: each frame still comes out exactly once. */
static void test_many_overlapping_entries(void **state)
{
    (void)state;
    struct xencore_boot_info *info = calloc(1, sizeof(*info));
    assert_non_null(info);
    for (unsigned int i = 0; i < XENCORE_BOOT_MEMMAP_MAX; i++)
        add_range(info, 16 * MiB + i * MiB, 2 * MiB + 0x123, XENCORE_MEM_RAM);
    for (unsigned int i = 0; i < XENCORE_BOOT_MODULES_MAX; i++)
        add_module(info, 16 * MiB + i * 4 * MiB + 0x10000, 0x1000);
    info->image_start = 4 * MiB;
    info->image_end = 5 * MiB;
    struct collected *c = walk(info, 0, 0);
    uint64_t bytes = 0;
    for (unsigned int i = 0; i < c->count; i++)
        bytes += c->pieces[i].end - c->pieces[i].start;
    /* [16 MiB, 145 MiB) less one page per module; walk() checked no overlap. */
    assert_int_equal(bytes, 129 * MiB - XENCORE_BOOT_MODULES_MAX * 0x1000);
    assert_int_equal(c->pieces[0].start, 16 * MiB);
    assert_int_equal(c->pieces[c->count - 1].end, 145 * MiB);
    free(c);
    free(info);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pc_memory_map),
        cmocka_unit_test(test_map_order_does_not_matter),
        cmocka_unit_test(test_extra_exclusion),
        cmocka_unit_test(test_low_memory_and_covered_entries),
        cmocka_unit_test(test_partial_page_covered_by_later_entry),
        cmocka_unit_test(test_nothing_free),
        cmocka_unit_test(test_many_overlapping_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
