/* The hypervisor's page tables.
 *
 * Built once on the boot CPU while still on the stub's identity map, then
 * shared by every CPU. Two regions (see x86/layout.h): the image, mapped page
 * by page with its sections' rights (text RX, rodata R, data RW; never W and X
 * together), and the direct map, which maps RAM read-write and no-execute with
 * the largest pages that fit, minus the image itself, so no page of code is
 * ever writable through another address. Firmware tables and MMIO are added
 * later, on demand, one 4 KiB page at a time. */
#include "x86/paging.h"

#include "arch/arch.h"
#include "lib/panic.h"
#include "mm/mm.h"
#include "x86/insn.h"
#include "x86/layout.h"
#include "x86/regs.h"
#include "x86/traps.h"

#define LEVELS 4
#define ENTRIES_PER_TABLE 512

static uint64_t root_phys;
static uint64_t directmap_offset; /* 0 while on the stub's identity map */
static uint64_t nx_bit;
static bool has_1g_pages;

void *arch_phys_to_virt(uint64_t phys)
{
    return (void *)(uintptr_t)(phys + directmap_offset);
}

uint64_t x86_paging_root(void)
{
    return root_phys;
}

static unsigned int table_index(uint64_t va, unsigned int level)
{
    return (unsigned int)(va >> (12 + 9 * (level - 1))) & (ENTRIES_PER_TABLE - 1);
}

/* Maps one page of the given level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). Where
 * something is already mapped the mapping is left as it is and 0 returned if
 * @keep_existing, else the boot panics: the layout is ours and must not clash. */
static void map_page(uint64_t va, uint64_t pa, unsigned int level, uint64_t flags,
                     bool keep_existing)
{
    uint64_t *table = arch_phys_to_virt(root_phys);
    for (unsigned int l = LEVELS; l > level; l--) {
        uint64_t *entry = &table[table_index(va, l)];
        if (!(*entry & PTE_PRESENT))
            *entry = mm_alloc_boot_pages(0) | PTE_PRESENT | PTE_WRITE;
        else if (*entry & PTE_LARGE) {
            if (keep_existing)
                return;
            panic("paging: 0x%llx is already inside a large page", (unsigned long long)va);
        }
        table = arch_phys_to_virt(*entry & PTE_ADDR_MASK);
    }
    uint64_t *leaf = &table[table_index(va, level)];
    if (*leaf & PTE_PRESENT) {
        if (keep_existing)
            return;
        panic("paging: 0x%llx is mapped twice", (unsigned long long)va);
    }
    *leaf = pa | flags | PTE_PRESENT | (level > 1 ? PTE_LARGE : 0);
}

static bool fits(uint64_t va, uint64_t pa, uint64_t left, uint64_t size)
{
    return !(va & (size - 1)) && !(pa & (size - 1)) && left >= size;
}

/* Maps [pa, pa + length) at va with the largest pages alignment allows. */
static void map_range(uint64_t va, uint64_t pa, uint64_t length, uint64_t flags,
                      bool allow_large, bool keep_existing)
{
    while (length) {
        uint64_t size = PAGE_SIZE_4K;
        unsigned int level = 1;
        if (allow_large && has_1g_pages && fits(va, pa, length, PAGE_SIZE_1G)) {
            size = PAGE_SIZE_1G;
            level = 3;
        } else if (allow_large && fits(va, pa, length, PAGE_SIZE_2M)) {
            size = PAGE_SIZE_2M;
            level = 2;
        }
        map_page(va, pa, level, flags, keep_existing);
        va += size;
        pa += size;
        length -= size;
    }
}

static void map_image_part(const char *start, const char *end, uint64_t flags)
{
    map_range((uint64_t)(uintptr_t)start, image_virt_to_phys(start),
              (uint64_t)(end - start), flags | PTE_GLOBAL, false, false);
}

static void map_ram(uint64_t start, uint64_t end)
{
    if (start < end)
        map_range(DIRECTMAP_BASE + start, start, end - start,
                  PTE_WRITE | PTE_GLOBAL | nx_bit, true, true);
}

void arch_paging_init(const struct xencore_boot_info *info)
{
    nx_bit = x86_has_nx() ? PTE_NX : 0;
    has_1g_pages = cpuid(0x80000000).eax >= 0x80000001 &&
                   (cpuid(0x80000001).edx & CPUID_EXT1_EDX_PAGE1GB);
    root_phys = mm_alloc_boot_pages(0);

    map_image_part(__xencore_text_start, __xencore_text_end, 0);
    map_image_part(__xencore_text_end, __xencore_rodata_end, nx_bit);
    map_image_part(__xencore_rodata_end, __xencore_image_end, PTE_WRITE | nx_bit);

    uint64_t image_start = info->image_start & ~(PAGE_SIZE_4K - 1);
    uint64_t image_end = (info->image_end + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    for (uint32_t i = 0; i < info->memmap_entries; i++) {
        const struct xencore_mem_range *r = &info->memmap[i];
        if (r->type != XENCORE_MEM_RAM)
            continue;
        uint64_t start = (r->base + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
        uint64_t end = (r->base + r->length) & ~(PAGE_SIZE_4K - 1);
        if (end > DIRECTMAP_BYTES)
            end = DIRECTMAP_BYTES;
        /* Overlapping RAM entries would map a page twice: keep the first. */
        for (uint32_t j = 0; j < i; j++) {
            const struct xencore_mem_range *o = &info->memmap[j];
            if (o->type == XENCORE_MEM_RAM && o->base <= start && start < o->base + o->length)
                start = (o->base + o->length + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
        }
        map_ram(start, end < image_start ? end : image_start);
        map_ram(start > image_end ? start : image_end, end);
    }

    write_cr3(root_phys);
    directmap_offset = DIRECTMAP_BASE;
}

void *x86_map_firmware(uint64_t phys, uint64_t length)
{
    uint64_t start = phys & ~(PAGE_SIZE_4K - 1);
    uint64_t end = (phys + length + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    if (end > start)
        map_range(DIRECTMAP_BASE + start, start, end - start, PTE_GLOBAL | nx_bit, false, true);
    return arch_phys_to_virt(phys);
}

void *x86_map_mmio(uint64_t phys, uint64_t length)
{
    uint64_t start = phys & ~(PAGE_SIZE_4K - 1);
    uint64_t end = (phys + length + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    map_range(DIRECTMAP_BASE + start, start, end - start,
              PTE_WRITE | PTE_PCD | PTE_PWT | PTE_GLOBAL | nx_bit, false, true);
    return arch_phys_to_virt(phys);
}
