/* xencore-mkimage's inputs: the manifest encoder (libxenlight), the CPU-list
 * parser (libxenlight), the --domain and --pool KEY=VALUE parsers, memory
 * sizes, boot options and the PVH kernel check. What a user notices: the
 * bytes the hypervisor will decode (checked by decoding them with the
 * hypervisor's own decoder), and a message that names the key for every
 * mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <xencore/abi/manifest.h>
#include <xencore/sched.h>
#include <xenlight/cpulist.h>
#include <xenlight/manifest.h>

#include "core/manifest.h"
#include "lib/errno.h"
#include "mkimage_args.h"

#define HEADER 24u   /* version 2 header */
#define RECORD 2280u /* version 2 domain record */
#define POOL 584u    /* pool record */

/* ---- Helpers ----------------------------------------------------------------- */

static uint64_t le(const uint8_t *p, unsigned int bytes)
{
    uint64_t v = 0;
    for (unsigned int i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static struct xl_manifest_domain good_domain(const char *name)
{
    struct xl_manifest_domain d = {
        .name = name,
        .memory_kib = 32768,
        .vcpus = 2,
        .kernel_module = "guest-hello.elf",
        .cmdline = "name=alice extra=a,b",
    };
    return d;
}

static void assert_message_contains(const char *message, const char *part)
{
    if (strstr(message, part) == NULL) {
        fail_msg("message '%s' lacks '%s'", message, part);
    }
}

/* ---- Encoder ------------------------------------------------------------------- */

static void test_encode_two_domains(void **state)
{
    (void)state;
    struct xl_manifest *m = xl_manifest_new();
    assert_non_null(m);
    struct xl_manifest_domain a = good_domain("alice");
    uint8_t uuid[16];
    for (unsigned int i = 0; i < 16; i++) {
        uuid[i] = (uint8_t)(0xa0 + i);
    }
    a.uuid = uuid;
    struct xl_manifest_domain b = good_domain("bob");
    b.memory_kib = 1024;
    b.vcpus = 1;
    b.cmdline = NULL;
    assert_int_equal(xl_manifest_add_domain(m, &a), XL_MANIFEST_OK);
    assert_string_equal(xl_manifest_error(m), "");
    assert_int_equal(xl_manifest_add_domain(m, &b), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_domain_count(m), 2);

    size_t size = xl_manifest_encoded_size(m);
    assert_int_equal(size, HEADER + 2 * RECORD);
    uint8_t *bytes = malloc(size);
    memset(bytes, 0xee, size);
    assert_int_equal(xl_manifest_encode(m, bytes, size), XL_MANIFEST_OK);

    /* Header: "XCMF", version 2, 24 bytes, 2 domains, 2280-byte records, no
     * pools, 584-byte pool records. */
    assert_memory_equal(bytes, "XCMF", 4);
    assert_int_equal(le(bytes + 4, 2), 2);
    assert_int_equal(le(bytes + 6, 2), HEADER);
    assert_int_equal(le(bytes + 8, 4), 2);
    assert_int_equal(le(bytes + 12, 4), RECORD);
    assert_int_equal(le(bytes + 16, 4), 0);
    assert_int_equal(le(bytes + 20, 4), POOL);

    const uint8_t *r = bytes + HEADER;
    assert_string_equal((const char *)r, "alice");
    for (unsigned int i = 5; i < 64; i++) {
        assert_int_equal(r[i], 0); /* the rest of the field is zero, not stale */
    }
    assert_memory_equal(r + 64, uuid, 16);
    assert_int_equal(le(r + 80, 8), 32768);
    assert_int_equal(le(r + 88, 4), 2);
    assert_int_equal(le(r + 92, 4), 0);
    assert_string_equal((const char *)r + 96, "guest-hello.elf");
    assert_string_equal((const char *)r + 160, "name=alice extra=a,b");
    /* Version 2 fields left at their defaults: all zero. */
    for (unsigned int i = 1184; i < RECORD; i++) {
        if (r[i] != 0) {
            fail_msg("byte %u of the record is 0x%02x, not 0", i, r[i]);
        }
    }
    assert_int_equal(r + RECORD - bytes, HEADER + RECORD);

    r += RECORD;
    assert_string_equal((const char *)r, "bob");
    static const uint8_t zero_uuid[16];
    assert_memory_equal(r + 64, zero_uuid, 16);
    assert_int_equal(le(r + 80, 8), 1024);
    assert_int_equal(le(r + 88, 4), 1);
    assert_string_equal((const char *)r + 160, "");
    free(bytes);
    xl_manifest_free(m);
}

static void test_encode_empty_manifest_and_small_buffer(void **state)
{
    (void)state;
    struct xl_manifest *m = xl_manifest_new();
    uint8_t header[HEADER];
    assert_int_equal(xl_manifest_encoded_size(m), HEADER);
    assert_int_equal(xl_manifest_encode(m, header, sizeof(header)), XL_MANIFEST_OK);
    assert_int_equal(le(header + 8, 4), 0);

    struct xl_manifest_domain d = good_domain("alice");
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_encode(m, header, sizeof(header)), XL_MANIFEST_ENOSPC);
    assert_message_contains(xl_manifest_error(m), "needs 2304 bytes");
    xl_manifest_free(m);
}

struct bad_field_case {
    const char *what;
    struct xl_manifest_domain domain;
    int code;
    const char *message;
};

static void test_encoder_rejects_bad_fields(void **state)
{
    (void)state;
    char long_name[80], long_cmdline[1100], long_module[80];
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    memset(long_cmdline, 'c', 1024);
    long_cmdline[1024] = '\0';
    memset(long_module, 'k', 64);
    long_module[64] = '\0';

    struct bad_field_case cases[] = {
        {"no name",
         {.name = "", .memory_kib = 1024, .vcpus = 1, .kernel_module = "k"},
         XL_MANIFEST_EINVAL,
         "'name' is required"},
        {"name too long",
         {.name = long_name, .memory_kib = 1024, .vcpus = 1, .kernel_module = "k"},
         XL_MANIFEST_EINVAL,
         "'name' must be at most 63 characters, not 64"},
        {"name with a blank",
         {.name = "a b", .memory_kib = 1024, .vcpus = 1, .kernel_module = "k"},
         XL_MANIFEST_EINVAL,
         "'name' must use only A-Z a-z 0-9 _ . -, not 'a b'"},
        {"memory below 1 MiB",
         {.name = "a", .memory_kib = 1020, .vcpus = 1, .kernel_module = "k"},
         XL_MANIFEST_EINVAL,
         "'memory' must be a multiple of 4 KiB and at least 1 MiB, not 1020 KiB"},
        {"memory not whole pages",
         {.name = "a", .memory_kib = 2050, .vcpus = 1, .kernel_module = "k"},
         XL_MANIFEST_EINVAL,
         "not 2050 KiB"},
        {"no vcpus",
         {.name = "a", .memory_kib = 1024, .vcpus = 0, .kernel_module = "k"},
         XL_MANIFEST_EINVAL,
         "'vcpus' must be 1 to 128, not 0"},
        {"too many vcpus",
         {.name = "a", .memory_kib = 1024, .vcpus = 129, .kernel_module = "k"},
         XL_MANIFEST_EINVAL,
         "'vcpus' must be 1 to 128, not 129"},
        {"no kernel module",
         {.name = "a", .memory_kib = 1024, .vcpus = 1, .kernel_module = NULL},
         XL_MANIFEST_EINVAL,
         "'kernel_module' is required"},
        {"kernel module too long",
         {.name = "a", .memory_kib = 1024, .vcpus = 1, .kernel_module = long_module},
         XL_MANIFEST_EINVAL,
         "'kernel_module' must be at most 63 characters, not 64"},
        {"kernel module with a blank",
         {.name = "a", .memory_kib = 1024, .vcpus = 1, .kernel_module = "my kernel"},
         XL_MANIFEST_EINVAL,
         "'kernel_module' must not hold blanks"},
        {"cmdline too long",
         {.name = "a",
          .memory_kib = 1024,
          .vcpus = 1,
          .kernel_module = "k",
          .cmdline = long_cmdline},
         XL_MANIFEST_EINVAL,
         "'cmdline' must be at most 1023 bytes, not 1024"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xl_manifest *m = xl_manifest_new();
        int rc = xl_manifest_add_domain(m, &cases[i].domain);
        if (rc != cases[i].code) {
            fail_msg("%s: code %d, expected %d", cases[i].what, rc, cases[i].code);
        }
        assert_message_contains(xl_manifest_error(m), cases[i].message);
        assert_int_equal(xl_manifest_domain_count(m), 0);
        xl_manifest_free(m);
    }
}

static void test_encoder_limits_at_the_edges(void **state)
{
    (void)state;
    char name[64], cmdline[1024];
    memset(name, 'n', 63);
    name[63] = '\0';
    memset(cmdline, 'c', 1023);
    cmdline[1023] = '\0';
    struct xl_manifest *m = xl_manifest_new();
    struct xl_manifest_domain d = {
        .name = name, .memory_kib = 1024, .vcpus = 128, .kernel_module = "k", .cmdline = cmdline};
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_OK);
    uint8_t *bytes = malloc(xl_manifest_encoded_size(m));
    assert_int_equal(xl_manifest_encode(m, bytes, xl_manifest_encoded_size(m)), XL_MANIFEST_OK);
    assert_int_equal(strlen((const char *)bytes + HEADER), 63);
    assert_int_equal(strlen((const char *)bytes + HEADER + 160), 1023);
    free(bytes);
    xl_manifest_free(m);
}

static void test_encoder_duplicates_and_capacity(void **state)
{
    (void)state;
    struct xl_manifest *m = xl_manifest_new();
    struct xl_manifest_domain d = good_domain("web");
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_EEXIST);
    assert_message_contains(xl_manifest_error(m),
                            "'name' must be unique: domain 1 is already named 'web'");
    assert_int_equal(xl_manifest_domain_count(m), 1);

    char names[XL_MANIFEST_MAX_DOMAINS + 1][16];
    for (unsigned int i = 1; i < XL_MANIFEST_MAX_DOMAINS; i++) {
        snprintf(names[i], sizeof(names[i]), "d%u", i);
        d.name = names[i];
        assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_OK);
    }
    assert_int_equal(xl_manifest_domain_count(m), XL_MANIFEST_MAX_DOMAINS);
    d.name = "one-too-many";
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_ENOSPC);
    assert_message_contains(xl_manifest_error(m), "at most 64 domains");
    xl_manifest_free(m);
}

static void test_write_file(void **state)
{
    (void)state;
    struct xl_manifest *m = xl_manifest_new();
    struct xl_manifest_domain d = good_domain("alice");
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_OK);

    char path[] = "/tmp/test_mkimage_manifest.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(xl_manifest_write_file(m, path), XL_MANIFEST_OK);
    FILE *f = fopen(path, "rb");
    uint8_t bytes[4000];
    size_t n = fread(bytes, 1, sizeof(bytes), f);
    fclose(f);
    unlink(path);
    assert_int_equal(n, HEADER + RECORD);
    assert_memory_equal(bytes, "XCMF", 4);

    assert_int_equal(xl_manifest_write_file(m, "/nonexistent-dir/manifest"), XL_MANIFEST_EIO);
    assert_message_contains(xl_manifest_error(m), "cannot create '/nonexistent-dir/manifest'");
    xl_manifest_free(m);
}

/* ---- --domain parser ---------------------------------------------------------- */

static void test_parse_full_spec(void **state)
{
    (void)state;
    struct mkimage_domain d;
    char error[MKIMAGE_ERROR_BYTES] = "";
    int rc = mkimage_parse_domain(
        "name=web,kernel=/tmp/vmlinux,memory=512M,vcpus=4,cmdline=\"console=hvc0 a,b\"", &d, error,
        sizeof(error));
    assert_int_equal(rc, 0);
    assert_string_equal(d.name, "web");
    assert_string_equal(d.kernel, "/tmp/vmlinux");
    assert_int_equal(d.memory_kib, 512 * 1024);
    assert_int_equal(d.vcpus, 4);
    assert_string_equal(d.cmdline, "console=hvc0 a,b");
}

static void test_parse_defaults_and_order(void **state)
{
    (void)state;
    struct mkimage_domain d;
    char error[MKIMAGE_ERROR_BYTES];
    assert_int_equal(mkimage_parse_domain("kernel=k.elf,name=x", &d, error, sizeof(error)), 0);
    assert_string_equal(d.name, "x");
    assert_string_equal(d.kernel, "k.elf");
    assert_int_equal(d.memory_kib, 32 * 1024); /* libxl's default */
    assert_int_equal(d.vcpus, 1);
    assert_string_equal(d.cmdline, "");

    /* Quotes: escapes inside, an empty quoted value, quotes as the last item. */
    assert_int_equal(mkimage_parse_domain("name=x,kernel=k,cmdline=\"say \\\"hi\\\" \\\\o/\"", &d,
                                          error, sizeof(error)),
                     0);
    assert_string_equal(d.cmdline, "say \"hi\" \\o/");
    assert_int_equal(mkimage_parse_domain("name=x,cmdline=\"\",kernel=k", &d, error, sizeof(error)),
                     0);
    assert_string_equal(d.cmdline, "");
    /* An unquoted value keeps '=' and quotes in its middle. */
    assert_int_equal(
        mkimage_parse_domain("name=x,kernel=k,cmdline=a=b\"c", &d, error, sizeof(error)), 0);
    assert_string_equal(d.cmdline, "a=b\"c");
}

struct parse_error_case {
    const char *spec;
    const char *message;
};

static void test_parse_errors_name_the_key(void **state)
{
    (void)state;
    static const struct parse_error_case cases[] = {
        {"", "is empty"},
        {"kernel=k", "'name' is required"},
        {"name=x", "'kernel' is required"},
        {"name=x,kernel=k,colour=blue", "unknown key 'colour'"},
        {"name=x,kernel=k,name=y", "'name' is given twice"},
        {"name=x,,kernel=k", "empty item"},
        {"name=x,kernel=k,", "empty item"},
        {"name=x,kernel", "'kernel' is not KEY=VALUE"},
        {"name=,kernel=k", "'name' must not be empty"},
        {"name=x,kernel=", "'kernel' must not be empty"},
        {"name=x,kernel=k,cmdline=\"a,b", "'cmdline' has an opening double quote but no closing"},
        {"name=x,kernel=k,cmdline=\"a\"b", "a quoted value must be followed by a comma"},
        {"name=x,kernel=k,vcpus=0", "'vcpus' must be a number from 1 to 128, not '0'"},
        {"name=x,kernel=k,vcpus=129", "'vcpus' must be a number from 1 to 128, not '129'"},
        {"name=x,kernel=k,vcpus=two", "'vcpus' must be a number from 1 to 128, not 'two'"},
        {"name=x,kernel=k,vcpus=-1", "'vcpus' must be a number from 1 to 128"},
        {"name=x,kernel=k,memory=lots",
         "'memory' must be a number of MiB, or a number with a K, M or G suffix"},
        {"name=x,kernel=k,memory=1030K", "'memory' must be a multiple of 4 KiB, not '1030K'"},
        {"name=x,kernel=k,memory=512K", "'memory' must be at least 1 MiB, not '512K'"},
        {"name=x,kernel=k,memory=0", "'memory' must be at least 1 MiB, not '0'"},
        {"name=x,kernel=k,memory=", "'memory' must not be empty"},
        {"name=0123456789012345678901234567890123456789012345678901234567890123,kernel=k",
         "'name' must be at most 63 bytes long"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mkimage_domain d;
        char error[MKIMAGE_ERROR_BYTES] = "";
        int rc = mkimage_parse_domain(cases[i].spec, &d, error, sizeof(error));
        if (rc != -1) {
            fail_msg("'%s' was accepted", cases[i].spec);
        }
        assert_message_contains(error, cases[i].message);
    }
}

static void test_parse_memory_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t kib;
    } good[] = {
        {"1", 1024},     {"32", 32768},   {"512M", 524288}, {"512m", 524288},    {"1G", 1048576},
        {"2g", 2097152}, {"1024K", 1024}, {"4100k", 4100},  {"65536", 67108864},
    };
    char error[MKIMAGE_ERROR_BYTES];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint64_t kib = 0;
        if (mkimage_parse_memory(good[i].text, "memory", &kib, error, sizeof(error)) != 0) {
            fail_msg("'%s' rejected: %s", good[i].text, error);
        }
        assert_int_equal(kib, good[i].kib);
    }
    static const char *const bad[] = {"",
                                      "M",
                                      "12X",
                                      "1.5G",
                                      "1 G",
                                      "1MB",
                                      "-1",
                                      "0x10",
                                      "99999999999999999999",
                                      "18014398509481984G",
                                      "1023K"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t kib = 0;
        if (mkimage_parse_memory(bad[i], "memory", &kib, error, sizeof(error)) == 0) {
            fail_msg("'%s' accepted as %llu KiB", bad[i], (unsigned long long)kib);
        }
        assert_message_contains(error, "'memory'");
    }
}

/* ---- PVH kernel check ----------------------------------------------------- */

/* A minimal ELF64 or ELF32 image: header, one PT_LOAD at 1 MiB of 64 KiB,
 * one PT_NOTE holding a note with the given owner, type and 4-byte desc. */
static size_t make_elf(uint8_t *out, bool elf64, const char *owner, uint32_t type, uint32_t entry,
                       uint32_t desc_size)
{
    memset(out, 0, 512);
    unsigned int eh = elf64 ? 64 : 52, ph = elf64 ? 56 : 32;
    unsigned int notes_at = eh + 2 * ph;
    memcpy(out, "\177ELF", 4);
    out[4] = elf64 ? 2 : 1;
    out[5] = 1;
    out[6] = 1;
    out[18] = 62; /* EM_X86_64 */
#define PUT(at, v, n)                                                                              \
    do {                                                                                           \
        uint64_t v_ = (v);                                                                         \
        for (unsigned int k_ = 0; k_ < (n); k_++)                                                  \
            out[(at) + k_] = (uint8_t)(v_ >> (8 * k_));                                            \
    } while (0)
    unsigned int w = elf64 ? 8 : 4;
    PUT(elf64 ? 32 : 28, eh, w); /* e_phoff */
    PUT(elf64 ? 54 : 42, ph, 2); /* e_phentsize */
    PUT(elf64 ? 56 : 44, 2, 2);  /* e_phnum */
    /* PT_LOAD */
    PUT(eh + 0, 1, 4);
    PUT(eh + (elf64 ? 24 : 12), 0x100000, w); /* p_paddr */
    PUT(eh + (elf64 ? 40 : 20), 0x10000, w);  /* p_memsz */
    /* PT_NOTE */
    unsigned int owner_size = (unsigned int)strlen(owner) + 1;
    unsigned int owner_room = (owner_size + 3) & ~3u;
    unsigned int note_size = 12 + owner_room + ((desc_size + 3) & ~3u);
    PUT(eh + ph + 0, 4, 4);
    PUT(eh + ph + (elf64 ? 8 : 4), notes_at, w);    /* p_offset */
    PUT(eh + ph + (elf64 ? 32 : 16), note_size, w); /* p_filesz */
    PUT(notes_at + 0, owner_size, 4);
    PUT(notes_at + 4, desc_size, 4);
    PUT(notes_at + 8, type, 4);
    memcpy(out + notes_at + 12, owner, owner_size);
    PUT(notes_at + 12 + owner_room, entry, desc_size < 4 ? desc_size : 4);
#undef PUT
    return notes_at + note_size;
}

static void test_pvh_kernel_accepted(void **state)
{
    (void)state;
    uint8_t image[512];
    char error[MKIMAGE_ERROR_BYTES] = "";
    uint32_t entry = 0;
    size_t size = make_elf(image, true, "Xen", 18, 0x100020, 4);
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "k64", &entry, error, sizeof(error)), 0);
    assert_int_equal(entry, 0x100020);
    size = make_elf(image, false, "Xen", 18, 0x100400, 4);
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "k32", &entry, error, sizeof(error)), 0);
    assert_int_equal(entry, 0x100400);
}

static void test_pvh_kernel_rejected(void **state)
{
    (void)state;
    uint8_t image[512];
    char error[MKIMAGE_ERROR_BYTES];
    uint32_t entry;
    size_t size;

    size = make_elf(image, true, "GNU", 18, 0x100020, 4);
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "k", &entry, error, sizeof(error)), -1);
    assert_message_contains(error, "'kernel' 'k' has no Xen PHYS32_ENTRY note");

    size = make_elf(image, true, "Xen", 17, 0x100020, 4); /* another Xen note type */
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "k", &entry, error, sizeof(error)), -1);
    assert_message_contains(error, "has no Xen PHYS32_ENTRY note");

    size = make_elf(image, true, "Xen", 18, 0x200000, 4); /* past the 64 KiB segment */
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "k", &entry, error, sizeof(error)), -1);
    assert_message_contains(error, "PVH entry 0x200000 is not inside any loadable segment");

    size = make_elf(image, true, "Xen", 18, 0x100020, 2);
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "k", &entry, error, sizeof(error)), -1);
    assert_message_contains(error, "holds 2 bytes");

    size = make_elf(image, true, "Xen", 18, 0x100020, 4);
    assert_int_equal(mkimage_check_pvh_kernel(image, size - 6, "k", &entry, error, sizeof(error)),
                     -1); /* the note segment runs past the end of the file */
    assert_message_contains(error, "damaged ELF file");

    assert_int_equal(mkimage_check_pvh_kernel((const uint8_t *)"#!/bin/sh\necho hi\n", 18, "s",
                                              &entry, error, sizeof(error)),
                     -1);
    assert_message_contains(error, "'kernel' 's' is not an ELF file");
    assert_int_equal(mkimage_check_pvh_kernel(image, 30, "t", &entry, error, sizeof(error)), -1);
    assert_message_contains(error, "truncated");

    size = make_elf(image, true, "Xen", 18, 0x100020, 4);
    image[18] = 40; /* EM_ARM */
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "a", &entry, error, sizeof(error)), -1);
    assert_message_contains(error, "not x86");

    size = make_elf(image, true, "Xen", 18, 0x100020, 4);
    image[56] = 0xff; /* e_phnum = 255: headers past the end of the file */
    assert_int_equal(mkimage_check_pvh_kernel(image, size, "p", &entry, error, sizeof(error)), -1);
    assert_message_contains(error, "program headers lie outside the file");
}

/* ---- CPU lists (xenlight/cpulist.h) ----------------------------------------- */

static struct xl_cpumap cpus_of(const char *list, unsigned int limit)
{
    struct xl_cpumap map;
    char error[MKIMAGE_ERROR_BYTES] = "";
    if (xl_cpulist_parse("cpus", list, limit, &map, error, sizeof(error)) != XL_CPULIST_OK) {
        fail_msg("'%s' rejected: %s", list, error);
    }
    return map;
}

static char *format(const struct xl_cpumap *map)
{
    static char text[20000];
    size_t length = xl_cpulist_format(map, text, sizeof(text));
    assert_true(length < sizeof(text));
    assert_int_equal(strlen(text), length);
    return text;
}

static void test_cpulist_xen_syntax(void **state)
{
    (void)state;
    static const struct {
        const char *list;
        unsigned int limit;
        const char *cpus; /* the set, printed compactly */
    } cases[] = {
        {"0-3,^2", 256, "0-1,3"},
        {"0-3,5,^1", 256, "0,2-3,5"}, /* xlcpupool.cfg's example: 0,2,3,5 */
        {"all,^0", 8, "1-7"},
        {"all", 4096, "0-4095"},
        {"all", 1, "0"},
        {"3", 256, "3"},
        {"255", 256, "255"},
        {"4095", 4096, "4095"},
        {"^2,0-3", 256, "0-3"}, /* left to right: removing from nothing, then adding */
        {"0-3,^0-3,7", 256, "7"},
        {" 1 , 2 ", 256, "1-2"},
        {"0,2,4,6", 256, "0,2,4,6"},
        {"007", 256, "7"},
        {"5-5", 256, "5"},
        {"1,1,1", 256, "1"},
        {"8-9,0-1", 256, "0-1,8-9"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xl_cpumap map = cpus_of(cases[i].list, cases[i].limit);
        const char *got = format(&map);
        if (strcmp(got, cases[i].cpus) != 0) {
            fail_msg("'%s' gave %s, not %s", cases[i].list, got, cases[i].cpus);
        }
    }
    struct xl_cpumap map = cpus_of("0-3,^2", 256);
    assert_true(xl_cpumap_test(&map, 0));
    assert_true(xl_cpumap_test(&map, 3));
    assert_false(xl_cpumap_test(&map, 2));
    assert_false(xl_cpumap_test(&map, 4));
    assert_false(xl_cpumap_test(&map, 5000));
    assert_int_equal(xl_cpumap_count(&map), 3);
    assert_int_equal(map.bits[0], 0xb);
}

static void test_cpulist_errors_quote_the_item(void **state)
{
    (void)state;
    static const struct {
        const char *list;
        const char *message;
    } cases[] = {
        {"7-3", "cpus: '7-3' is an empty range"},
        {"0,7-3", "cpus: '7-3' is an empty range"},
        {"", "cpus: is empty"},
        {"  ", "cpus: is empty"},
        {"1,,2", "cpus: '1,,2' has an empty item"},
        {"1,", "has an empty item"},
        {",1", "has an empty item"},
        {"x", "cpus: 'x' is not a CPU number, a range N-M, ^N, ^N-M or all"},
        {"1-", "cpus: '1-' is not a CPU number"},
        {"-1", "cpus: '-1' is not a CPU number"},
        {"+1", "cpus: '+1' is not a CPU number"},
        {"0x3", "cpus: '0x3' is not a CPU number"},
        {"1 2", "cpus: '1 2' is not a CPU number"},
        {"1-2-3", "cpus: '1-2-3' is not a CPU number"},
        {"^", "cpus: '^' is not a CPU number"},
        {"^^1", "cpus: '^^1' is not a CPU number"},
        {"All", "cpus: 'All' is not a CPU number"},
        {"^all", "cpus: '^all' is not allowed"},
        {"node:1", "cpus: 'node:1': NUMA node lists are not supported"},
        {"nodes:0-1", "NUMA node lists are not supported"},
        {"256", "cpus: '256' names CPU 256, but the hypervisor has at most 256 CPUs (0-255)"},
        {"0-300", "'0-300' names CPU 300"},
        {"^256", "'^256' names CPU 256"},
        {"99999999999999999999", "names CPU 4294967295"},
        {"^2", "cpus: '^2' selects no CPU"},
        {"0-3,^0-3", "selects no CPU"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xl_cpumap map;
        memset(&map, 0x5a, sizeof(map));
        char error[MKIMAGE_ERROR_BYTES] = "";
        int rc = xl_cpulist_parse("cpus", cases[i].list, 256, &map, error, sizeof(error));
        if (rc != XL_CPULIST_EINVAL) {
            fail_msg("'%s' was accepted", cases[i].list);
        }
        assert_message_contains(error, cases[i].message);
        assert_int_equal(map.bits[0], 0x5a5a5a5a5a5a5a5aull); /* unchanged on error */
    }
    /* The key named in messages is the caller's. */
    char error[MKIMAGE_ERROR_BYTES];
    struct xl_cpumap map;
    assert_int_equal(xl_cpulist_parse("cpus_soft", "9-1", 256, &map, error, sizeof(error)),
                     XL_CPULIST_EINVAL);
    assert_message_contains(error, "cpus_soft: '9-1' is an empty range");
    assert_int_equal(xl_cpulist_parse("cpus", "0", 0, &map, error, sizeof(error)),
                     XL_CPULIST_EINVAL);
    assert_int_equal(xl_cpulist_parse("cpus", NULL, 256, &map, error, sizeof(error)),
                     XL_CPULIST_EINVAL);
}

static void test_cpulist_format_cut_short(void **state)
{
    (void)state;
    struct xl_cpumap map = cpus_of("0,2,4,6,8,10", 256);
    char small[8];
    size_t needed = xl_cpulist_format(&map, small, sizeof(small));
    assert_int_equal(needed, strlen("0,2,4,6,8,10"));
    assert_string_equal(small, "0,2,4,6"); /* as much as fits, terminated */
    assert_int_equal(xl_cpulist_format(&map, NULL, 0), needed);
    struct xl_cpumap empty;
    memset(&empty, 0, sizeof(empty));
    assert_string_equal(format(&empty), "");
}

/* ---- Pools and scheduling fields: encoder -> the hypervisor's decoder ---------- */

static void test_round_trip_through_the_hypervisor_decoder(void **state)
{
    (void)state;
    struct xl_manifest *m = xl_manifest_new();
    struct xl_cpumap rt_cpus = cpus_of("2-3", 256);
    struct xl_cpumap batch_cpus = cpus_of("4-7,^6", 256);
    struct xl_manifest_pool rt = {.name = "rt", .scheduler = XL_SCHED_CREDIT, .cpus = &rt_cpus};
    struct xl_manifest_pool batch = {
        .name = "batch", .scheduler = XL_SCHED_DEFAULT, .cpus = &batch_cpus};
    assert_int_equal(xl_manifest_add_pool(m, &rt), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_add_pool(m, &batch), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_pool_count(m), 2);

    struct xl_cpumap hard = cpus_of("2", 256);
    struct xl_cpumap soft = cpus_of("0-1,255", 256);
    struct xl_manifest_domain a = good_domain("alice");
    a.pool = "rt";
    a.weight = 512;
    a.cap = 50;
    a.cpus = &hard;
    a.cpus_soft = &soft;
    struct xl_manifest_domain b = good_domain("bob"); /* every default */
    struct xl_manifest_domain c = good_domain("carol");
    c.pool = "Pool-0";
    c.weight = 65535;
    c.cap = 200; /* 2 vCPUs */
    assert_int_equal(xl_manifest_add_domain(m, &a), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_add_domain(m, &b), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_add_domain(m, &c), XL_MANIFEST_OK);

    size_t size = xl_manifest_encoded_size(m);
    assert_int_equal(size, HEADER + 3 * RECORD + 2 * POOL);
    uint8_t *bytes = malloc(size);
    assert_int_equal(xl_manifest_encode(m, bytes, size), XL_MANIFEST_OK);
    assert_int_equal(le(bytes + 16, 4), 2);
    assert_int_equal(le(bytes + 20, 4), POOL);

    static struct xencore_domain_record domains[XENCORE_MANIFEST_MAX_DOMAINS];
    static struct xencore_pool_record pools[XENCORE_MANIFEST_MAX_POOLS];
    struct manifest_contents out = {.domains = domains, .pools = pools};
    char why[160] = "";
    int rc = manifest_decode(bytes, size, 256, &out, why, sizeof(why));
    if (rc != 3) {
        fail_msg("decoder said %d: %s", rc, why);
    }
    assert_int_equal(out.pool_count, 2);
    assert_string_equal(pools[0].name, "rt");
    assert_int_equal(pools[0].scheduler, XENCORE_SCHED_CREDIT);
    assert_int_equal(pools[0].cpus[0], 0x0c); /* CPUs 2 and 3 */
    for (unsigned int i = 1; i < sizeof(pools[0].cpus); i++) {
        assert_int_equal(pools[0].cpus[i], 0);
    }
    assert_string_equal(pools[1].name, "batch");
    assert_int_equal(pools[1].scheduler, 0);
    assert_int_equal(pools[1].cpus[0], 0xb0); /* CPUs 4, 5 and 7 */

    assert_string_equal(domains[0].name, "alice");
    assert_string_equal(domains[0].pool, "rt");
    assert_int_equal(domains[0].weight, 512);
    assert_int_equal(domains[0].cap, 50);
    assert_int_equal(domains[0].cpus[0], 0x04);
    assert_int_equal(domains[0].cpus_soft[0], 0x03);
    assert_int_equal(domains[0].cpus_soft[31], 0x80); /* CPU 255 */
    assert_string_equal(domains[0].cmdline, "name=alice extra=a,b");

    static const uint8_t none[XENCORE_MANIFEST_CPU_BYTES];
    assert_string_equal(domains[1].name, "bob");
    assert_string_equal(domains[1].pool, "");
    assert_int_equal(domains[1].weight, 0);
    assert_int_equal(domains[1].cap, 0);
    assert_memory_equal(domains[1].cpus, none, sizeof(none));
    assert_memory_equal(domains[1].cpus_soft, none, sizeof(none));

    assert_string_equal(domains[2].pool, "Pool-0");
    assert_int_equal(domains[2].weight, 65535);
    assert_int_equal(domains[2].cap, 200);

    /* The same bytes on a hypervisor built for 4 CPUs: CPU 255 is refused. */
    rc = manifest_decode(bytes, size, 4, &out, why, sizeof(why));
    assert_int_equal(rc, -XC_EINVAL);
    assert_message_contains(why, "'alice': cpus_soft names CPU 255");
    free(bytes);
    xl_manifest_free(m);
}

static void test_encoder_rejects_bad_scheduling_fields(void **state)
{
    (void)state;
    struct xl_cpumap empty;
    memset(&empty, 0, sizeof(empty));
    struct xl_cpumap some = cpus_of("1", 256);
    struct {
        const char *what;
        struct xl_manifest_domain domain;
        const char *message;
    } cases[] = {
        {"weight too large",
         {.name = "a", .memory_kib = 1024, .vcpus = 1, .kernel_module = "k", .weight = 65536},
         "'weight' must be 1 to 65535 (or 0 for the default), not 65536"},
        {"cap above 100 per vCPU",
         {.name = "a", .memory_kib = 1024, .vcpus = 2, .kernel_module = "k", .cap = 201},
         "'cap' must be at most 200 percent (100 per vCPU, 2 vCPUs), not 201"},
        {"pool with a blank",
         {.name = "a", .memory_kib = 1024, .vcpus = 1, .kernel_module = "k", .pool = "r t"},
         "'pool' must use only A-Z a-z 0-9 _ . -, not 'r t'"},
        {"empty hard affinity",
         {.name = "a", .memory_kib = 1024, .vcpus = 1, .kernel_module = "k", .cpus = &empty},
         "'cpus' selects no CPU"},
        {"empty soft affinity",
         {.name = "a",
          .memory_kib = 1024,
          .vcpus = 1,
          .kernel_module = "k",
          .cpus = &some,
          .cpus_soft = &empty},
         "'cpus_soft' selects no CPU"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xl_manifest *m = xl_manifest_new();
        int rc = xl_manifest_add_domain(m, &cases[i].domain);
        if (rc != XL_MANIFEST_EINVAL) {
            fail_msg("%s: code %d", cases[i].what, rc);
        }
        assert_message_contains(xl_manifest_error(m), cases[i].message);
        assert_int_equal(xl_manifest_domain_count(m), 0);
        xl_manifest_free(m);
    }
}

static void test_encoder_pools(void **state)
{
    (void)state;
    struct xl_manifest *m = xl_manifest_new();
    struct xl_cpumap two_three = cpus_of("2-3", 256);
    struct xl_cpumap three_four = cpus_of("3-4", 256);
    struct xl_cpumap empty;
    memset(&empty, 0, sizeof(empty));
    struct xl_manifest_pool p = {.name = "rt", .scheduler = XL_SCHED_CREDIT, .cpus = &two_three};
    assert_int_equal(xl_manifest_add_pool(m, &p), XL_MANIFEST_OK);

    struct {
        struct xl_manifest_pool pool;
        int code;
        const char *message;
    } cases[] = {
        {{.name = NULL, .scheduler = 5, .cpus = &three_four},
         XL_MANIFEST_EINVAL,
         "pool: 'name' is required"},
        {{.name = "a/b", .scheduler = 5, .cpus = &three_four},
         XL_MANIFEST_EINVAL,
         "pool: 'name' must use only"},
        {{.name = "Pool-0", .scheduler = 5, .cpus = &three_four},
         XL_MANIFEST_EEXIST,
         "must not be Pool-0"},
        {{.name = "rt", .scheduler = 5, .cpus = &three_four},
         XL_MANIFEST_EEXIST,
         "pool: 'name' must be unique: pool 1 is already named 'rt'"},
        {{.name = "b", .scheduler = 7, .cpus = &three_four},
         XL_MANIFEST_EINVAL,
         "pool 'b': 'sched' must be credit (5), credit2 (6), null (9) or the default (0), not 7"},
        {{.name = "b", .scheduler = 6, .cpus = NULL},
         XL_MANIFEST_EINVAL,
         "pool 'b': 'cpus' is required"},
        {{.name = "b", .scheduler = 6, .cpus = &empty}, XL_MANIFEST_EINVAL, "'cpus' is required"},
        {{.name = "b", .scheduler = 6, .cpus = &three_four},
         XL_MANIFEST_EINVAL,
         "pool 'b': 'cpus' CPU 3 is already in pool 'rt'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = xl_manifest_add_pool(m, &cases[i].pool);
        if (rc != cases[i].code) {
            fail_msg("case %zu: code %d, expected %d (%s)", i, rc, cases[i].code,
                     xl_manifest_error(m));
        }
        assert_message_contains(xl_manifest_error(m), cases[i].message);
        assert_int_equal(xl_manifest_pool_count(m), 1);
    }

    /* A domain naming a pool the manifest lacks: refused when checked or encoded. */
    struct xl_manifest_domain d = good_domain("web");
    d.pool = "batch";
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_check(m), XL_MANIFEST_EINVAL);
    assert_message_contains(xl_manifest_error(m),
                            "domain 'web': 'pool' 'batch' is not one of the manifest's pools");
    uint8_t *bytes = malloc(xl_manifest_encoded_size(m));
    assert_int_equal(xl_manifest_encode(m, bytes, xl_manifest_encoded_size(m)), XL_MANIFEST_EINVAL);
    free(bytes);
    assert_int_equal(xl_manifest_write_file(m, "/tmp/never-written"), XL_MANIFEST_EINVAL);
    struct xl_cpumap five = cpus_of("5", 256);
    struct xl_manifest_pool batch = {.name = "batch", .scheduler = 6, .cpus = &five};
    assert_int_equal(xl_manifest_add_pool(m, &batch), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_check(m), XL_MANIFEST_OK);
    xl_manifest_free(m);

    /* At most 63 pools. */
    m = xl_manifest_new();
    for (unsigned int i = 0; i <= XL_MANIFEST_MAX_POOLS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p%u", i);
        struct xl_cpumap cpu;
        memset(&cpu, 0, sizeof(cpu));
        xl_cpumap_set(&cpu, i);
        struct xl_manifest_pool pool = {.name = name, .scheduler = 5, .cpus = &cpu};
        int rc = xl_manifest_add_pool(m, &pool);
        assert_int_equal(rc, i < XL_MANIFEST_MAX_POOLS ? XL_MANIFEST_OK : XL_MANIFEST_ENOSPC);
    }
    assert_message_contains(xl_manifest_error(m), "at most 63 pools");
    xl_manifest_free(m);
}

static void test_scheduler_names(void **state)
{
    (void)state;
    uint32_t scheduler = 0;
    assert_int_equal(xl_scheduler_from_name("credit", &scheduler), XL_MANIFEST_OK);
    assert_int_equal(scheduler, XENCORE_SCHED_CREDIT);
    assert_int_equal(xl_scheduler_from_name("credit2", &scheduler), XL_MANIFEST_OK);
    assert_int_equal(scheduler, XENCORE_SCHED_CREDIT2);
    assert_int_equal(xl_scheduler_from_name("null", &scheduler), XL_MANIFEST_OK);
    assert_int_equal(scheduler, XENCORE_SCHED_NULL);
    assert_int_equal(xl_scheduler_from_name("rtds", &scheduler), XL_MANIFEST_EINVAL);
    assert_int_equal(xl_scheduler_from_name("Credit", &scheduler), XL_MANIFEST_EINVAL);
    assert_int_equal(xl_scheduler_from_name("", &scheduler), XL_MANIFEST_EINVAL);
    assert_string_equal(xl_scheduler_name(XL_SCHED_CREDIT2), "credit2");
    assert_null(xl_scheduler_name(7));
}

/* ---- --domain scheduling keys, --pool, --boot-options ---------------------------- */

static void test_parse_scheduling_keys(void **state)
{
    (void)state;
    struct mkimage_domain d;
    char error[MKIMAGE_ERROR_BYTES] = "";
    int rc = mkimage_parse_domain("name=web,kernel=k,cap=150,vcpus=2,weight=512,pool=rt,"
                                  "cpus=\"0-3,^2\",cpus_soft=1",
                                  &d, error, sizeof(error));
    if (rc != 0) {
        fail_msg("rejected: %s", error);
    }
    assert_int_equal(d.weight, 512);
    assert_int_equal(d.cap, 150);
    assert_int_equal(d.vcpus, 2);
    assert_string_equal(d.pool, "rt");
    assert_true(d.has_cpus);
    assert_string_equal(format(&d.cpus), "0-1,3");
    assert_true(d.has_cpus_soft);
    assert_string_equal(format(&d.cpus_soft), "1");

    /* Defaults: weight 0 (256 at boot), no cap, Pool-0, no affinity. */
    assert_int_equal(mkimage_parse_domain("name=x,kernel=k", &d, error, sizeof(error)), 0);
    assert_int_equal(d.weight, 0);
    assert_int_equal(d.cap, 0);
    assert_string_equal(d.pool, "");
    assert_false(d.has_cpus);
    assert_false(d.has_cpus_soft);
    assert_int_equal(
        mkimage_parse_domain("name=x,kernel=k,cap=0,weight=1,cpus=all", &d, error, sizeof(error)),
        0);
    assert_int_equal(xl_cpumap_count(&d.cpus), mkimage_max_cpus());
}

static void test_parse_scheduling_errors(void **state)
{
    (void)state;
    char too_big[64];
    snprintf(too_big, sizeof(too_big), "name=x,kernel=k,cpus=%u", mkimage_max_cpus());
    char too_big_message[128];
    snprintf(too_big_message, sizeof(too_big_message), "cpus: '%u' names CPU %u",
             mkimage_max_cpus(), mkimage_max_cpus());
    const struct parse_error_case cases[] = {
        {"name=x,kernel=k,weight=0", "'weight' must be a number from 1 to 65535, not '0'"},
        {"name=x,kernel=k,weight=65536", "'weight' must be a number from 1 to 65535, not '65536'"},
        {"name=x,kernel=k,weight=heavy", "'weight' must be a number from 1 to 65535"},
        {"name=x,kernel=k,cap=101", "'cap' must be at most 100 x vcpus = 100"},
        {"name=x,kernel=k,cap=201,vcpus=2", "'cap' must be at most 100 x vcpus = 200"},
        {"name=x,kernel=k,cap=-5", "'cap' must be a number of percent"},
        {"name=x,kernel=k,cap=half", "'cap' must be a number of percent"},
        {"name=x,kernel=k,pool=", "'pool' must not be empty"},
        {"name=x,kernel=k,pool=a/b", "'pool' must use only A-Z a-z 0-9 _ . -, not 'a/b'"},
        {"name=x,kernel=k,cpus=7-3", "cpus: '7-3' is an empty range"},
        {"name=x,kernel=k,cpus=0-3,^2", "'^2' is not KEY=VALUE"}, /* needs quotes */
        {"name=x,kernel=k,cpus_soft=^1", "cpus_soft: '^1' selects no CPU"},
        {"name=x,kernel=k,cpus=all,cpus=1", "'cpus' is given twice"},
        {too_big, too_big_message},
        {"name=x,kernel=k,sched=credit", "unknown key 'sched' (keys: name, kernel, memory, "
                                         "vcpus, cmdline, weight, cap, pool, cpus, cpus_soft)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mkimage_domain d;
        char error[MKIMAGE_ERROR_BYTES] = "";
        if (mkimage_parse_domain(cases[i].spec, &d, error, sizeof(error)) != -1) {
            fail_msg("'%s' was accepted", cases[i].spec);
        }
        assert_message_contains(error, cases[i].message);
    }
}

static void test_parse_pool(void **state)
{
    (void)state;
    struct mkimage_pool p;
    char error[MKIMAGE_ERROR_BYTES] = "";
    assert_int_equal(mkimage_parse_pool("name=rt,sched=credit,cpus=2-3", &p, error, sizeof(error)),
                     0);
    assert_string_equal(p.name, "rt");
    assert_int_equal(p.scheduler, XENCORE_SCHED_CREDIT);
    assert_string_equal(format(&p.cpus), "2-3");
    assert_int_equal(mkimage_parse_pool("cpus=\"1,3-5,^4\",name=b.2", &p, error, sizeof(error)), 0);
    assert_int_equal(p.scheduler, XL_SCHED_DEFAULT);
    assert_string_equal(format(&p.cpus), "1,3,5");
    assert_int_equal(mkimage_parse_pool("name=n,sched=null,cpus=0", &p, error, sizeof(error)), 0);
    assert_int_equal(p.scheduler, XENCORE_SCHED_NULL);

    static const struct parse_error_case cases[] = {
        {"", "is empty: give at least name=NAME,cpus=LIST"},
        {"sched=credit,cpus=1", "'name' is required"},
        {"name=rt,sched=credit", "'cpus' is required"},
        {"name=rt,cpus=1,sched=rtds", "'sched' must be credit, credit2 or null, not 'rtds'"},
        {"name=Pool-0,cpus=1", "'name' must not be Pool-0"},
        {"name=r t,cpus=1", "'name' must use only"},
        {"name=rt,cpus=3-1", "cpus: '3-1' is an empty range"},
        {"name=rt,cpus=1,weight=2", "unknown key 'weight' (keys: name, sched, cpus)"},
        {"name=rt,name=rt,cpus=1", "'name' is given twice"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (mkimage_parse_pool(cases[i].spec, &p, error, sizeof(error)) != -1) {
            fail_msg("'%s' was accepted", cases[i].spec);
        }
        assert_message_contains(error, cases[i].message);
    }
}

static void test_boot_options(void **state)
{
    (void)state;
    char error[MKIMAGE_ERROR_BYTES] = "";
    static const char *const good[] = {"",
                                       "poweroff",
                                       "sched=credit",
                                       "poweroff sched=credit2",
                                       "sched=null  credit2_runqueue=socket",
                                       "noreboot\tsched=credit"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (mkimage_check_boot_options(good[i], error, sizeof(error)) != 0) {
            fail_msg("'%s' rejected: %s", good[i], error);
        }
    }
    static const struct parse_error_case bad[] = {
        {"sched=rtds", "'sched=rtds': the scheduler must be credit, credit2 or null"},
        {"poweroff sched=", "'sched=': the scheduler must be"},
        {"sched=credit3 poweroff", "'sched=credit3'"},
        {"sched=creditcreditcreditcreditcreditcredit", "the scheduler must be"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (mkimage_check_boot_options(bad[i].spec, error, sizeof(error)) != -1) {
            fail_msg("'%s' accepted", bad[i].spec);
        }
        assert_message_contains(error, bad[i].message);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_two_domains),
        cmocka_unit_test(test_encode_empty_manifest_and_small_buffer),
        cmocka_unit_test(test_encoder_rejects_bad_fields),
        cmocka_unit_test(test_encoder_limits_at_the_edges),
        cmocka_unit_test(test_encoder_duplicates_and_capacity),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_parse_full_spec),
        cmocka_unit_test(test_parse_defaults_and_order),
        cmocka_unit_test(test_parse_errors_name_the_key),
        cmocka_unit_test(test_parse_memory_sizes),
        cmocka_unit_test(test_pvh_kernel_accepted),
        cmocka_unit_test(test_pvh_kernel_rejected),
        cmocka_unit_test(test_cpulist_xen_syntax),
        cmocka_unit_test(test_cpulist_errors_quote_the_item),
        cmocka_unit_test(test_cpulist_format_cut_short),
        cmocka_unit_test(test_round_trip_through_the_hypervisor_decoder),
        cmocka_unit_test(test_encoder_rejects_bad_scheduling_fields),
        cmocka_unit_test(test_encoder_pools),
        cmocka_unit_test(test_scheduler_names),
        cmocka_unit_test(test_parse_scheduling_keys),
        cmocka_unit_test(test_parse_scheduling_errors),
        cmocka_unit_test(test_parse_pool),
        cmocka_unit_test(test_boot_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
