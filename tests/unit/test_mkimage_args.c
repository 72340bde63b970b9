/* xencore-mkimage's inputs: the manifest encoder (libxenlight), the
 * --domain KEY=VALUE parser, memory sizes and the PVH kernel check. What a
 * user notices: the bytes the hypervisor will decode, and a message that
 * names the key for every mistake. */
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
#include <xenlight/manifest.h>

#include "mkimage_args.h"

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
    assert_int_equal(size, 16 + 2 * 1184);
    uint8_t *bytes = malloc(size);
    memset(bytes, 0xee, size);
    assert_int_equal(xl_manifest_encode(m, bytes, size), XL_MANIFEST_OK);

    /* Header: "XCMF", version 1, 16 bytes, 2 domains, 1184-byte records. */
    assert_memory_equal(bytes, "XCMF", 4);
    assert_int_equal(le(bytes + 4, 2), XENCORE_MANIFEST_VERSION);
    assert_int_equal(le(bytes + 6, 2), 16);
    assert_int_equal(le(bytes + 8, 4), 2);
    assert_int_equal(le(bytes + 12, 4), 1184);

    const uint8_t *r = bytes + 16;
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
    assert_int_equal(r + 1184 - bytes, 16 + 1184);

    r += 1184;
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
    uint8_t header[16];
    assert_int_equal(xl_manifest_encoded_size(m), 16);
    assert_int_equal(xl_manifest_encode(m, header, sizeof(header)), XL_MANIFEST_OK);
    assert_int_equal(le(header + 8, 4), 0);

    struct xl_manifest_domain d = good_domain("alice");
    assert_int_equal(xl_manifest_add_domain(m, &d), XL_MANIFEST_OK);
    assert_int_equal(xl_manifest_encode(m, header, sizeof(header)), XL_MANIFEST_ENOSPC);
    assert_message_contains(xl_manifest_error(m), "needs 1200 bytes");
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
    assert_int_equal(strlen((const char *)bytes + 16), 63);
    assert_int_equal(strlen((const char *)bytes + 16 + 160), 1023);
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
    uint8_t bytes[2000];
    size_t n = fread(bytes, 1, sizeof(bytes), f);
    fclose(f);
    unlink(path);
    assert_int_equal(n, 1200);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
