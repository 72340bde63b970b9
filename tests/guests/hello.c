/* hello: the smallest useful guest. Says hello with the name from its
 * command line (name=NAME, else "guest"), echoes the command line, and
 * checks what the PVH boot ABI promised: the start_info magic and version,
 * a memory map with RAM below 1 MiB that covers the domain's memory
 * (expect_mib=N on the command line says how much that is), the command
 * line, zeroed .bss, and that the last page of RAM is usable. Multi-domain
 * images run it several times under different names. */
#include "runtime/runtime.h"

const char guest_name[] = "hello";

#define MIB (1024ull * 1024ull)
#define PAGE_SIZE 4096ull
#define LOW_MEMORY_END MIB
/* The hypervisor may keep a few pages of the domain's memory for itself
 * (start_info, console ring): the RAM in the map may be this much short. */
#define RAM_SLACK MIB

/* Filled by nobody: the loader must have zeroed it (PT_LOAD memsz > filesz). */
static uint8_t untouched_bss[4096];
extern char __image_start[], __image_end[];

static void check_memory_map(const struct hvm_start_info *si, uint64_t expect_bytes)
{
    const struct hvm_memmap_table_entry *map =
        (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
    check(si->memmap_paddr != 0 && si->memmap_entries > 0, "start_info has a memory map");
    if (si->memmap_paddr == 0) {
        return;
    }
    uint64_t ram_total = 0, ram_end = 0;
    bool low_ram = false, image_in_ram = false;
    uint64_t image_start = (uint64_t)(uintptr_t)__image_start;
    uint64_t image_end = (uint64_t)(uintptr_t)__image_end;
    for (uint32_t i = 0; i < si->memmap_entries; i++) {
        printf("guest: memmap %u: 0x%lx-0x%lx type %u\n", i, (unsigned long)map[i].addr,
               (unsigned long)(map[i].addr + map[i].size), map[i].type);
        if (map[i].type != HVM_MEMMAP_TYPE_RAM) {
            continue;
        }
        ram_total += map[i].size;
        if (map[i].addr + map[i].size > ram_end) {
            ram_end = map[i].addr + map[i].size;
        }
        if (map[i].addr < LOW_MEMORY_END && map[i].size > 0) {
            low_ram = true;
        }
        if (map[i].addr <= image_start && map[i].addr + map[i].size >= image_end) {
            image_in_ram = true;
        }
    }
    check(low_ram, "memory map has RAM below 1 MiB");
    check(image_in_ram, "memory map has RAM where the kernel was loaded");
    if (expect_bytes != 0) {
        char what[96];
        snprintf(what, sizeof(what), "memory map RAM covers the domain's %lu MiB",
                 (unsigned long)(expect_bytes / MIB));
        bool ok = ram_total <= expect_bytes && ram_total + RAM_SLACK >= expect_bytes;
        if (!check(ok, what)) {
            printf("guest: RAM in the map: %lu KiB, domain: %lu KiB\n",
                   (unsigned long)(ram_total / 1024), (unsigned long)(expect_bytes / 1024));
        }
    }
    /* The last RAM page is really there: write and read it back. */
    if (ram_end >= 2 * PAGE_SIZE && ram_end <= 4 * 1024 * MIB) {
        volatile uint64_t *last = (volatile uint64_t *)(uintptr_t)(ram_end - PAGE_SIZE);
        *last = 0x5a5aa5a5c3c3e1e1ull;
        check_eq_hex("last page of RAM is writable", 0x5a5aa5a5c3c3e1e1ull, *last);
    }
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    char name[64] = "guest";
    cmdline_get("name", name, sizeof(name));
    printf("hello from %s\n", name);
    printf("guest: cmdline '%s'\n", cmdline);

    check_eq_hex("start_info magic", HVM_START_MAGIC, si->magic);
    check(si->version >= 1, "start_info version is at least 1");
    check(!(si->flags & HVM_START_FLAG_CONTROL_DOMAIN), "not flagged as the control domain");
    check(si->cmdline_paddr != 0 && cmdline[0] != '\0', "the command line arrived");

    bool zero = true;
    for (size_t i = 0; i < sizeof(untouched_bss); i++) {
        zero = zero && untouched_bss[i] == 0;
    }
    check(zero, ".bss was zeroed by the loader");

    char expect[24];
    uint64_t expect_mib = 0;
    if (cmdline_get("expect_mib", expect, sizeof(expect)) && !parse_u64(expect, &expect_mib)) {
        check(false, "expect_mib on the command line is a number");
    }
    check_memory_map(si, expect_mib * MIB);
    printf("guest: bye from %s\n", name);
}
