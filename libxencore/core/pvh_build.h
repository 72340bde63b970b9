/* Loading a PVH kernel into a new domain. */
#ifndef XENCORE_CORE_PVH_BUILD_H
#define XENCORE_CORE_PVH_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct domain;

/* What a kernel image asks for, from its ELF headers alone. */
struct pvh_image {
    uint32_t entry;      /* PHYS32_ENTRY */
    uint64_t load_start; /* lowest byte a PT_LOAD segment covers */
    uint64_t load_end;   /* one past the highest */
};

/* Checks an ELF image against a guest of @ram_bytes: ELF32 or ELF64,
 * little-endian, x86; program headers inside the file; every PT_LOAD inside
 * the guest's RAM; a Xen PHYS32_ENTRY note whose entry lies in a loaded
 * segment. Returns 0, or -XC_EINVAL with a sentence in @why. Pure. */
int pvh_image_check(const void *image, size_t size, uint64_t ram_bytes, struct pvh_image *out,
                    char *why, size_t why_size);

/* Loads the image into @d's RAM (already populated), writes hvm_start_info,
 * the memory map and the command line after it, then the firmware tables
 * for @d's vCPUs from the next page (rsdp_paddr points there; the memory map
 * marks their page ACPI, type 3, and all other RAM as RAM), and sets vCPU
 * 0's entry state. Returns 0 or a negative errno (the console names the
 * problem; a guest with no room left after the kernel is -XC_EINVAL). */
int pvh_build(struct domain *d, const void *image, size_t size, const char *cmdline);

#endif /* XENCORE_CORE_PVH_BUILD_H */
