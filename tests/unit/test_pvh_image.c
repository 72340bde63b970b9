/* Unit tests of the PVH kernel image check (pvh_image_check() in
 * libxencore/core/pvh_build.c).
 *
 * A kernel image arrives from the boot medium or the management channel, so
 * every ELF field is hostile input the builder uses to decide where to copy
 * bytes into guest RAM. The tests build ELF32 and ELF64 images in memory and
 * pin down what the builder relies on: a good image yields its entry point and
 * the span its PT_LOAD segments cover; each kind of malformed image (not ELF,
 * wrong byte order or machine, program headers or segments outside the file,
 * a segment outside the guest's RAM or wrapping the address space, a missing
 * or malformed Xen PHYS32_ENTRY note, an entry point nothing is loaded at)
 * is refused with a sentence naming the problem. The checker is always handed
 * an exactly sized heap copy, so AddressSanitizer catches a read past the end,
 * and every truncation of a good image must be refused cleanly.
 *
 * pvh_build() itself runs on a domain whose RAM comes from a real frame
 * allocator (fake_domain.h's arena): what the guest then finds is pinned
 * down through its start_info: the command line, the ACPI tables at
 * rsdp_paddr (their MADT lists the domain's vCPUs), and a memory map of RAM
 * from 0 to the tables, ACPI (type 3) over the tables' page, RAM after it,
 * covering every byte of the domain's RAM once; a guest with no room for all
 * that is refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "le_put.h"

#include <xencore/abi/guest.h>

#include "core/pvh_build.h"
#include "fake_domain.h"
#include "lib/errno.h"
#include "lib/le.h"
#include "mm/p2m.h"
#include "x86/acpi.h"

/* ---- Building ELF images ----------------------------------------------- */

#define EM_386 3
#define EM_X86_64 62
#define ET_EXEC 2
#define ET_DYN 3
#define PT_LOAD 1
#define PT_NOTE 4
#define PT_GNU_STACK 0x6474e551u
#define ELF_NOTE_GNU_BUILD_ID 3
#define XEN_ELFNOTE_ENTRY 1 /* the PV entry point: a Xen note that is not PHYS32_ENTRY */

#define RAM_BYTES (16ULL << 20)
#define IMAGE_MAX 4096

struct segment {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

struct elf_image {
    bool is64;
    uint16_t machine;
    uint8_t bytes[IMAGE_MAX];
    size_t size;
    struct segment seg[8];
    unsigned int nseg;
};

static size_t ehdr_size(const struct elf_image *img)
{
    return img->is64 ? 64 : 52;
}

static size_t phentsize(const struct elf_image *img)
{
    return img->is64 ? 56 : 32;
}

/* Offsets of the header fields the tests corrupt. */
static size_t off_phoff(const struct elf_image *img)
{
    return img->is64 ? 32 : 28;
}

static size_t off_phentsize(const struct elf_image *img)
{
    return img->is64 ? 54 : 42;
}

static size_t off_phnum(const struct elf_image *img)
{
    return img->is64 ? 56 : 44;
}

/* Offset of program header @i. */
static size_t phdr_at(const struct elf_image *img, unsigned int i)
{
    return ehdr_size(img) + i * phentsize(img);
}

/* Writes the ELF header and the program headers from img->seg. */
static void write_headers(struct elf_image *img)
{
    uint8_t *e = img->bytes;
    memset(e, 0, ehdr_size(img));
    memcpy(e, "\177ELF", 4);
    e[4] = img->is64 ? 2 : 1; /* EI_CLASS */
    e[5] = 1;                 /* EI_DATA: little-endian */
    e[6] = 1;                 /* EI_VERSION */
    put16(e + 16, ET_EXEC);
    put16(e + 18, img->machine);
    put32(e + 20, 1);
    if (img->is64) {
        put64(e + 24, 0x100000); /* e_entry: not what PVH uses */
        put64(e + 32, ehdr_size(img));
        put16(e + 52, (uint16_t)ehdr_size(img));
    } else {
        put32(e + 24, 0x100000);
        put32(e + 28, (uint32_t)ehdr_size(img));
        put16(e + 40, (uint16_t)ehdr_size(img));
    }
    put16(e + off_phentsize(img), (uint16_t)phentsize(img));
    put16(e + off_phnum(img), (uint16_t)img->nseg);

    for (unsigned int i = 0; i < img->nseg; i++) {
        const struct segment *s = &img->seg[i];
        uint8_t *p = e + phdr_at(img, i);
        memset(p, 0, phentsize(img));
        put32(p, s->type);
        if (img->is64) {
            put32(p + 4, 5); /* p_flags */
            put64(p + 8, s->offset);
            put64(p + 16, s->paddr + 0xffffffff80000000ULL); /* p_vaddr: ignored */
            put64(p + 24, s->paddr);
            put64(p + 32, s->filesz);
            put64(p + 40, s->memsz);
            put64(p + 48, 4096);
        } else {
            put32(p + 4, (uint32_t)s->offset);
            put32(p + 8, (uint32_t)s->paddr + 0xc0000000u);
            put32(p + 12, (uint32_t)s->paddr);
            put32(p + 16, (uint32_t)s->filesz);
            put32(p + 20, (uint32_t)s->memsz);
            put32(p + 24, 5);
            put32(p + 28, 4096);
        }
    }
}

/* Appends one ELF note at @off; returns the offset after it. */
static size_t put_note(uint8_t *p, size_t off, uint32_t namesz, const char *name, uint32_t type,
                       const void *desc, uint32_t descsz)
{
    put32(p + off, namesz);
    put32(p + off + 4, descsz);
    put32(p + off + 8, type);
    off += 12;
    memset(p + off, 0, (namesz + 3) & ~3u);
    memcpy(p + off, name, namesz);
    off += (namesz + 3) & ~3u;
    memset(p + off, 0, (descsz + 3) & ~3u);
    memcpy(p + off, desc, descsz);
    off += (descsz + 3) & ~3u;
    return off;
}

/* Where the pieces of the standard image live. */
#define NOTE_OFFSET 0x200
#define TEXT_OFFSET 0x300
#define TEXT_PADDR 0x100000
#define TEXT_BYTES 0x100
#define DATA_OFFSET 0x400
#define DATA_PADDR 0x200000
#define DATA_FILE_BYTES 0x100
#define DATA_MEM_BYTES 0x3000 /* 0x2f00 bytes of bss */
#define IMAGE_BYTES (DATA_OFFSET + DATA_FILE_BYTES)
#define GOOD_ENTRY (TEXT_PADDR + 0x10)

enum { SEG_STACK, SEG_NOTE, SEG_TEXT, SEG_DATA, STANDARD_SEGMENTS };

/* Writes the standard notes: a GNU build id, a Xen note of another type, then
 * the PHYS32_ENTRY note with a @descsz-byte descriptor. Returns the size. */
static size_t write_notes(struct elf_image *img, uint32_t entry, uint32_t descsz)
{
    uint8_t desc[8] = {0};
    put32(desc, entry);
    static const uint8_t build_id[20] = {0xde, 0xad, 0xbe, 0xef};
    size_t off = NOTE_OFFSET;
    off = put_note(img->bytes, off, 4, "GNU", ELF_NOTE_GNU_BUILD_ID, build_id, sizeof(build_id));
    uint32_t pv_entry = 0xdeadbeef;
    off = put_note(img->bytes, off, 4, "Xen", XEN_ELFNOTE_ENTRY, &pv_entry, 4);
    off = put_note(img->bytes, off, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, desc, descsz);
    return off - NOTE_OFFSET;
}

/* A good image: a segment type the checker must ignore (with nonsense
 * offsets), the notes, a text segment and a data segment with bss that ends
 * exactly at the end of the file. */
static struct elf_image *image_new(bool is64, uint16_t machine)
{
    struct elf_image *img = calloc(1, sizeof(*img));
    assert_non_null(img);
    img->is64 = is64;
    img->machine = machine;
    img->size = IMAGE_BYTES;
    size_t notes = write_notes(img, GOOD_ENTRY, 4);
    img->seg[SEG_STACK] = (struct segment){PT_GNU_STACK, 0xffffffff, 0, 0xffffffff, 0};
    img->seg[SEG_NOTE] = (struct segment){PT_NOTE, NOTE_OFFSET, 0, notes, notes};
    img->seg[SEG_TEXT] = (struct segment){PT_LOAD, TEXT_OFFSET, TEXT_PADDR, TEXT_BYTES, TEXT_BYTES};
    img->seg[SEG_DATA] =
        (struct segment){PT_LOAD, DATA_OFFSET, DATA_PADDR, DATA_FILE_BYTES, DATA_MEM_BYTES};
    img->nseg = STANDARD_SEGMENTS;
    for (size_t i = TEXT_OFFSET; i < IMAGE_BYTES; i++)
        img->bytes[i] = (uint8_t)(i * 7);
    write_headers(img);
    return img;
}

/* ---- Running the checker ------------------------------------------------- */

struct result {
    int rc;
    struct pvh_image out;
    char why[160];
};

/* Checks the first @size bytes of @img through an exactly sized heap copy. */
static struct result check_bytes(const struct elf_image *img, size_t size, uint64_t ram)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    strcpy(r.why, "(unchanged)");
    uint8_t *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    memcpy(copy, img->bytes, size);
    r.rc = pvh_image_check(copy, size, ram, &r.out, r.why, sizeof(r.why));
    free(copy);
    return r;
}

static struct result check(const struct elf_image *img)
{
    return check_bytes(img, img->size, RAM_BYTES);
}

static void assert_why(const struct result *r, const char *word)
{
    if (!strstr(r->why, word))
        fail_msg("expected \"%s\" in the reason, got \"%s\"", word, r->why);
}

/* The image is refused with -XC_EINVAL and a reason containing @word. */
static void assert_refused(const struct elf_image *img, const char *word)
{
    struct result r = check(img);
    if (r.rc != -XC_EINVAL)
        fail_msg("expected -XC_EINVAL (reason containing \"%s\"), got %d", word, r.rc);
    assert_why(&r, word);
}

static void assert_accepted(const struct elf_image *img, uint32_t entry, uint64_t start,
                            uint64_t end)
{
    struct result r = check(img);
    if (r.rc != 0)
        fail_msg("refused: %s", r.why);
    assert_int_equal(r.out.entry, entry);
    assert_int_equal(r.out.load_start, start);
    assert_int_equal(r.out.load_end, end);
}

/* ---- Good images --------------------------------------------------------- */

static void test_good_images(void **state)
{
    (void)state;
    static const struct {
        bool is64;
        uint16_t machine;
    } kinds[] = {{false, EM_386}, {false, EM_X86_64}, {true, EM_X86_64}, {true, EM_386}};
    for (unsigned int k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct elf_image *img = image_new(kinds[k].is64, kinds[k].machine);
        assert_accepted(img, GOOD_ENTRY, TEXT_PADDR, DATA_PADDR + DATA_MEM_BYTES);
        free(img);
    }
}

/* The note's descriptor may be 8 bytes (a 64-bit value) if its high half is 0. */
static void test_eight_byte_entry_note(void **state)
{
    (void)state;
    for (int is64 = 0; is64 <= 1; is64++) {
        struct elf_image *img = image_new(is64, EM_X86_64);
        size_t notes = write_notes(img, DATA_PADDR + 0x20, 8);
        img->seg[SEG_NOTE].filesz = img->seg[SEG_NOTE].memsz = notes;
        write_headers(img);
        assert_accepted(img, DATA_PADDR + 0x20, TEXT_PADDR, DATA_PADDR + DATA_MEM_BYTES);
        free(img);
    }
}

/* The entry may be anywhere a segment covers, its bss included, and segments
 * may reach exactly to the end of RAM. */
static void test_entry_and_ram_edges(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    write_notes(img, TEXT_PADDR, 4);
    assert_accepted(img, TEXT_PADDR, TEXT_PADDR, DATA_PADDR + DATA_MEM_BYTES);
    write_notes(img, DATA_PADDR + DATA_MEM_BYTES - 1, 4); /* last byte of bss */
    assert_accepted(img, DATA_PADDR + DATA_MEM_BYTES - 1, TEXT_PADDR, DATA_PADDR + DATA_MEM_BYTES);

    write_notes(img, GOOD_ENTRY, 4);
    img->seg[SEG_DATA].paddr = RAM_BYTES - DATA_MEM_BYTES;
    write_headers(img);
    assert_accepted(img, GOOD_ENTRY, TEXT_PADDR, RAM_BYTES);

    /* Segments in any order; a PT_LOAD with nothing in memory is ignored. */
    img->seg[SEG_DATA].paddr = 0x80000;
    img->seg[SEG_STACK] = (struct segment){PT_LOAD, 0, 0x10, 0, 0};
    write_headers(img);
    assert_accepted(img, GOOD_ENTRY, 0x80000, TEXT_PADDR + TEXT_BYTES);
    free(img);
}

/* ---- Refused images ------------------------------------------------------ */

static void test_not_elf(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    img->bytes[1] = 'F'; /* "\177FLF" */
    assert_refused(img, "not an ELF");

    struct result r;
    char why[64];
    assert_int_equal(pvh_image_check(NULL, 100, RAM_BYTES, &r.out, why, sizeof(why)), -XC_EINVAL);
    assert_non_null(strstr(why, "not an ELF"));
    free(img);
}

static void test_wrong_class_or_byte_order(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    img->bytes[5] = 2; /* ELFDATA2MSB */
    assert_refused(img, "little-endian");
    img->bytes[5] = 1;
    img->bytes[4] = 3; /* no such class */
    assert_refused(img, "ELF32 or ELF64");
    img->bytes[4] = 0;
    assert_refused(img, "ELF32 or ELF64");
    free(img);
}

static void test_wrong_machine_or_type(void **state)
{
    (void)state;
    for (int is64 = 0; is64 <= 1; is64++) {
        struct elf_image *img = image_new(is64, 40 /* EM_ARM */);
        write_headers(img);
        assert_refused(img, "not an x86 executable");
        assert_refused(img, "machine 40");

        img->machine = 183; /* EM_AARCH64 */
        write_headers(img);
        assert_refused(img, "machine 183");

        img->machine = EM_X86_64;
        write_headers(img);
        put16(img->bytes + 16, ET_DYN);
        assert_refused(img, "type 3");
        put16(img->bytes + 16, 1); /* ET_REL */
        assert_refused(img, "not an x86 executable");
        free(img);
    }
}

static void test_program_headers_outside_file(void **state)
{
    (void)state;
    for (int is64 = 0; is64 <= 1; is64++) {
        struct elf_image *img = image_new(is64, EM_X86_64);
        size_t phoff = off_phoff(img);

        /* Past the end of the file. */
        if (is64)
            put64(img->bytes + phoff, img->size + 1);
        else
            put32(img->bytes + phoff, (uint32_t)img->size + 1);
        assert_refused(img, "program headers");
        /* Starting inside, running past the end. */
        if (is64)
            put64(img->bytes + phoff, img->size - 8);
        else
            put32(img->bytes + phoff, (uint32_t)img->size - 8);
        assert_refused(img, "program headers");
        /* An offset that wraps when the table's size is added. */
        if (is64)
            put64(img->bytes + phoff, UINT64_MAX - 16);
        else
            put32(img->bytes + phoff, UINT32_MAX - 16);
        assert_refused(img, "do not fit the file");

        /* phnum * phentsize far beyond the file. */
        write_headers(img);
        put16(img->bytes + off_phnum(img), 0xffff);
        assert_refused(img, "program headers");
        /* Within the count limit, but the table is larger than the file. */
        put16(img->bytes + off_phnum(img), 128);
        assert_refused(img, "128 of");
        /* None at all. */
        put16(img->bytes + off_phnum(img), 0);
        assert_refused(img, "program headers");

        /* An entry size the checker would misread. */
        write_headers(img);
        put16(img->bytes + off_phentsize(img), is64 ? 32 : 56);
        assert_refused(img, "program headers");
        put16(img->bytes + off_phentsize(img), (uint16_t)(phentsize(img) + 8));
        assert_refused(img, "program headers");
        put16(img->bytes + off_phentsize(img), 0);
        assert_refused(img, "program headers");
        free(img);
    }
}

static void test_segment_outside_file(void **state)
{
    (void)state;
    for (int is64 = 0; is64 <= 1; is64++) {
        struct elf_image *img = image_new(is64, EM_X86_64);
        uint64_t wrap = is64 ? UINT64_MAX : UINT32_MAX;

        img->seg[SEG_DATA].offset = img->size + 1;
        write_headers(img);
        assert_refused(img, "segment 3 lies outside the file");

        img->seg[SEG_DATA].offset = DATA_OFFSET + 1; /* one byte past the end */
        write_headers(img);
        assert_refused(img, "segment 3 lies outside the file");

        img->seg[SEG_DATA].offset = DATA_OFFSET;
        img->seg[SEG_DATA].filesz = wrap - DATA_OFFSET + 1; /* offset + filesz wraps */
        img->seg[SEG_DATA].memsz = wrap;
        write_headers(img);
        assert_refused(img, "segment 3 lies outside the file");

        /* The note segment is held to the same rule. */
        free(img);
        img = image_new(is64, EM_X86_64);
        img->seg[SEG_NOTE].filesz = img->size;
        write_headers(img);
        assert_refused(img, "segment 1 lies outside the file");
        img->seg[SEG_NOTE].filesz = 16;
        img->seg[SEG_NOTE].offset = wrap - 8;
        write_headers(img);
        assert_refused(img, "segment 1 lies outside the file");
        free(img);
    }
}

static void test_filesz_larger_than_memsz(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    img->seg[SEG_TEXT].memsz = TEXT_BYTES - 1;
    write_headers(img);
    assert_refused(img, "segment 2 has more file bytes than memory bytes");
    free(img);
}

static void test_segment_outside_ram(void **state)
{
    (void)state;
    for (int is64 = 0; is64 <= 1; is64++) {
        struct elf_image *img = image_new(is64, EM_X86_64);
        /* The bss runs one page past the end of RAM. */
        img->seg[SEG_DATA].paddr = RAM_BYTES - DATA_MEM_BYTES + 0x1000;
        write_headers(img);
        assert_refused(img, "segment 3");
        assert_refused(img, "outside the guest's 16384 KiB of RAM");

        /* Starting past the end. */
        img->seg[SEG_DATA].paddr = RAM_BYTES;
        write_headers(img);
        assert_refused(img, "segment 3");

        /* Fits a larger guest. */
        img->seg[SEG_DATA].paddr = RAM_BYTES - DATA_MEM_BYTES + 0x1000;
        write_headers(img);
        struct result r = check_bytes(img, img->size, 2 * RAM_BYTES);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.out.load_end, RAM_BYTES + 0x1000);
        /* And nothing fits a guest with no RAM. */
        r = check_bytes(img, img->size, 0);
        assert_int_equal(r.rc, -XC_EINVAL);
        assert_why(&r, "segment 2");
        assert_why(&r, "guest's 0 KiB");
        free(img);
    }
}

/* paddr + memsz must not wrap to a small number that looks inside RAM. */
static void test_segment_wraps_address_space(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    img->seg[SEG_DATA].paddr = 0xfffffffffffff000ULL;
    img->seg[SEG_DATA].memsz = 0x2000;
    write_headers(img);
    assert_refused(img, "segment 3");

    img->seg[SEG_DATA].paddr = 0x1000;
    img->seg[SEG_DATA].memsz = UINT64_MAX;
    write_headers(img);
    assert_refused(img, "segment 3");

    /* The same in 32 bits: the end must not wrap around 4 GiB to 0x1000. */
    struct elf_image *img32 = image_new(false, EM_386);
    img32->seg[SEG_DATA].paddr = 0xfffff000u;
    img32->seg[SEG_DATA].memsz = 0x2000;
    write_headers(img32);
    assert_refused(img32, "segment 3");
    free(img32);
    free(img);
}

static void test_no_loadable_segment(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    img->seg[SEG_TEXT].type = 6; /* PT_PHDR */
    img->seg[SEG_DATA].type = 0; /* PT_NULL */
    write_headers(img);
    assert_refused(img, "no loadable segment");

    /* PT_LOADs that load nothing count as none. */
    img->seg[SEG_TEXT] = (struct segment){PT_LOAD, TEXT_OFFSET, TEXT_PADDR, 0, 0};
    img->seg[SEG_DATA] = (struct segment){PT_LOAD, DATA_OFFSET, DATA_PADDR, 0, 0};
    write_headers(img);
    assert_refused(img, "no loadable segment");
    free(img);
}

static void test_no_entry_note(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    uint32_t entry = GOOD_ENTRY;

    /* No PT_NOTE at all. */
    img->seg[SEG_NOTE].type = 0;
    write_headers(img);
    assert_refused(img, "no Xen PHYS32_ENTRY note");

    /* Notes, but only of other types or owners. */
    img->seg[SEG_NOTE].type = PT_NOTE;
    size_t end = put_note(img->bytes, NOTE_OFFSET, 4, "Xen", XEN_ELFNOTE_ENTRY, &entry, 4);
    img->seg[SEG_NOTE].filesz = end - NOTE_OFFSET;
    write_headers(img);
    assert_refused(img, "PHYS32_ENTRY");

    end = put_note(img->bytes, NOTE_OFFSET, 4, "GNU", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
    assert_refused(img, "PHYS32_ENTRY");
    end = put_note(img->bytes, NOTE_OFFSET, 4, "Xem", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
    assert_refused(img, "PHYS32_ENTRY");
    /* The control: the same bytes with the right owner and type pass. */
    end = put_note(img->bytes, NOTE_OFFSET, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
    assert_int_equal(end - NOTE_OFFSET, img->seg[SEG_NOTE].filesz);
    assert_accepted(img, GOOD_ENTRY, TEXT_PADDR, DATA_PADDR + DATA_MEM_BYTES);
    free(img);
}

static void test_bad_entry_descriptor(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    uint8_t desc[8];
    put32(desc, GOOD_ENTRY);
    put32(desc + 4, 1); /* entry 0x1_0010_0010: not a 32-bit entry */
    size_t end = put_note(img->bytes, NOTE_OFFSET, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, desc, 8);
    img->seg[SEG_NOTE].filesz = end - NOTE_OFFSET;
    write_headers(img);
    assert_refused(img, "PHYS32_ENTRY");

    end = put_note(img->bytes, NOTE_OFFSET, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, desc, 2);
    img->seg[SEG_NOTE].filesz = end - NOTE_OFFSET;
    write_headers(img);
    assert_refused(img, "PHYS32_ENTRY");
    end = put_note(img->bytes, NOTE_OFFSET, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, desc, 0);
    img->seg[SEG_NOTE].filesz = end - NOTE_OFFSET;
    write_headers(img);
    assert_refused(img, "PHYS32_ENTRY");
    free(img);
}

/* Note sizes that reach past the note segment: the walk must stop, reading
 * nothing outside the segment (the bytes after it are the text segment). */
static void test_truncated_note(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    size_t notes = img->seg[SEG_NOTE].filesz;

    /* The segment ends one byte before the PHYS32_ENTRY descriptor does. */
    img->seg[SEG_NOTE].filesz = notes - 1;
    write_headers(img);
    assert_refused(img, "PHYS32_ENTRY");
    /* ... or in the middle of its header. */
    img->seg[SEG_NOTE].filesz = notes - 12;
    write_headers(img);
    assert_refused(img, "PHYS32_ENTRY");

    /* The first note claims a huge name or descriptor. */
    img->seg[SEG_NOTE].filesz = notes;
    write_headers(img);
    put32(img->bytes + NOTE_OFFSET, 0xfffffffd);
    assert_refused(img, "PHYS32_ENTRY");
    put32(img->bytes + NOTE_OFFSET, 4);
    put32(img->bytes + NOTE_OFFSET + 4, 0xffffffff);
    assert_refused(img, "PHYS32_ENTRY");
    put32(img->bytes + NOTE_OFFSET + 4, (uint32_t)notes); /* just past the segment */
    assert_refused(img, "PHYS32_ENTRY");
    free(img);

    /* The entry note first: a segment of 0..19 bytes cannot hold it, 20 can. */
    uint8_t desc[4];
    put32(desc, GOOD_ENTRY);
    for (uint64_t len = 0; len <= 20; len++) {
        img = image_new(false, EM_386);
        put_note(img->bytes, NOTE_OFFSET, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, desc, 4);
        img->seg[SEG_NOTE].filesz = len;
        write_headers(img);
        if (len < 20)
            assert_refused(img, "PHYS32_ENTRY");
        else
            assert_accepted(img, GOOD_ENTRY, TEXT_PADDR, DATA_PADDR + DATA_MEM_BYTES);
        free(img);
    }
}

static void test_entry_outside_loaded_segments(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    write_notes(img, TEXT_PADDR - 1, 4);
    assert_refused(img, "entry point 0xfffff lies outside the loaded segments");
    write_notes(img, DATA_PADDR + DATA_MEM_BYTES, 4); /* one past the bss */
    assert_refused(img, "entry point 0x203000");
    write_notes(img, 0, 4);
    assert_refused(img, "entry point 0x0");
    /* Between the text and data segments: nothing is loaded there, so the
     * vCPU would start in zeroed memory. */
    write_notes(img, TEXT_PADDR + TEXT_BYTES, 4);
    assert_refused(img, "entry point 0x100100");
    write_notes(img, 0x150000, 4);
    assert_refused(img, "lies outside the loaded segments");
    free(img);
}

static void test_image_too_large(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    struct pvh_image out;
    char why[160];
    /* The checker refuses on the size alone, before reading past the header. */
    int rc = pvh_image_check(img->bytes, (512u << 20) + 1, RAM_BYTES << 10, &out, why, sizeof(why));
    assert_int_equal(rc, -XC_EINVAL);
    assert_non_null(strstr(why, "larger than the 512 MiB allowed"));
    rc = pvh_image_check(img->bytes, SIZE_MAX, RAM_BYTES << 10, &out, why, sizeof(why));
    assert_int_equal(rc, -XC_EINVAL);
    assert_non_null(strstr(why, "512 MiB"));
    free(img);
}

/* Every prefix of a good image is refused, with a reason, and without
 * reading past it: the last bytes of the file belong to a segment, so no
 * prefix is a valid image. */
static void test_every_truncation_refused(void **state)
{
    (void)state;
    for (int is64 = 0; is64 <= 1; is64++) {
        struct elf_image *img = image_new(is64, is64 ? EM_X86_64 : EM_386);
        for (size_t size = 0; size < img->size; size++) {
            struct result r = check_bytes(img, size, RAM_BYTES);
            if (r.rc != -XC_EINVAL)
                fail_msg("a %zu-byte prefix of a %zu-byte ELF%d image gave %d", size, img->size,
                         is64 ? 64 : 32, r.rc);
            assert_true(strlen(r.why) > 0 && strcmp(r.why, "(unchanged)") != 0);
        }
        assert_int_equal(check_bytes(img, img->size, RAM_BYTES).rc, 0);
        free(img);
    }
}

/* The reason is cut to the caller's buffer and always terminated. */
static void test_reason_truncated_to_buffer(void **state)
{
    (void)state;
    struct elf_image *img = image_new(true, EM_X86_64);
    img->bytes[0] = 0;
    struct pvh_image out;
    char why[8];
    memset(why, 'x', sizeof(why));
    assert_int_equal(pvh_image_check(img->bytes, img->size, RAM_BYTES, &out, why, 5), -XC_EINVAL);
    assert_string_equal(why, "not ");
    assert_int_equal(why[5], 'x');
    free(img);
}

/* ---- pvh_build(): what the guest finds --------------------------------- */

struct built_domain {
    struct fake_arena arena;
    struct domain *d;
};

/* A domain of @ram_bytes (a whole number of pages) with @nr_vcpus vCPUs,
 * its RAM populated from the arena, nothing loaded yet. */
static struct built_domain *domain_with_ram(uint64_t ram_bytes, uint32_t nr_vcpus)
{
    struct built_domain *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    assert_int_equal(fake_arena_init(&b->arena), 0);
    b->d = calloc(1, sizeof(*b->d));
    assert_non_null(b->d);
    strcpy(b->d->name, "builder");
    b->d->nr_vcpus = nr_vcpus;
    for (uint32_t i = 0; i < nr_vcpus; i++) {
        b->d->vcpus[i] = calloc(1, sizeof(struct vcpu));
        assert_non_null(b->d->vcpus[i]);
        b->d->vcpus[i]->id = i;
        b->d->vcpus[i]->domain = b->d;
    }
    host_p2m_reset();
    assert_int_equal(p2m_populate(b->d, ram_bytes / FAKE_PAGE_BYTES), 0);
    return b;
}

static void built_domain_free(struct built_domain *b)
{
    for (uint32_t i = 0; i < b->d->nr_vcpus; i++)
        free(b->d->vcpus[i]);
    free(b->d);
    host_p2m_reset();
    fake_arena_fini(&b->arena);
    free(b);
}

static void read_gpa(struct domain *d, void *out, uint64_t gpa, size_t length)
{
    assert_int_equal(p2m_copy_from_gpa(d, out, gpa, length), 0);
}

/* Builds the standard image into a fresh domain; returns the start_info. */
static struct hvm_start_info build_and_read(struct built_domain *b, const char *cmdline,
                                            uint32_t *info_gpa)
{
    struct elf_image *img = image_new(true, EM_X86_64);
    assert_int_equal(pvh_build(b->d, img->bytes, img->size, cmdline), 0);
    free(img);
    uint32_t entry;
    host_pvh_entry(&entry, info_gpa);
    assert_int_equal(entry, GOOD_ENTRY);
    struct hvm_start_info info;
    read_gpa(b->d, &info, *info_gpa, sizeof(info));
    assert_int_equal(info.magic, HVM_START_MAGIC);
    assert_int_equal(info.version, 1);
    return info;
}

/* The MADT the guest finds from rsdp_paddr: RSDP -> XSDT -> the APIC entry.
 * Returns the number of enabled CPUs madt_parse() counts; *@tables_end is
 * one past the last byte of any table. */
static unsigned int cpus_in_tables(struct domain *d, uint64_t rsdp_gpa, uint64_t *tables_end)
{
    uint8_t *page = p2m_gpa_to_virt(d, rsdp_gpa & ~(FAKE_PAGE_BYTES - 1), FAKE_PAGE_BYTES);
    assert_non_null(page);
    uint64_t page_gpa = rsdp_gpa & ~(FAKE_PAGE_BYTES - 1);
    const uint8_t *rsdp = page + (rsdp_gpa - page_gpa);
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_true(acpi_checksum_ok(rsdp, RSDP_V2_BYTES));
    *tables_end = rsdp_gpa + RSDP_V2_BYTES;
    uint64_t xsdt_gpa = le64(rsdp + RSDP_XSDT_OFFSET);
    assert_true(xsdt_gpa >= page_gpa && xsdt_gpa < page_gpa + FAKE_PAGE_BYTES);
    const uint8_t *xsdt = page + (xsdt_gpa - page_gpa);
    char why[128];
    size_t room = FAKE_PAGE_BYTES - (xsdt_gpa - page_gpa);
    if (acpi_table_check(xsdt, room, ACPI_SIG_XSDT, why, sizeof(why)))
        fail_msg("XSDT: %s", why);
    unsigned int cpus = 0;
    bool have_madt = false;
    for (uint32_t off = ACPI_HEADER_BYTES; off + 8 <= le32(xsdt + 4); off += 8) {
        uint64_t gpa = le64(xsdt + off);
        assert_true(gpa >= page_gpa && gpa + ACPI_HEADER_BYTES <= page_gpa + FAKE_PAGE_BYTES);
        const uint8_t *t = page + (gpa - page_gpa);
        if (gpa + le32(t + 4) > *tables_end)
            *tables_end = gpa + le32(t + 4);
        if (memcmp(t, ACPI_SIG_MADT, 4))
            continue;
        struct madt_info *info = malloc(sizeof(*info));
        assert_non_null(info);
        if (madt_parse(t, FAKE_PAGE_BYTES - (gpa - page_gpa), info, why, sizeof(why)))
            fail_msg("MADT: %s", why);
        cpus = info->cpus_found;
        have_madt = true;
        free(info);
    }
    assert_true(have_madt);
    return cpus;
}

/* The map covers [0, ram) exactly once, in order, with no empty entry. */
static void assert_map_covers(const struct hvm_memmap_table_entry *map, uint32_t n,
                              uint64_t ram_bytes)
{
    uint64_t next = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(map[i].addr, next);
        assert_true(map[i].size > 0);
        assert_int_equal(map[i].reserved, 0);
        next += map[i].size;
    }
    assert_int_equal(next, ram_bytes);
}

static void test_build_start_info_and_tables(void **state)
{
    (void)state;
    const uint64_t ram = 4ULL << 20;
    struct built_domain *b = domain_with_ram(ram, 4);
    const char *cmdline = "console=hvc0 vcpus=4";
    uint32_t info_gpa;
    struct hvm_start_info info = build_and_read(b, cmdline, &info_gpa);
    /* The first page after the kernel (which ends at DATA_PADDR + DATA_MEM_BYTES). */
    assert_int_equal(info_gpa, DATA_PADDR + DATA_MEM_BYTES);

    char got[64];
    read_gpa(b->d, got, info.cmdline_paddr, strlen(cmdline) + 1);
    assert_string_equal(got, cmdline);

    /* The tables: page-aligned, after the start-of-day data, listing 4 CPUs. */
    assert_int_equal(info.rsdp_paddr % FAKE_PAGE_BYTES, 0);
    assert_true(info.rsdp_paddr >= info.cmdline_paddr + strlen(cmdline) + 1);
    uint64_t tables_end;
    assert_int_equal(cpus_in_tables(b->d, info.rsdp_paddr, &tables_end), 4);

    /* RAM, ACPI over exactly the tables' page, RAM. */
    struct hvm_memmap_table_entry map[3];
    assert_int_equal(info.memmap_entries, 3);
    assert_true(info.memmap_paddr >= info_gpa + sizeof(info));
    read_gpa(b->d, map, info.memmap_paddr, sizeof(map));
    assert_map_covers(map, 3, ram);
    assert_int_equal(map[0].type, HVM_MEMMAP_TYPE_RAM);
    assert_int_equal(map[0].size, info.rsdp_paddr); /* gfn 0 and low memory are RAM */
    assert_int_equal(map[1].type, HVM_MEMMAP_TYPE_ACPI);
    assert_int_equal(map[1].addr, info.rsdp_paddr);
    assert_int_equal(map[1].size, FAKE_PAGE_BYTES);
    assert_true(tables_end <= map[1].addr + map[1].size);
    assert_int_equal(map[2].type, HVM_MEMMAP_TYPE_RAM);
    /* The start-of-day data is inside the first RAM entry, not in the ACPI one. */
    assert_true(info.memmap_paddr + 3 * sizeof(map[0]) <= map[1].addr);
    built_domain_free(b);
}

/* The vCPU count the tables list is the domain's, for 1 and the most. */
static void test_build_tables_follow_vcpus(void **state)
{
    (void)state;
    static const uint32_t counts[] = {1, XENCORE_DOMAIN_MAX_VCPUS};
    for (unsigned int k = 0; k < 2; k++) {
        struct built_domain *b = domain_with_ram(4ULL << 20, counts[k]);
        uint32_t info_gpa;
        struct hvm_start_info info = build_and_read(b, NULL, &info_gpa);
        assert_int_equal(info.cmdline_paddr, 0);
        uint64_t tables_end;
        assert_int_equal(cpus_in_tables(b->d, info.rsdp_paddr, &tables_end), counts[k]);
        assert_true(tables_end <= info.rsdp_paddr + FAKE_PAGE_BYTES);
        built_domain_free(b);
    }
}

/* A command line longer than a page pushes the tables past it. */
static void test_build_long_cmdline(void **state)
{
    (void)state;
    const uint64_t ram = 4ULL << 20;
    struct built_domain *b = domain_with_ram(ram, 2);
    char *cmdline = malloc(6000);
    assert_non_null(cmdline);
    memset(cmdline, 'x', 5999);
    cmdline[5999] = '\0';
    uint32_t info_gpa;
    struct hvm_start_info info = build_and_read(b, cmdline, &info_gpa);
    assert_true(info.rsdp_paddr >= info.cmdline_paddr + 6000);
    char *got = malloc(6000);
    assert_non_null(got);
    read_gpa(b->d, got, info.cmdline_paddr, 6000);
    assert_memory_equal(got, cmdline, 6000);
    struct hvm_memmap_table_entry map[3];
    read_gpa(b->d, map, info.memmap_paddr, sizeof(map));
    assert_map_covers(map, info.memmap_entries, ram);
    assert_int_equal(map[1].addr, info.rsdp_paddr);
    free(got);
    free(cmdline);
    built_domain_free(b);
}

/* RAM that ends with the tables' page: two entries, no empty third; one page
 * less and the domain is refused, the console saying why. */
static void test_build_ram_edges(void **state)
{
    (void)state;
    /* Kernel to 0x203000, start-of-day page, tables page: 0x205000. */
    const uint64_t just_enough = DATA_PADDR + DATA_MEM_BYTES + 2 * FAKE_PAGE_BYTES;
    struct built_domain *b = domain_with_ram(just_enough, 1);
    uint32_t info_gpa;
    struct hvm_start_info info = build_and_read(b, "a=b", &info_gpa);
    assert_int_equal(info.memmap_entries, 2);
    struct hvm_memmap_table_entry map[2];
    read_gpa(b->d, map, info.memmap_paddr, sizeof(map));
    assert_map_covers(map, 2, just_enough);
    assert_int_equal(map[0].type, HVM_MEMMAP_TYPE_RAM);
    assert_int_equal(map[1].type, HVM_MEMMAP_TYPE_ACPI);
    built_domain_free(b);

    b = domain_with_ram(just_enough - FAKE_PAGE_BYTES, 1);
    struct elf_image *img = image_new(true, EM_X86_64);
    host_console_clear();
    assert_int_equal(pvh_build(b->d, img->bytes, img->size, "a=b"), -XC_EINVAL);
    assert_non_null(strstr(host_console_text(), "no room after the kernel"));
    free(img);
    built_domain_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_images),
        cmocka_unit_test(test_eight_byte_entry_note),
        cmocka_unit_test(test_entry_and_ram_edges),
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_wrong_class_or_byte_order),
        cmocka_unit_test(test_wrong_machine_or_type),
        cmocka_unit_test(test_program_headers_outside_file),
        cmocka_unit_test(test_segment_outside_file),
        cmocka_unit_test(test_filesz_larger_than_memsz),
        cmocka_unit_test(test_segment_outside_ram),
        cmocka_unit_test(test_segment_wraps_address_space),
        cmocka_unit_test(test_no_loadable_segment),
        cmocka_unit_test(test_no_entry_note),
        cmocka_unit_test(test_bad_entry_descriptor),
        cmocka_unit_test(test_truncated_note),
        cmocka_unit_test(test_entry_outside_loaded_segments),
        cmocka_unit_test(test_image_too_large),
        cmocka_unit_test(test_every_truncation_refused),
        cmocka_unit_test(test_reason_truncated_to_buffer),
        cmocka_unit_test(test_build_start_info_and_tables),
        cmocka_unit_test(test_build_tables_follow_vcpus),
        cmocka_unit_test(test_build_long_cmdline),
        cmocka_unit_test(test_build_ram_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
