/* The PVH domain builder: an ELF kernel in, a domain ready to start out.
 *
 * The image is input from outside (a boot module, later the management
 * channel): every header field is range-checked before it is used, sizes are
 * added only where they cannot wrap, and a segment that would land outside
 * the guest's RAM is refused by name rather than clipped.
 *
 * After the kernel, page-aligned, come the start-of-day structures
 * (hvm_start_info version 1, the memory map, the command line), then, from
 * the next page boundary, the firmware tables (ACPI on x86:
 * arch_guest_firmware_tables()) that hvm_start_info.rsdp_paddr points at.
 * The memory map says RAM from 0 up to the tables (so gfn 0 and the RAM
 * below 1 MiB are there, as Linux needs), ACPI for the tables' pages, and
 * RAM again from the page after them to the end, so the guest never takes
 * the tables for free memory. A guest too small for all that is refused. */
#include "core/pvh_build.h"

#include <xencore/abi/guest.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/errno.h"
#include "lib/le.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/p2m.h"

#define ELF_MAGIC "\177ELF"
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4
#define ELF_MAX_PHDRS 128
#define PVH_MAX_IMAGE_BYTES (512ULL << 20)
#define XEN_NOTE_NAME "Xen"

/* Offsets in the ELF header and program headers (System V ABI). */
#define EH_CLASS 4
#define EH_DATA 5
#define EH_TYPE 16
#define EH_MACHINE 18

/* The memory map: RAM below the firmware tables, the tables (ACPI), RAM above. */
#define PVH_MEMMAP_ENTRIES 3
/* Room kept for the firmware tables: one page holds them for the largest
 * domain (XENCORE_DOMAIN_MAX_VCPUS vCPUs), and one page is what
 * p2m_gpa_to_virt() can hand out in one piece. */
#define PVH_FIRMWARE_TABLE_BYTES ARCH_PAGE_SIZE

static uint64_t page_round_up(uint64_t gpa)
{
    return (gpa + ARCH_PAGE_SIZE - 1) & ~(uint64_t)(ARCH_PAGE_SIZE - 1);
}

struct phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

static void read_phdr(const uint8_t *p, bool is64, struct phdr *ph)
{
    if (is64) {
        ph->type = le32(p);
        ph->offset = le64(p + 8);
        ph->paddr = le64(p + 24);
        ph->filesz = le64(p + 32);
        ph->memsz = le64(p + 40);
    } else {
        ph->type = le32(p);
        ph->offset = le32(p + 4);
        ph->paddr = le32(p + 12);
        ph->filesz = le32(p + 16);
        ph->memsz = le32(p + 20);
    }
}

/* Looks for the PHYS32_ENTRY note in [note, note + size). */
static int find_entry_note(const uint8_t *note, uint64_t size, uint32_t *entry)
{
    uint64_t off = 0;
    while (size - off >= 12) {
        uint32_t namesz = le32(note + off), descsz = le32(note + off + 4);
        uint32_t type = le32(note + off + 8);
        uint64_t name_off = off + 12;
        uint64_t desc_off = name_off + (((uint64_t)namesz + 3) & ~3ULL);
        uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ULL);
        if (next > size)
            return -1;
        if (namesz == sizeof(XEN_NOTE_NAME) && !memcmp(note + name_off, XEN_NOTE_NAME, namesz) &&
            type == XEN_ELFNOTE_PHYS32_ENTRY) {
            if (descsz == 4)
                *entry = le32(note + desc_off);
            else if (descsz == 8 && le32(note + desc_off + 4) == 0)
                *entry = le32(note + desc_off);
            else
                return -1;
            return 0;
        }
        off = next;
    }
    return -1;
}

int pvh_image_check(const void *image, size_t size, uint64_t ram_bytes, struct pvh_image *out,
                    char *why, size_t why_size)
{
    const uint8_t *e = image;
    if (!image || size < 52 || memcmp(e, ELF_MAGIC, 4))
        return xc_refuse(why, why_size, "not an ELF image");
    if (size > PVH_MAX_IMAGE_BYTES)
        return xc_refuse(why, why_size, "image of %zu bytes is larger than the %llu MiB allowed", size,
                    PVH_MAX_IMAGE_BYTES >> 20);
    bool is64 = e[EH_CLASS] == ELFCLASS64;
    if ((!is64 && e[EH_CLASS] != ELFCLASS32) || e[EH_DATA] != ELFDATA2LSB)
        return xc_refuse(why, why_size, "not a little-endian ELF32 or ELF64 image");
    if (is64 && size < 64)
        return xc_refuse(why, why_size, "ELF64 header truncated");
    uint16_t machine = le16(e + EH_MACHINE);
    if (le16(e + EH_TYPE) != ET_EXEC || (machine != EM_386 && machine != EM_X86_64))
        return xc_refuse(why, why_size, "not an x86 executable (type %u, machine %u)",
                    le16(e + EH_TYPE), machine);

    uint64_t phoff = is64 ? le64(e + 32) : le32(e + 28);
    uint16_t phentsize = le16(e + (is64 ? 54 : 42));
    uint16_t phnum = le16(e + (is64 ? 56 : 44));
    if (phentsize != (is64 ? 56 : 32) || phnum == 0 || phnum > ELF_MAX_PHDRS ||
        phoff > size || (uint64_t)phentsize * phnum > size - phoff)
        return xc_refuse(why, why_size, "program headers (%u of %u bytes at %llu) do not fit the file",
                    phnum, phentsize, (unsigned long long)phoff);

    bool have_entry = false, have_load = false;
    uint32_t entry = 0;
    out->load_start = UINT64_MAX;
    out->load_end = 0;
    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr ph;
        read_phdr(e + phoff + (uint64_t)i * phentsize, is64, &ph);
        if (ph.type != PT_LOAD && ph.type != PT_NOTE)
            continue;
        if (ph.offset > size || ph.filesz > size - ph.offset)
            return xc_refuse(why, why_size, "segment %u lies outside the file", i);
        if (ph.type == PT_NOTE) {
            if (!have_entry && find_entry_note(e + ph.offset, ph.filesz, &entry) == 0)
                have_entry = true;
            continue;
        }
        if (ph.filesz > ph.memsz)
            return xc_refuse(why, why_size, "segment %u has more file bytes than memory bytes", i);
        if (ph.memsz == 0)
            continue;
        if (ph.paddr > ram_bytes || ph.memsz > ram_bytes - ph.paddr)
            return xc_refuse(why, why_size,
                        "segment %u at [0x%llx, 0x%llx) lies outside the guest's %llu KiB of RAM",
                        i, (unsigned long long)ph.paddr,
                        (unsigned long long)(ph.paddr + ph.memsz),
                        (unsigned long long)(ram_bytes >> 10));
        have_load = true;
        if (ph.paddr < out->load_start)
            out->load_start = ph.paddr;
        if (ph.paddr + ph.memsz > out->load_end)
            out->load_end = ph.paddr + ph.memsz;
    }
    if (!have_load)
        return xc_refuse(why, why_size, "no loadable segment");
    if (!have_entry)
        return xc_refuse(why, why_size, "no Xen PHYS32_ENTRY note: not a PVH kernel");
    /* Inside one segment, not merely between the lowest and highest: a gap
     * between segments is zeroed memory. The headers were checked above. */
    bool entry_loaded = false;
    for (unsigned int i = 0; i < phnum && !entry_loaded; i++) {
        struct phdr ph;
        read_phdr(e + phoff + (uint64_t)i * phentsize, is64, &ph);
        entry_loaded = ph.type == PT_LOAD && entry >= ph.paddr && entry - ph.paddr < ph.memsz;
    }
    if (!entry_loaded)
        return xc_refuse(why, why_size, "entry point 0x%x lies outside the loaded segments", entry);
    out->entry = entry;
    return 0;
}

static int load_segments(struct domain *d, const uint8_t *e, size_t size)
{
    bool is64 = e[EH_CLASS] == ELFCLASS64;
    uint64_t phoff = is64 ? le64(e + 32) : le32(e + 28);
    uint16_t phentsize = le16(e + (is64 ? 54 : 42));
    uint16_t phnum = le16(e + (is64 ? 56 : 44));
    for (unsigned int i = 0; i < phnum; i++) {
        struct phdr ph;
        read_phdr(e + phoff + (uint64_t)i * phentsize, is64, &ph);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        /* Guest RAM starts zeroed: only the file bytes need copying. */
        int rc = p2m_copy_to_gpa(d, ph.paddr, e + ph.offset, ph.filesz);
        if (rc)
            return rc;
    }
    (void)size;
    return 0;
}

int pvh_build(struct domain *d, const void *image, size_t size, const char *cmdline)
{
    char why[160];
    struct pvh_image img;
    uint64_t ram_bytes = d->max_gfn << ARCH_PAGE_SHIFT;
    if (pvh_image_check(image, size, ram_bytes, &img, why, sizeof(why))) {
        printk("xencore: domain %s: kernel refused: %s\n", d->name, why);
        return -XC_EINVAL;
    }
    int rc = load_segments(d, image, size);
    if (rc)
        return rc;

    /* hvm_start_info, then the memory map, then the command line; the
     * firmware tables from the next page boundary, one page at most. */
    size_t cmdline_len = cmdline ? strlen(cmdline) + 1 : 0;
    uint64_t info_gpa = page_round_up(img.load_end);
    uint64_t memmap_gpa = info_gpa + sizeof(struct hvm_start_info);
    uint64_t cmdline_gpa = memmap_gpa + PVH_MEMMAP_ENTRIES * sizeof(struct hvm_memmap_table_entry);
    uint64_t tables_gpa = page_round_up(cmdline_gpa + cmdline_len);
    if (tables_gpa + PVH_FIRMWARE_TABLE_BYTES > ram_bytes || info_gpa > UINT32_MAX) {
        printk("xencore: domain %s: no room after the kernel for its start-of-day information "
               "and firmware tables\n",
               d->name);
        return -XC_EINVAL;
    }
    void *tables = p2m_gpa_to_virt(d, tables_gpa, PVH_FIRMWARE_TABLE_BYTES);
    uint64_t rsdp_gpa = 0;
    long used = tables ? arch_guest_firmware_tables(d->nr_vcpus, tables_gpa, tables,
                                                    PVH_FIRMWARE_TABLE_BYTES, &rsdp_gpa)
                       : -XC_EFAULT;
    if (used < 0) {
        printk("xencore: domain %s: cannot build its firmware tables (error %ld)\n", d->name, used);
        return -XC_EINVAL;
    }
    uint64_t tables_end = page_round_up(tables_gpa + (uint64_t)used);

    struct hvm_memmap_table_entry map[PVH_MEMMAP_ENTRIES] = {
        {.addr = 0, .size = tables_gpa, .type = HVM_MEMMAP_TYPE_RAM},
        {.addr = tables_gpa, .size = tables_end - tables_gpa, .type = HVM_MEMMAP_TYPE_ACPI},
        {.addr = tables_end, .size = ram_bytes - tables_end, .type = HVM_MEMMAP_TYPE_RAM},
    };
    /* No empty RAM entry when the tables end exactly where RAM does. */
    uint32_t map_entries = tables_end < ram_bytes ? PVH_MEMMAP_ENTRIES : PVH_MEMMAP_ENTRIES - 1;
    struct hvm_start_info info = {
        .magic = HVM_START_MAGIC,
        .version = 1,
        .flags = 0,
        .nr_modules = 0,
        .modlist_paddr = 0,
        .cmdline_paddr = cmdline_len ? cmdline_gpa : 0,
        .rsdp_paddr = rsdp_gpa,
        .memmap_paddr = memmap_gpa,
        .memmap_entries = map_entries,
    };
    rc = p2m_copy_to_gpa(d, info_gpa, &info, sizeof(info));
    if (!rc)
        rc = p2m_copy_to_gpa(d, memmap_gpa, map, map_entries * sizeof(map[0]));
    if (!rc && cmdline_len)
        rc = p2m_copy_to_gpa(d, cmdline_gpa, cmdline, cmdline_len);
    if (rc)
        return rc;
    arch_vcpu_set_pvh_entry(d->vcpus[0], img.entry, (uint32_t)info_gpa);
    return 0;
}
