/* From the boot memory map to a working frame allocator.
 *
 * The map is hostile input: entries may overlap, be unaligned, or mark RAM
 * that also appears as reserved. We take RAM conservatively: rounded inwards
 * to whole pages, minus every non-RAM entry, the first MiB, the image, the
 * modules and the frame table. Memory above 4 GiB joins only after the
 * hypervisor's own page tables map it. */
#include "mm/mm.h"

#include "arch/arch.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/frame_alloc.h"

#define PAGE_MASK (ARCH_PAGE_SIZE - 1)
#define MAX_EXCLUSIONS (XENCORE_BOOT_MEMMAP_MAX + XENCORE_BOOT_MODULES_MAX + 3)

struct range {
    uint64_t start, end;
};

static void carve(uint64_t start, uint64_t end, const struct range *excl, size_t n, mm_range_fn fn,
                  void *context)
{
    for (size_t i = 0; i < n; i++) {
        if (excl[i].end <= start || excl[i].start >= end)
            continue;
        /* Exclusions before i missed [start, end), so they miss both pieces. */
        if (excl[i].start > start)
            carve(start, excl[i].start, excl + i + 1, n - i - 1, fn, context);
        if (excl[i].end < end)
            carve(excl[i].end, end, excl + i + 1, n - i - 1, fn, context);
        return;
    }
    if (start < end)
        fn(start, end, context);
}

static void add_exclusion(struct range *excl, size_t *n, uint64_t base, uint64_t length)
{
    if (length == 0)
        return;
    uint64_t end = base + length < base ? UINT64_MAX : base + length;
    excl[(*n)++] = (struct range){ base & ~PAGE_MASK,
                                   end > UINT64_MAX - PAGE_MASK ? UINT64_MAX
                                                                : (end + PAGE_MASK) & ~PAGE_MASK };
}

void mm_for_each_free_range(const struct xencore_boot_info *info, uint64_t extra_start,
                            uint64_t extra_end, mm_range_fn fn, void *context)
{
    struct range excl[MAX_EXCLUSIONS];
    size_t n = 0;

    add_exclusion(excl, &n, 0, MM_LOW_MEMORY_END);
    add_exclusion(excl, &n, info->image_start, info->image_end - info->image_start);
    add_exclusion(excl, &n, extra_start, extra_end - extra_start);
    for (uint32_t i = 0; i < info->module_count && i < XENCORE_BOOT_MODULES_MAX; i++)
        add_exclusion(excl, &n, info->modules[i].base, info->modules[i].length);
    for (uint32_t i = 0; i < info->memmap_entries && i < XENCORE_BOOT_MEMMAP_MAX; i++)
        if (info->memmap[i].type != XENCORE_MEM_RAM)
            add_exclusion(excl, &n, info->memmap[i].base, info->memmap[i].length);

    for (uint32_t i = 0; i < info->memmap_entries && i < XENCORE_BOOT_MEMMAP_MAX; i++) {
        const struct xencore_mem_range *r = &info->memmap[i];
        if (r->type != XENCORE_MEM_RAM || r->length == 0)
            continue;
        uint64_t start = (r->base + PAGE_MASK) & ~PAGE_MASK;
        uint64_t end = (r->base + r->length) & ~PAGE_MASK;
        if (start < r->base) /* rounding wrapped */
            continue;
        if (start >= end)
            continue;
        carve(start, end, excl, n, fn, context);
        /* Later RAM entries must not hand out these frames again. Only the
         * whole pages [start, end) were offered: a partial page at either
         * edge stays available to a later entry that covers all of it. */
        if (n < MAX_EXCLUSIONS)
            add_exclusion(excl, &n, start, end - start);
    }
}

struct table_search {
    uint64_t bytes;
    uint64_t found;
};

static void find_table_space(uint64_t start, uint64_t end, void *context)
{
    struct table_search *s = context;
    if (!s->found && end <= MM_EARLY_LIMIT && end - start >= s->bytes)
        s->found = start;
}

struct span {
    uint64_t lowest, highest;
};

static void measure(uint64_t start, uint64_t end, void *context)
{
    struct span *s = context;
    if (start < s->lowest)
        s->lowest = start;
    if (end > s->highest)
        s->highest = end;
}

struct add_context {
    bool high; /* add the part at or above MM_EARLY_LIMIT instead of below it */
    uint64_t added;
};

static void add_frames(uint64_t start, uint64_t end, void *context)
{
    struct add_context *c = context;
    if (c->high)
        start = start > MM_EARLY_LIMIT ? start : MM_EARLY_LIMIT;
    else
        end = end < MM_EARLY_LIMIT ? end : MM_EARLY_LIMIT;
    if (start >= end)
        return;
    int rc = frame_alloc_add_range(&host_frames, start >> ARCH_PAGE_SHIFT,
                                   (end - start) >> ARCH_PAGE_SHIFT);
    if (rc)
        panic("cannot add RAM [0x%llx, 0x%llx) to the frame allocator (%d)",
              (unsigned long long)start, (unsigned long long)end, rc);
    c->added += end - start;
}

static uint64_t table_start, table_end;

void mm_init(const struct xencore_boot_info *info)
{
    struct span span = { UINT64_MAX, 0 };
    mm_for_each_free_range(info, 0, 0, measure, &span);
    if (span.highest == 0)
        panic("no usable RAM above 1 MiB outside the image and the modules");

    uint64_t base_pfn = span.lowest >> ARCH_PAGE_SHIFT;
    uint64_t nr_pfns = (span.highest >> ARCH_PAGE_SHIFT) - base_pfn;
    struct table_search search = {
        (frame_alloc_table_bytes(nr_pfns) + PAGE_MASK) & ~PAGE_MASK, 0
    };
    mm_for_each_free_range(info, 0, 0, find_table_space, &search);
    if (!search.found)
        panic("no room below 4 GiB for the frame table (%llu KiB)",
              (unsigned long long)(search.bytes >> 10));
    table_start = search.found;
    table_end = search.found + search.bytes;

    if (frame_alloc_init(&host_frames, arch_phys_to_virt(table_start), search.bytes, base_pfn,
                         nr_pfns))
        panic("frame allocator set-up failed");
    struct add_context add = { false, 0 };
    mm_for_each_free_range(info, table_start, table_end, add_frames, &add);
    printk("xencore: memory: %llu MiB free below 4 GiB, frame table %llu KiB at 0x%llx\n",
           (unsigned long long)(add.added >> 20), (unsigned long long)(search.bytes >> 10),
           (unsigned long long)table_start);
}

void mm_enter_own_page_tables(const struct xencore_boot_info *info)
{
    frame_alloc_move_table(&host_frames, arch_phys_to_virt(table_start));
    struct add_context add = { true, 0 };
    mm_for_each_free_range(info, table_start, table_end, add_frames, &add);
    if (add.added)
        printk("xencore: memory: %llu MiB free above 4 GiB\n",
               (unsigned long long)(add.added >> 20));
}

uint64_t mm_alloc_boot_pages(unsigned int order)
{
    pfn_t pfn;
    if (frame_alloc(&host_frames, order, &pfn))
        panic("out of memory allocating %lu KiB at boot",
              (unsigned long)((ARCH_PAGE_SIZE << order) >> 10));
    uint64_t phys = pfn << ARCH_PAGE_SHIFT;
    memset(arch_phys_to_virt(phys), 0, ARCH_PAGE_SIZE << order);
    return phys;
}

uint64_t mm_alloc_pages(unsigned int order)
{
    pfn_t pfn;
    if (frame_alloc(&host_frames, order, &pfn))
        return 0;
    uint64_t phys = pfn << ARCH_PAGE_SHIFT;
    memset(arch_phys_to_virt(phys), 0, ARCH_PAGE_SIZE << order);
    return phys;
}

void mm_free_pages(uint64_t phys, unsigned int order)
{
    int rc = frame_free(&host_frames, phys >> ARCH_PAGE_SHIFT, order);
    BUG_ON(rc != 0);
}
