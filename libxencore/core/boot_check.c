/* Boot information is input from outside (a loader, firmware) and is checked
 * like any other hostile input: every count bounded, every range free of
 * wrap-around, modules clear of the image and of each other. The first
 * problem found is reported as a sentence a person can act on. */
#include "core/boot_check.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/errno.h"
#include "lib/string.h"

static bool wraps(uint64_t base, uint64_t length)
{
    return length && base + length - 1 < base;
}

/* Compares last bytes, not ends: a range may end exactly at 2^64 (wraps()
 * allows it), where base + length is 0. Callers rule out wrapping first. */
static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
    return a_len && b_len && a <= b + (b_len - 1) && b <= a + (a_len - 1);
}

int boot_info_check(const struct xencore_boot_info *info, char *message, size_t size)
{
    if (info->loader_error[0])
        return xc_refuse(message, size, "boot loader information unusable: %.127s",
                    info->loader_error);
    if (info->memmap_entries == 0)
        return xc_refuse(message, size, "the boot loader gave no memory map");
    if (info->memmap_entries > XENCORE_BOOT_MEMMAP_MAX)
        return xc_refuse(message, size, "the memory map has %u entries, more than the %u supported",
                    info->memmap_entries, XENCORE_BOOT_MEMMAP_MAX);
    if (info->module_count > XENCORE_BOOT_MODULES_MAX)
        return xc_refuse(message, size, "%u boot modules given, more than the %u supported",
                    info->module_count, XENCORE_BOOT_MODULES_MAX);

    uint64_t ram = 0;
    for (uint32_t i = 0; i < info->memmap_entries; i++) {
        const struct xencore_mem_range *r = &info->memmap[i];
        if (wraps(r->base, r->length))
            return xc_refuse(message, size, "memory map entry %u (base 0x%llx length 0x%llx) wraps around",
                        i, (unsigned long long)r->base, (unsigned long long)r->length);
        if (r->type == XENCORE_MEM_RAM)
            ram += r->length;
    }
    if (ram == 0)
        return xc_refuse(message, size, "the memory map lists no usable RAM");

    uint64_t image_len = info->image_end - info->image_start;
    if (info->image_end <= info->image_start || (info->image_start & 0xfff))
        return xc_refuse(message, size, "the image bounds [0x%llx, 0x%llx) are not a page-aligned range",
                    (unsigned long long)info->image_start, (unsigned long long)info->image_end);

    for (uint32_t i = 0; i < info->module_count; i++) {
        const struct xencore_boot_module *m = &info->modules[i];
        if (wraps(m->base, m->length))
            return xc_refuse(message, size, "module %u wraps around the address space", i);
        if (strnlen(m->cmdline, sizeof(m->cmdline)) == sizeof(m->cmdline))
            return xc_refuse(message, size, "module %u's command line is not terminated", i);
        if (overlaps(m->base, m->length, info->image_start, image_len))
            return xc_refuse(message, size,
                        "module %u ('%s') at [0x%llx, 0x%llx) overlaps the hypervisor image at "
                        "[0x%llx, 0x%llx)",
                        i, m->cmdline, (unsigned long long)m->base,
                        (unsigned long long)(m->base + m->length),
                        (unsigned long long)info->image_start,
                        (unsigned long long)info->image_end);
        for (uint32_t j = 0; j < i; j++)
            if (overlaps(m->base, m->length, info->modules[j].base, info->modules[j].length))
                return xc_refuse(message, size, "modules %u and %u overlap", j, i);
    }
    if (strnlen(info->cmdline, sizeof(info->cmdline)) == sizeof(info->cmdline))
        return xc_refuse(message, size, "the command line is not terminated");
    if (info->acpi_rsdp_length > sizeof(info->acpi_rsdp))
        return xc_refuse(message, size, "the ACPI RSDP copy claims %u bytes, more than %zu",
                    info->acpi_rsdp_length, sizeof(info->acpi_rsdp));
    return 0;
}
