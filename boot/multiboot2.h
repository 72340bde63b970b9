/* Multiboot2 (GRUB 2) boot information: the layout facts the reference stub
 * needs, and its parser. Numbers are the specification's (version 2.0). */
#ifndef XENCORE_BOOT_MULTIBOOT2_H
#define XENCORE_BOOT_MULTIBOOT2_H

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MB2_ARCH_I386 0

/* Header tags (in the image). */
#define MB2_HEADER_TAG_END 0
#define MB2_HEADER_TAG_ENTRY_ADDRESS 3
#define MB2_HEADER_TAG_MODULE_ALIGN 6

/* Information tags (from the loader). */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

#define MB2_INFO_HEADER_BYTES 8
#define MB2_TAG_HEADER_BYTES 8
#define MB2_TAG_ALIGN 8
#define MB2_MODULE_STRING_OFFSET 16
#define MB2_MMAP_ENTRIES_OFFSET 16
#define MB2_MMAP_ENTRY_MIN_BYTES 24
#define MB2_INFO_MAX_BYTES (1U << 20) /* sanity bound on the whole structure */

#ifndef __ASSEMBLER__
#include <stddef.h>

#include <xencore/boot_info.h>

/* Translates the multiboot2 information at @mbi, of which at most @available
 * bytes may be read, into @out (which the caller zeroed). Returns 0, or -1
 * with out->loader_error naming the first problem: a size that runs past the
 * end, a missing end tag, an unterminated string, too many entries. */
int mb2_parse(const void *mbi, size_t available, struct xencore_boot_info *out);
#endif

#endif /* XENCORE_BOOT_MULTIBOOT2_H */
