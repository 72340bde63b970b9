/* Taking over physical memory at boot. */
#ifndef XENCORE_MM_MM_H
#define XENCORE_MM_MM_H

#include <stdint.h>

#include <xencore/boot_info.h>

/* Memory below this stays with the firmware and the CPU start-up code. */
#define MM_LOW_MEMORY_END 0x100000ULL
/* Only frames below this are reachable before the hypervisor's own page tables. */
#define MM_EARLY_LIMIT 0x100000000ULL

/* One piece of usable RAM, [start, end), page-aligned. */
typedef void (*mm_range_fn)(uint64_t start, uint64_t end, void *context);

/* Calls @fn for each page-aligned piece of RAM in @info's memory map that is not
 * reserved by another map entry, the first MiB, the image, a module, or
 * [extra_start, extra_end). Overlapping RAM entries are reported once. */
void mm_for_each_free_range(const struct xencore_boot_info *info, uint64_t extra_start,
                            uint64_t extra_end, mm_range_fn fn, void *context);

/* Builds the frame allocator from @info, with the RAM below MM_EARLY_LIMIT. */
void mm_init(const struct xencore_boot_info *info);
/* Once the hypervisor's own page tables are live: finds the frame table at its
 * new address and adds the RAM above MM_EARLY_LIMIT. */
void mm_enter_own_page_tables(const struct xencore_boot_info *info);

/* A zeroed frame for the hypervisor's own use (page tables, stacks); panics when
 * memory is exhausted at boot. Returns its physical address. */
uint64_t mm_alloc_boot_pages(unsigned int order);

/* Zeroed frames for hypervisor data after boot: returns the physical address,
 * or 0 when memory is exhausted (the caller reports -XC_ENOMEM). */
uint64_t mm_alloc_pages(unsigned int order);
void mm_free_pages(uint64_t phys, unsigned int order);

#endif /* XENCORE_MM_MM_H */
