/**
 * @file boot_info.h
 * @brief What a boot stub hands to xencore_start().
 *
 * The boot stub (multiboot2, UEFI, coreboot, ...) translates its loader's
 * information into this plain structure and nothing else crosses the
 * boundary. Everything is copied in: after xencore_start() is called the
 * loader's own data structures may be overwritten. All addresses are
 * physical. The hypervisor treats the contents as untrusted: it checks every
 * field and panics with a message naming the problem when the data cannot be
 * used (no memory map, no ACPI tables, a module overlapping the image).
 */
#ifndef XENCORE_BOOT_INFO_H
#define XENCORE_BOOT_INFO_H

#include <stdint.h>

#include <xencore/config.h>

/** @brief Kinds of memory-map ranges, numbered as in the ACPI/E820 map. */
enum xencore_mem_type {
    XENCORE_MEM_RAM = 1,          /**< Usable RAM. */
    XENCORE_MEM_RESERVED = 2,     /**< Reserved by the platform; never touched. */
    XENCORE_MEM_ACPI_RECLAIM = 3, /**< ACPI tables; reclaimable after parsing. */
    XENCORE_MEM_ACPI_NVS = 4,     /**< ACPI non-volatile storage. */
    XENCORE_MEM_BAD = 5,          /**< Defective RAM. */
};

/** @brief One range of the physical memory map. */
struct xencore_mem_range {
    uint64_t base;   /**< First byte of the range. */
    uint64_t length; /**< Length in bytes; ranges of length 0 are ignored. */
    uint32_t type;   /**< One of ::xencore_mem_type; other values count as reserved. */
    uint32_t reserved; /**< Zero. */
};

/** @brief One module loaded next to the image (a guest kernel, a manifest). */
struct xencore_boot_module {
    uint64_t base;   /**< Physical address of the first byte. */
    uint64_t length; /**< Length in bytes. */
    char cmdline[XENCORE_MODULE_CMDLINE_MAX]; /**< The module's string, NUL-terminated. */
};

/** @brief Everything the hypervisor learns from the boot loader. */
struct xencore_boot_info {
    /** Name of the loader, for the log ("GRUB 2.06"), NUL-terminated; may be empty. */
    char loader_name[64];
    /** Hypervisor command line, NUL-terminated; may be empty. */
    char cmdline[XENCORE_CMDLINE_MAX];

    /** Number of valid entries in @ref memmap; 0 means the loader gave none. */
    uint32_t memmap_entries;
    /** The physical memory map, in the loader's order (need not be sorted). */
    struct xencore_mem_range memmap[XENCORE_BOOT_MEMMAP_MAX];

    /** Number of valid entries in @ref modules. */
    uint32_t module_count;
    /** Boot modules in the order the loader gave them. */
    struct xencore_boot_module modules[XENCORE_BOOT_MODULES_MAX];

    /** Length of the RSDP copy in @ref acpi_rsdp (20 for ACPI 1.0, 36 for 2.0+); 0 if none. */
    uint32_t acpi_rsdp_length;
    /** A copy of the ACPI Root System Description Pointer. */
    uint8_t acpi_rsdp[36];

    /**
     * What the boot stub could not understand in the loader's data, as a
     * sentence, NUL-terminated; empty when all was well. The hypervisor panics
     * with this message rather than run on half-parsed information.
     */
    char loader_error[128];

    /** Physical address of the first byte of the loaded hypervisor image. */
    uint64_t image_start;
    /** Physical address one past the last byte of the image (its .bss included). */
    uint64_t image_end;
};

#endif /* XENCORE_BOOT_INFO_H */
