/* The hypervisor's virtual address space.
 *
 *   0xffff800000000000  direct map: physical address P at DIRECTMAP_BASE + P
 *                       (RAM read-write, firmware tables read-only, the local
 *                       APIC uncached; everything else unmapped)
 *   0xffffffff80000000  the image: physical address P at IMAGE_VIRT_OFFSET + P,
 *                       text RX, rodata R, data and bss RW (linker script)
 * The lower half is left to guests' use later and is unmapped here. The
 * values are shared with boot/xencore.ld, which must agree. */
#ifndef XENCORE_X86_LAYOUT_H
#define XENCORE_X86_LAYOUT_H

#define DIRECTMAP_BASE 0xffff800000000000ULL
#define DIRECTMAP_BYTES (1ULL << 46) /* 64 TiB of physical address space */
#define IMAGE_VIRT_OFFSET 0xffffffff80000000ULL

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Linker-script symbols (virtual addresses of the high part of the image). */
extern char __xencore_text_start[], __xencore_text_end[];
extern char __xencore_rodata_end[];
extern char __xencore_image_end[];

static inline uint64_t image_virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va - IMAGE_VIRT_OFFSET;
}
#endif

#endif /* XENCORE_X86_LAYOUT_H */
