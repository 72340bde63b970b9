/* Unit tests of the boot-manifest decoder (manifest_decode() in
 * libxencore/core/manifest.c, layout in include/xencore/abi/manifest.h).
 *
 * The manifest decides which domains an appliance starts, and the same
 * decoder reads the management channel's "create domain" request, so it is
 * input from outside the hypervisor. The tests build manifests byte for byte
 * and pin down the contract the header documents: a good manifest arrives in
 * the records field for field (1 and the maximum of 64 domains, a newer
 * writer's larger header and records skipped correctly); every bad size,
 * count or field rejects the whole manifest with a sentence naming the domain
 * or the field. The decoder is always handed an exactly sized heap copy and a
 * record array of exactly 64 entries, so AddressSanitizer catches a read past
 * the manifest or a write past the records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <xencore/abi/manifest.h>

#include "core/manifest.h"
#include "lib/errno.h"

#define RECORD_BYTES sizeof(struct xencore_domain_record)
#define HEADER_BYTES sizeof(struct xencore_manifest_header)

/* A manifest under construction: the header and records as they will be
 * encoded, plus how a (possibly newer) writer lays them out. */
struct manifest {
    struct xencore_manifest_header header;
    struct xencore_domain_record records[XENCORE_MANIFEST_MAX_DOMAINS + 1];
    uint32_t count;      /* records to encode (may differ from header.domain_count) */
    size_t header_extra; /* bytes a newer header has after ours */
    size_t record_extra; /* bytes a newer record has after ours */
    uint8_t *bytes;      /* the encoded form */
    size_t length;
};

static void record_fill(struct xencore_domain_record *r, unsigned int i)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "dom-%u.test_%u", i, i * 7);
    for (unsigned int b = 0; b < sizeof(r->uuid); b++)
        r->uuid[b] = (uint8_t)(i * 16 + b);
    r->memory_kib = (uint64_t)(i + 1) * 65536;
    r->vcpus = 1 + i % 128;
    r->flags = 0;
    snprintf(r->kernel_module, sizeof(r->kernel_module), "kernel-%u", i);
    snprintf(r->cmdline, sizeof(r->cmdline), "console=hvc0 id=%u", i);
}

static struct manifest *manifest_new(uint32_t count)
{
    struct manifest *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_true(count <= XENCORE_MANIFEST_MAX_DOMAINS + 1);
    m->header.magic = XENCORE_MANIFEST_MAGIC;
    m->header.version = XENCORE_MANIFEST_VERSION;
    m->header.header_bytes = HEADER_BYTES;
    m->header.domain_count = count;
    m->header.record_bytes = RECORD_BYTES;
    m->count = count;
    for (unsigned int i = 0; i < count; i++)
        record_fill(&m->records[i], i);
    return m;
}

/* Encodes @m into m->bytes; padding a newer writer added is 0xa5, so a
 * decoder that reads it as a field gets nonsense. */
static void manifest_encode(struct manifest *m)
{
    free(m->bytes);
    size_t header = HEADER_BYTES + m->header_extra;
    size_t record = RECORD_BYTES + m->record_extra;
    m->length = header + (size_t)m->count * record;
    m->bytes = malloc(m->length);
    assert_non_null(m->bytes);
    memset(m->bytes, 0xa5, m->length);
    memcpy(m->bytes, &m->header, HEADER_BYTES);
    for (uint32_t i = 0; i < m->count; i++)
        memcpy(m->bytes + header + i * record, &m->records[i], RECORD_BYTES);
}

static void manifest_free(struct manifest *m)
{
    free(m->bytes);
    free(m);
}

struct result {
    int rc;
    struct xencore_domain_record *records; /* exactly XENCORE_MANIFEST_MAX_DOMAINS */
    char why[160];
};

/* Decodes the first @length bytes of the encoded manifest through an exactly
 * sized copy. */
static struct result decode_bytes(const struct manifest *m, size_t length)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    r.records = calloc(XENCORE_MANIFEST_MAX_DOMAINS, sizeof(*r.records));
    assert_non_null(r.records);
    uint8_t *copy = malloc(length ? length : 1);
    assert_non_null(copy);
    memcpy(copy, m->bytes, length);
    r.rc = manifest_decode(copy, length, r.records, r.why, sizeof(r.why));
    free(copy);
    return r;
}

static struct result decode(struct manifest *m)
{
    manifest_encode(m);
    return decode_bytes(m, m->length);
}

static void assert_records_equal(const struct xencore_domain_record *got,
                                 const struct xencore_domain_record *want)
{
    assert_string_equal(got->name, want->name);
    assert_memory_equal(got->uuid, want->uuid, sizeof(got->uuid));
    assert_int_equal(got->memory_kib, want->memory_kib);
    assert_int_equal(got->vcpus, want->vcpus);
    assert_int_equal(got->flags, want->flags);
    assert_string_equal(got->kernel_module, want->kernel_module);
    assert_string_equal(got->cmdline, want->cmdline);
}

/* The manifest is rejected with -XC_EINVAL and a reason containing every
 * word in the NULL-terminated list. */
static void assert_rejected_why(struct manifest *m, const char *word, const char *word2)
{
    struct result r = decode(m);
    if (r.rc != -XC_EINVAL)
        fail_msg("expected -XC_EINVAL (reason containing \"%s\"), got %d", word, r.rc);
    if (!strstr(r.why, word) || (word2 && !strstr(r.why, word2)))
        fail_msg("expected \"%s\"%s%s%s in the reason, got \"%s\"", word, word2 ? " and \"" : "",
                 word2 ? word2 : "", word2 ? "\"" : "", r.why);
    free(r.records);
}

/* ---- Good manifests ---------------------------------------------------- */

static void test_one_domain(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    strcpy(m->records[0].name, "web");
    strcpy(m->records[0].kernel_module, "vmlinux-web");
    strcpy(m->records[0].cmdline, "");
    memset(m->records[0].uuid, 0, sizeof(m->records[0].uuid));
    struct result r = decode(m);
    assert_int_equal(r.rc, 1);
    assert_records_equal(&r.records[0], &m->records[0]);
    free(r.records);

    /* Longest name, longest command line. */
    memset(m->records[0].name, 'n', 63);
    memset(m->records[0].cmdline, 'c', 1023);
    m->records[0].vcpus = 128;
    r = decode(m);
    assert_int_equal(r.rc, 1);
    assert_records_equal(&r.records[0], &m->records[0]);
    assert_int_equal(strlen(r.records[0].name), 63);
    assert_int_equal(strlen(r.records[0].cmdline), 1023);
    free(r.records);
    manifest_free(m);
}

static void test_no_domains(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(0);
    struct result r = decode(m);
    assert_int_equal(r.rc, 0);
    free(r.records);
    manifest_free(m);
}

static void test_sixty_four_domains(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(XENCORE_MANIFEST_MAX_DOMAINS);
    struct result r = decode(m);
    assert_int_equal(r.rc, XENCORE_MANIFEST_MAX_DOMAINS);
    for (unsigned int i = 0; i < XENCORE_MANIFEST_MAX_DOMAINS; i++)
        assert_records_equal(&r.records[i], &m->records[i]);
    free(r.records);
    manifest_free(m);
}

/* A newer writer's larger header and records: the decoder steps by the sizes
 * the header gives and ignores the bytes it does not know. */
static void test_newer_writer_sizes(void **state)
{
    (void)state;
    static const size_t extras[][2] = {{0, 8}, {16, 0}, {48, 200}, {0, 65536 - 1184}};
    for (unsigned int k = 0; k < sizeof(extras) / sizeof(extras[0]); k++) {
        struct manifest *m = manifest_new(3);
        m->header_extra = extras[k][0];
        m->record_extra = extras[k][1];
        m->header.header_bytes = (uint16_t)(HEADER_BYTES + m->header_extra);
        m->header.record_bytes = (uint32_t)(RECORD_BYTES + m->record_extra);
        struct result r = decode(m);
        if (r.rc != 3)
            fail_msg("header +%zu, records +%zu: got %d (%s)", extras[k][0], extras[k][1], r.rc,
                     r.why);
        for (unsigned int i = 0; i < 3; i++)
            assert_records_equal(&r.records[i], &m->records[i]);
        free(r.records);
        manifest_free(m);
    }
}

/* ---- Bad sizes and counts ---------------------------------------------- */

static void test_short_buffer(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    manifest_encode(m);
    for (size_t length = 0; length < HEADER_BYTES; length++) {
        struct result r = decode_bytes(m, length);
        assert_int_equal(r.rc, -XC_EINVAL);
        assert_non_null(strstr(r.why, "shorter than its header"));
        free(r.records);
    }
    struct xencore_domain_record records[XENCORE_MANIFEST_MAX_DOMAINS];
    char why[160];
    assert_int_equal(manifest_decode(NULL, 4096, records, why, sizeof(why)), -XC_EINVAL);
    assert_non_null(strstr(why, "manifest"));
    manifest_free(m);
}

/* Every prefix of a good manifest is rejected (a record that does not fit is
 * never read), and the full one is accepted. */
static void test_every_truncation_rejected(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(2);
    manifest_encode(m);
    for (size_t length = 0; length < m->length; length++) {
        struct result r = decode_bytes(m, length);
        if (r.rc != -XC_EINVAL)
            fail_msg("%zu of %zu bytes: got %d", length, m->length, r.rc);
        assert_true(strlen(r.why) > 0);
        free(r.records);
    }
    struct result r = decode_bytes(m, m->length);
    assert_int_equal(r.rc, 2);
    free(r.records);
    manifest_free(m);
}

static void test_bad_magic_or_version(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    m->header.magic = 0x584d4358u; /* "XCMX" */
    assert_rejected_why(m, "magic", "0x584d4358");
    m->header.magic = __builtin_bswap32(XENCORE_MANIFEST_MAGIC); /* big-endian writer */
    assert_rejected_why(m, "magic", NULL);

    m->header.magic = XENCORE_MANIFEST_MAGIC;
    m->header.version = 2;
    assert_rejected_why(m, "version 2", NULL);
    m->header.version = 0;
    assert_rejected_why(m, "version 0", NULL);
    manifest_free(m);
}

static void test_bad_header_size(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    m->header.header_bytes = HEADER_BYTES - 1;
    assert_rejected_why(m, "header size 15", NULL);
    m->header.header_bytes = 0;
    assert_rejected_why(m, "header size 0", NULL);

    /* Larger than the whole manifest. */
    m->header.header_bytes = (uint16_t)(HEADER_BYTES + RECORD_BYTES + 1);
    assert_rejected_why(m, "header size", NULL);
    m->header.header_bytes = 0xffff;
    assert_rejected_why(m, "header size 65535", NULL);
    /* Within the file, but then the record no longer fits after it. */
    m->header.header_bytes = HEADER_BYTES + 8;
    assert_rejected_why(m, "truncated", NULL);
    manifest_free(m);
}

static void test_too_many_domains(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(XENCORE_MANIFEST_MAX_DOMAINS + 1);
    assert_rejected_why(m, "65 domains", "more than 64");
    m->header.domain_count = UINT32_MAX;
    assert_rejected_why(m, "4294967295 domains", NULL);
    manifest_free(m);
}

static void test_bad_record_size(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(2);
    m->header.record_bytes = RECORD_BYTES - 1;
    assert_rejected_why(m, "record size 1183", NULL);
    m->header.record_bytes = 0;
    assert_rejected_why(m, "record size 0", NULL);
    m->header.record_bytes = UINT32_MAX;
    assert_rejected_why(m, "record size", NULL);
    manifest_free(m);
}

static void test_records_do_not_fit(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(3);
    m->count = 2; /* the header says 3, the bytes hold 2 */
    assert_rejected_why(m, "truncated", "3 records of 1184 bytes");

    /* Records as large as the format allows, more than the bytes hold. */
    m->count = 3;
    m->record_extra = 100;
    m->header.record_bytes = RECORD_BYTES + 200;
    assert_rejected_why(m, "truncated", NULL);
    /* 64 records of 64 KiB: the product must not wrap in 32 bits. */
    m->header.domain_count = 64;
    m->header.record_bytes = 65536;
    assert_rejected_why(m, "truncated", NULL);
    manifest_free(m);
}

/* ---- Bad records ------------------------------------------------------- */

/* Index of the record the field tests break: in the middle of several, so
 * the reason must name the right one. */
#define BAD 4
#define RECORDS 7

static void test_bad_names(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    memset(m->records[BAD].name, 'x', sizeof(m->records[BAD].name)); /* no NUL */
    assert_rejected_why(m, "domain 4", "name");
    m->records[BAD].name[0] = '\0';
    assert_rejected_why(m, "domain 4", "name");
    m->records[0].name[0] = '\0';
    assert_rejected_why(m, "domain 0", "name");
    manifest_free(m);

    /* The documented character set: [A-Za-z0-9_.-]. */
    static const char *const bad[] = {"web server", "a/b", "../etc", "x\n", "dom%s", "caf\xc3\xa9"};
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = manifest_new(RECORDS);
        strcpy(m->records[BAD].name, bad[i]);
        struct result r = decode(m);
        if (r.rc != -XC_EINVAL)
            fail_msg("name \"%s\" accepted (%d)", bad[i], r.rc);
        assert_non_null(strstr(r.why, "domain 4"));
        assert_non_null(strstr(r.why, "name"));
        free(r.records);
        manifest_free(m);
    }
}

static void test_bad_kernel_module(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    memset(m->records[BAD].kernel_module, 'k', sizeof(m->records[BAD].kernel_module));
    assert_rejected_why(m, "'db'", "kernel module");
    m->records[BAD].kernel_module[0] = '\0';
    assert_rejected_why(m, "'db'", "kernel module");
    manifest_free(m);
}

static void test_unterminated_cmdline(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    memset(m->records[BAD].cmdline, 'c', sizeof(m->records[BAD].cmdline));
    assert_rejected_why(m, "'db'", "command line");
    manifest_free(m);
}

static void test_bad_vcpus(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    m->records[BAD].vcpus = 0;
    assert_rejected_why(m, "'db'", "0 vcpus");
    m->records[BAD].vcpus = 129;
    assert_rejected_why(m, "'db'", "129 vcpus");
    m->records[BAD].vcpus = UINT32_MAX;
    assert_rejected_why(m, "'db'", "4294967295 vcpus");
    m->records[BAD].vcpus = 128;
    struct result r = decode(m);
    assert_int_equal(r.rc, RECORDS);
    assert_int_equal(r.records[BAD].vcpus, 128);
    free(r.records);
    manifest_free(m);
}

static void test_no_memory(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    m->records[BAD].memory_kib = 0;
    assert_rejected_why(m, "'db'", "no memory");
    manifest_free(m);
}

static void test_unknown_flags(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    m->records[BAD].flags = 1;
    assert_rejected_why(m, "'db'", "flags 0x1");
    m->records[BAD].flags = 0x80000000u;
    assert_rejected_why(m, "'db'", "flags 0x80000000");
    manifest_free(m);
}

/* One bad record rejects the whole manifest, even the last of 64. */
static void test_last_record_bad(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(XENCORE_MANIFEST_MAX_DOMAINS);
    m->records[63].memory_kib = 0;
    struct result r = decode(m);
    assert_int_equal(r.rc, -XC_EINVAL);
    assert_non_null(strstr(r.why, m->records[63].name));
    free(r.records);
    manifest_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_domain),
        cmocka_unit_test(test_no_domains),
        cmocka_unit_test(test_sixty_four_domains),
        cmocka_unit_test(test_newer_writer_sizes),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_bad_magic_or_version),
        cmocka_unit_test(test_bad_header_size),
        cmocka_unit_test(test_too_many_domains),
        cmocka_unit_test(test_bad_record_size),
        cmocka_unit_test(test_records_do_not_fit),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_kernel_module),
        cmocka_unit_test(test_unterminated_cmdline),
        cmocka_unit_test(test_bad_vcpus),
        cmocka_unit_test(test_no_memory),
        cmocka_unit_test(test_unknown_flags),
        cmocka_unit_test(test_last_record_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
