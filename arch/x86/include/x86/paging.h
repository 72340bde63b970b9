/* The hypervisor's own page tables (4-level, 4 KiB / 2 MiB / 1 GiB pages). */
#ifndef XENCORE_X86_PAGING_H
#define XENCORE_X86_PAGING_H

#include <stdint.h>

#define PTE_PRESENT (1ULL << 0)
#define PTE_WRITE (1ULL << 1)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_LARGE (1ULL << 7) /* PS: a 2 MiB or 1 GiB leaf */
#define PTE_GLOBAL (1ULL << 8)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

#define PAGE_SIZE_4K 0x1000ULL
#define PAGE_SIZE_2M 0x200000ULL
#define PAGE_SIZE_1G 0x40000000ULL

/* Maps [phys, phys + length) read-only in the direct map, where nothing is yet;
 * returns the virtual address of @phys. For firmware tables. */
void *x86_map_firmware(uint64_t phys, uint64_t length);
/* Maps [phys, phys + length) uncached and writable in the direct map; for MMIO. */
void *x86_map_mmio(uint64_t phys, uint64_t length);
/* Physical address of the top-level table (for CR3). */
uint64_t x86_paging_root(void);

#endif /* XENCORE_X86_PAGING_H */
