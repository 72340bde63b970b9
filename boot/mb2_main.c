/* The reference boot stub's C part: multiboot2 information in, a call to
 * xencore_start() out. An OEM's UEFI or coreboot stub replaces this file and
 * mb2_entry.S, and nothing else. */
#include <stdint.h>
#include <xencore/libc.h>
#include <xencore/xencore.h>

#include "multiboot2.h"

/* From the installed linker script: first byte of the image, and the
 * physical address one past its last. */
extern char __xencore_image_start[], __xencore_image_end_phys[];

/* The image's board description (see board.h). */
extern const struct xencore_board xencore_board;

#define IDENTITY_MAP_END 0x100000000ULL /* the stub maps the low 4 GiB */

static struct xencore_boot_info boot_info;

_Noreturn void mb2_main(uint32_t magic, uint32_t mbi_phys);

_Noreturn void mb2_main(uint32_t magic, uint32_t mbi_phys)
{
    if (magic != MB2_BOOTLOADER_MAGIC) {
        snprintf(boot_info.loader_error, sizeof(boot_info.loader_error),
                 "not started by a multiboot2 loader (magic 0x%x)", magic);
    } else {
        uint64_t room = IDENTITY_MAP_END - mbi_phys;
        mb2_parse((const void *)(uintptr_t)mbi_phys,
                  room < MB2_INFO_MAX_BYTES ? (size_t)room : MB2_INFO_MAX_BYTES, &boot_info);
    }
    boot_info.image_start = (uint64_t)(uintptr_t)__xencore_image_start;
    boot_info.image_end = (uint64_t)(uintptr_t)__xencore_image_end_phys;
    xencore_start(&boot_info, &xencore_board);
}
