/* The PVH domain builder: an ELF kernel in, a domain ready to start out.
 *
 * The image is input from outside (a boot module, later the management
 * channel): every header field is range-checked before it is used, sizes are
 * added only where they cannot wrap, and a segment that would land outside
 * the guest's RAM is refused by name rather than clipped. The start-of-day
 * structures (hvm_start_info version 1, one RAM entry from 0, the command
 * line) go in the first page after the kernel. */
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

    /* hvm_start_info, then the memory map, then the command line. */
    size_t cmdline_len = cmdline ? strlen(cmdline) + 1 : 0;
    uint64_t info_gpa = (img.load_end + ARCH_PAGE_SIZE - 1) & ~(ARCH_PAGE_SIZE - 1);
    uint64_t memmap_gpa = info_gpa + sizeof(struct hvm_start_info);
    uint64_t cmdline_gpa = memmap_gpa + sizeof(struct hvm_memmap_table_entry);
    if (cmdline_gpa + cmdline_len > ram_bytes || info_gpa > UINT32_MAX) {
        printk("xencore: domain %s: no room after the kernel for its start-of-day information\n",
               d->name);
        return -XC_EINVAL;
    }
    struct hvm_memmap_table_entry ram = {
        .addr = 0, .size = ram_bytes, .type = HVM_MEMMAP_TYPE_RAM, .reserved = 0
    };
    struct hvm_start_info info = {
        .magic = HVM_START_MAGIC,
        .version = 1,
        .flags = 0,
        .nr_modules = 0,
        .modlist_paddr = 0,
        .cmdline_paddr = cmdline_len ? cmdline_gpa : 0,
        .rsdp_paddr = 0,
        .memmap_paddr = memmap_gpa,
        .memmap_entries = 1,
    };
    rc = p2m_copy_to_gpa(d, info_gpa, &info, sizeof(info));
    if (!rc)
        rc = p2m_copy_to_gpa(d, memmap_gpa, &ram, sizeof(ram));
    if (!rc && cmdline_len)
        rc = p2m_copy_to_gpa(d, cmdline_gpa, cmdline, cmdline_len);
    if (rc)
        return rc;
    arch_vcpu_set_pvh_entry(d->vcpus[0], img.entry, (uint32_t)info_gpa);
    return 0;
}
