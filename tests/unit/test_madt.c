/* Unit tests of the ACPI parsers (arch/x86/acpi_madt.c, arch/x86/acpi_table.c).
 *
 * The MADT decides which CPUs the hypervisor starts. x2APIC support means
 * 32-bit APIC IDs and more than 255 CPUs, which no emulator in CI provides,
 * so these tests build synthetic MADTs: hundreds of x2APIC entries with IDs
 * spread over 32 bits, mixed and disabled entries, duplicates, more CPUs than
 * the build limit, and the malformed tables firmware really ships (bad
 * checksums, lengths that lie). acpi_find_s5 reads AML from the DSDT to learn
 * how to power off; it must find \_S5 in its usual encodings and never read
 * past the table. Tables are parsed from exactly sized heap copies so
 * AddressSanitizer catches any read beyond them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "le_put.h"

#include "lib/errno.h"
#include "x86/acpi.h"

/* ---- Building tables ------------------------------------------------------ */

#define MADT_FIXED_BYTES 44
#define MADT_DEFAULT_LAPIC 0xfee00000U

struct table {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
};

static uint8_t *table_grow(struct table *t, size_t n)
{
    if (t->length + n > t->capacity) {
        t->capacity = (t->length + n) * 2;
        t->bytes = realloc(t->bytes, t->capacity);
        assert_non_null(t->bytes);
    }
    uint8_t *p = t->bytes + t->length;
    memset(p, 0, n);
    t->length += n;
    return p;
}

/* A 36-byte ACPI header with @signature; length and checksum come later. */
static void table_begin(struct table *t, const char *signature)
{
    memset(t, 0, sizeof(*t));
    uint8_t *h = table_grow(t, ACPI_HEADER_BYTES);
    memcpy(h, signature, 4);
    h[8] = 3; /* revision */
    memcpy(h + 10, "XENCOR", 6);
    memcpy(h + 16, "UNITTEST", 8);
    put32(h + 24, 1);
    memcpy(h + 28, "XCTS", 4);
    put32(h + 32, 1);
}

/* Sets the length field to the bytes built and makes the checksum right. */
static void table_finish(struct table *t)
{
    put32(t->bytes + 4, (uint32_t)t->length);
    t->bytes[9] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < t->length; i++)
        sum = (uint8_t)(sum + t->bytes[i]);
    t->bytes[9] = (uint8_t)(0x100 - sum);
}

static void madt_begin(struct table *t, uint32_t lapic_address)
{
    table_begin(t, ACPI_SIG_MADT);
    uint8_t *p = table_grow(t, MADT_FIXED_BYTES - ACPI_HEADER_BYTES);
    put32(p, lapic_address);
    put32(p + 4, 1); /* PCAT_COMPAT */
}

static void madt_lapic(struct table *t, uint8_t uid, uint8_t apic_id, uint32_t flags)
{
    uint8_t *e = table_grow(t, 8);
    e[0] = MADT_TYPE_LOCAL_APIC;
    e[1] = 8;
    e[2] = uid;
    e[3] = apic_id;
    put32(e + 4, flags);
}

static void madt_x2apic(struct table *t, uint32_t x2apic_id, uint32_t flags, uint32_t uid)
{
    uint8_t *e = table_grow(t, 16);
    e[0] = MADT_TYPE_LOCAL_X2APIC;
    e[1] = 16;
    put16(e + 2, 0);
    put32(e + 4, x2apic_id);
    put32(e + 8, flags);
    put32(e + 12, uid);
}

static void madt_io_apic(struct table *t, uint8_t id, uint32_t address, uint32_t gsi_base)
{
    uint8_t *e = table_grow(t, 12);
    e[0] = MADT_TYPE_IO_APIC;
    e[1] = 12;
    e[2] = id;
    put32(e + 4, address);
    put32(e + 8, gsi_base);
}

static void madt_lapic_override(struct table *t, uint64_t address)
{
    uint8_t *e = table_grow(t, 12);
    e[0] = MADT_TYPE_LAPIC_ADDRESS_OVERRIDE;
    e[1] = 12;
    put64(e + 4, address);
}

/* An entry of any type with raw bytes (for bad lengths). */
static void madt_raw(struct table *t, const uint8_t *bytes, size_t n)
{
    memcpy(table_grow(t, n), bytes, n);
}

struct parse_result {
    int rc;
    struct madt_info *info;
    char why[160];
};

/* Parses the first @available bytes of @t from an exactly sized heap copy. */
static void parse_exact(const struct table *t, size_t available, struct parse_result *r)
{
    uint8_t *copy = malloc(available ? available : 1);
    assert_non_null(copy);
    memcpy(copy, t->bytes, available);
    r->info = calloc(1, sizeof(*r->info));
    assert_non_null(r->info);
    r->why[0] = '\0';
    r->rc = madt_parse(copy, available, r->info, r->why, sizeof(r->why));
    free(copy);
}

static void assert_refused(const struct table *t, size_t available, const char *key)
{
    struct parse_result r;
    parse_exact(t, available, &r);
    if (r.rc == 0 || !strstr(r.why, key))
        print_error("expected a failure mentioning '%s', got %d: '%s'\n", key, r.rc, r.why);
    assert_int_equal(r.rc, -XC_EINVAL);
    assert_int_not_equal(r.why[0], '\0');
    assert_non_null(strstr(r.why, key));
    free(r.info);
}

/* ---- Checksums and headers ------------------------------------------------ */

static void test_checksum(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    table_finish(&t);
    assert_true(acpi_checksum_ok(t.bytes, t.length));
    for (size_t i = 0; i < t.length; i++) {
        t.bytes[i] ^= 0x20;
        assert_false(acpi_checksum_ok(t.bytes, t.length));
        t.bytes[i] ^= 0x20;
    }
    assert_true(acpi_checksum_ok(t.bytes, 0));
    free(t.bytes);
}

static void test_table_check(void **state)
{
    (void)state;
    struct table t;
    table_begin(&t, ACPI_SIG_FADT);
    table_grow(&t, 100);
    table_finish(&t);
    char why[128] = "";
    assert_int_equal(acpi_table_check(t.bytes, t.length, ACPI_SIG_FADT, why, sizeof(why)), 0);
    assert_int_equal(acpi_table_check(t.bytes, t.length, NULL, why, sizeof(why)), 0);

    assert_int_equal(acpi_table_check(t.bytes, t.length, ACPI_SIG_DSDT, why, sizeof(why)),
                     -XC_EINVAL);
    assert_non_null(strstr(why, "signature"));
    assert_int_equal(acpi_table_check(t.bytes, 35, NULL, why, sizeof(why)), -XC_EINVAL);
    assert_non_null(strstr(why, "shorter than its header"));
    assert_int_equal(acpi_table_check(t.bytes, t.length - 1, NULL, why, sizeof(why)), -XC_EINVAL);
    assert_non_null(strstr(why, "claims"));
    /* Bytes after the table are not part of it. */
    table_grow(&t, 3);
    t.bytes[t.length - 1] = 0x55;
    assert_int_equal(acpi_table_check(t.bytes, t.length, ACPI_SIG_FADT, why, sizeof(why)), 0);
    put32(t.bytes + 4, 20); /* shorter than a header */
    assert_int_equal(acpi_table_check(t.bytes, t.length, NULL, why, sizeof(why)), -XC_EINVAL);
    assert_non_null(strstr(why, "claims"));
    free(t.bytes);
}

/* ---- MADT contents -------------------------------------------------------- */

static void test_512_x2apic_ids_over_32_bits(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    uint32_t ids[512];
    for (uint32_t i = 0; i < 512; i++) {
        ids[i] = i * 8000009U + 7; /* 7 .. 4088004606: past 255, 65535 and 2^31 */
        madt_x2apic(&t, ids[i], MADT_CPU_ENABLED, i);
    }
    assert_true(ids[1] > 255 && ids[9] > 65535 && ids[511] > 0x80000000U);
    table_finish(&t);

    struct parse_result r;
    parse_exact(&t, t.length, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.info->cpus_found, 512);
    assert_int_equal(r.info->cpus_stored, 512);
    assert_int_equal(r.info->cpus_disabled, 0);
    assert_int_equal(r.info->duplicates, 0);
    assert_int_equal(r.info->lapic_address, MADT_DEFAULT_LAPIC);
    for (unsigned int i = 0; i < 512; i++)
        assert_int_equal(r.info->apic_ids[i], ids[i]);
    free(r.info);
    free(t.bytes);
}

static void test_512_x2apic_small_ids(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    for (uint32_t i = 0; i < 512; i++)
        madt_x2apic(&t, i * 1000 + 7, MADT_CPU_ENABLED, i);
    table_finish(&t);
    struct parse_result r;
    parse_exact(&t, t.length, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.info->cpus_found, 512);
    for (unsigned int i = 0; i < 512; i++)
        assert_int_equal(r.info->apic_ids[i], i * 1000 + 7);
    free(r.info);
    free(t.bytes);
}

static void test_mixed_entries(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    madt_lapic(&t, 1, 1, 0);                       /* absent */
    madt_lapic(&t, 2, 2, MADT_CPU_ONLINE_CAPABLE); /* hot-pluggable, not enabled */
    madt_io_apic(&t, 8, 0xfec00000, 0);
    madt_lapic(&t, 3, 5, MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE);
    madt_x2apic(&t, 300, MADT_CPU_ENABLED, 4);
    madt_x2apic(&t, 5, MADT_CPU_ENABLED, 5);                      /* ID 5 again, as x2APIC */
    madt_x2apic(&t, MADT_X2APIC_ID_INVALID, MADT_CPU_ENABLED, 6); /* placeholder */
    madt_x2apic(&t, 0x12345678, 0, 7);                            /* disabled */
    madt_io_apic(&t, 9, 0xfec01000, 24);
    madt_lapic(&t, 8, 255, MADT_CPU_ENABLED);
    madt_x2apic(&t, 70000, MADT_CPU_ENABLED, 9);
    madt_lapic(&t, 10, 0, MADT_CPU_ENABLED);    /* ID 0 again */
    uint8_t other[6] = { 4, 6, 0xff, 0, 0, 1 }; /* local APIC NMI: not ours */
    madt_raw(&t, other, sizeof(other));
    table_finish(&t);

    struct parse_result r;
    parse_exact(&t, t.length, &r);
    assert_int_equal(r.rc, 0);
    static const uint32_t expected[] = { 0, 5, 300, 255, 70000 };
    assert_int_equal(r.info->cpus_found, 5);
    assert_int_equal(r.info->cpus_stored, 5);
    assert_int_equal(r.info->cpus_disabled, 3);
    assert_int_equal(r.info->duplicates, 2);
    assert_int_equal(r.info->io_apics, 2);
    for (unsigned int i = 0; i < 5; i++)
        assert_int_equal(r.info->apic_ids[i], expected[i]);
    free(r.info);
    free(t.bytes);
}

/* More enabled CPUs than the build handles: all are counted, the first
 * XENCORE_MAX_CPUS are kept. */
static void test_more_cpus_than_build_limit(void **state)
{
    (void)state;
    assert_int_equal(XENCORE_MAX_CPUS, 4096);
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    for (uint32_t i = 0; i <= XENCORE_MAX_CPUS; i++)
        madt_x2apic(&t, i * 3 + 1, MADT_CPU_ENABLED, i);
    table_finish(&t);
    struct parse_result r;
    parse_exact(&t, t.length, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.info->cpus_found, XENCORE_MAX_CPUS + 1);
    assert_int_equal(r.info->cpus_stored, XENCORE_MAX_CPUS);
    assert_int_equal(r.info->duplicates, 0);
    for (unsigned int i = 0; i < XENCORE_MAX_CPUS; i++)
        assert_int_equal(r.info->apic_ids[i], i * 3 + 1);
    free(r.info);
    free(t.bytes);
}

static void test_lapic_address_override(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    madt_lapic_override(&t, 0x123456789000ULL);
    madt_lapic(&t, 1, 1, MADT_CPU_ENABLED);
    table_finish(&t);
    struct parse_result r;
    parse_exact(&t, t.length, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.info->lapic_address, 0x123456789000ULL);
    assert_int_equal(r.info->cpus_found, 2);
    free(r.info);
    free(t.bytes);

    madt_begin(&t, 0xfee01000U);
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    table_finish(&t);
    parse_exact(&t, t.length, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.info->lapic_address, 0xfee01000U);
    free(r.info);
    free(t.bytes);
}

/* The header's length bounds the entries, not the bytes the caller offers. */
static void test_length_field_bounds_entries(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    madt_lapic(&t, 0, 7, MADT_CPU_ENABLED);
    table_finish(&t);
    uint8_t junk[8] = { MADT_TYPE_LOCAL_APIC, 0, 0, 0, 0, 0, 0, 0 }; /* would be refused */
    madt_raw(&t, junk, sizeof(junk));
    struct parse_result r;
    parse_exact(&t, t.length, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.info->cpus_found, 1);
    assert_int_equal(r.info->apic_ids[0], 7);
    free(r.info);
    free(t.bytes);
}

/* ---- Malformed MADTs ------------------------------------------------------ */

static void build_small_madt(struct table *t)
{
    madt_begin(t, MADT_DEFAULT_LAPIC);
    madt_lapic(t, 0, 0, MADT_CPU_ENABLED);
    madt_x2apic(t, 1000, MADT_CPU_ENABLED, 1);
    table_finish(t);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    struct table t;
    build_small_madt(&t);
    t.bytes[t.length - 1] ^= 1;
    assert_refused(&t, t.length, "checksum");
    free(t.bytes);
}

static void test_wrong_signature(void **state)
{
    (void)state;
    struct table t;
    build_small_madt(&t);
    memcpy(t.bytes, "APIX", 4);
    table_finish(&t);
    assert_refused(&t, t.length, "signature");
    free(t.bytes);
}

static void test_length_larger_than_buffer(void **state)
{
    (void)state;
    struct table t;
    build_small_madt(&t);
    /* A table claiming 8 bytes more than the caller may read, checksum fixed. */
    table_grow(&t, 8);
    table_finish(&t);
    assert_refused(&t, t.length - 8, "claims");
    assert_refused(&t, 20, "shorter than its header");
    free(t.bytes);
}

static void test_too_short_for_fixed_fields(void **state)
{
    (void)state;
    struct table t;
    table_begin(&t, ACPI_SIG_MADT);
    table_grow(&t, 4); /* 40 bytes: lapic address but no flags */
    table_finish(&t);
    assert_refused(&t, t.length, "fixed fields");
    free(t.bytes);
}

static void test_entry_length_zero(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    uint8_t zero[8] = { MADT_TYPE_LOCAL_APIC, 0, 1, 1, 1, 0, 0, 0 };
    madt_raw(&t, zero, sizeof(zero));
    table_finish(&t);
    assert_refused(&t, t.length, "bad length 0");
    free(t.bytes);

    /* Length 0 on a type we otherwise skip: still refused, not a loop. */
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    uint8_t other[4] = { 0x7f, 0, 0, 0 };
    madt_raw(&t, other, sizeof(other));
    table_finish(&t);
    assert_refused(&t, t.length, "bad length 0");
    free(t.bytes);
}

static void test_entry_past_the_end(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    madt_x2apic(&t, 1000, MADT_CPU_ENABLED, 1);
    t.bytes[t.length - 16 + 1] = 24; /* the x2APIC entry claims 8 bytes more than exist */
    table_finish(&t);
    assert_refused(&t, t.length, "bad length 24");
    free(t.bytes);

    /* A lone type byte at the very end. */
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    uint8_t lone[1] = { MADT_TYPE_LOCAL_APIC };
    madt_raw(&t, lone, sizeof(lone));
    table_finish(&t);
    assert_refused(&t, t.length, "truncated");
    free(t.bytes);
}

static void test_x2apic_entry_too_short(void **state)
{
    (void)state;
    struct table t;
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    uint8_t short_x2apic[8] = { MADT_TYPE_LOCAL_X2APIC, 8, 0, 0, 0x10, 0, 0, 0 };
    madt_raw(&t, short_x2apic, sizeof(short_x2apic));
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    madt_lapic(&t, 1, 1, MADT_CPU_ENABLED);
    table_finish(&t);
    assert_refused(&t, t.length, "(type 9) has bad length 8");
    free(t.bytes);

    /* A local APIC entry of 4 bytes and an I/O APIC entry of 8. */
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    uint8_t short_lapic[4] = { MADT_TYPE_LOCAL_APIC, 4, 0, 0 };
    madt_raw(&t, short_lapic, sizeof(short_lapic));
    madt_lapic(&t, 0, 0, MADT_CPU_ENABLED);
    table_finish(&t);
    assert_refused(&t, t.length, "(type 0) has bad length 4");
    free(t.bytes);
    madt_begin(&t, MADT_DEFAULT_LAPIC);
    uint8_t short_io_apic[8] = { MADT_TYPE_IO_APIC, 8, 0, 0, 0, 0, 0xc0, 0xfe };
    madt_raw(&t, short_io_apic, sizeof(short_io_apic));
    table_finish(&t);
    assert_refused(&t, t.length, "(type 1) has bad length 8");
    free(t.bytes);
}

/* Every prefix of a good MADT, offered as all the caller has, with the
 * length field left as it was and with it rewritten to the prefix (checksum
 * fixed): never a crash; the first is always refused. */
static void test_every_truncation(void **state)
{
    (void)state;
    struct table t;
    build_small_madt(&t);
    const size_t total = t.length;
    for (size_t available = 0; available < total; available++) {
        assert_refused(&t, available, "");
        struct table cut = { malloc(total), available, total };
        assert_non_null(cut.bytes);
        memcpy(cut.bytes, t.bytes, total);
        if (available >= 10) { /* room for the length and checksum fields */
            table_finish(&cut);
            struct parse_result r;
            parse_exact(&cut, available, &r);
            assert_int_equal(r.rc, available == 44 || available == 52 ? 0 : -XC_EINVAL);
            free(r.info);
        }
        free(cut.bytes);
    }
    free(t.bytes);
}

/* ---- \_S5 in the DSDT ----------------------------------------------------- */

/* A DSDT with some AML before and after @aml. */
static void build_dsdt(struct table *t, const uint8_t *aml, size_t n)
{
    table_begin(t, ACPI_SIG_DSDT);
    /* Scope (\_SB_) { Name (_HID, ...) }: enough noise with '_' and NameOps. */
    static const uint8_t before[] = { 0x10, 0x0e, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x08,
                                      0x5f, 0x48, 0x49, 0x44, 0x0a, 0x05, 0x5f, 0x53 };
    memcpy(table_grow(t, sizeof(before)), before, sizeof(before));
    memcpy(table_grow(t, n), aml, n);
    static const uint8_t after[] = { 0x14, 0x08, 0x5f, 0x50, 0x54, 0x53, 0x01, 0xa3 };
    memcpy(table_grow(t, sizeof(after)), after, sizeof(after));
    table_finish(t);
}

static bool find_s5_exact(const struct table *t, size_t length, uint8_t *a, uint8_t *b)
{
    uint8_t *copy = malloc(length ? length : 1);
    assert_non_null(copy);
    memcpy(copy, t->bytes, length);
    bool found = acpi_find_s5(copy, length, a, b);
    free(copy);
    return found;
}

static const uint8_t s5_byte_prefix[] = { 0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06,
                                          0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };

static void test_s5_byte_prefix(void **state)
{
    (void)state;
    struct table t;
    build_dsdt(&t, s5_byte_prefix, sizeof(s5_byte_prefix));
    uint8_t a = 0xee, b = 0xee;
    assert_true(find_s5_exact(&t, t.length, &a, &b));
    assert_int_equal(a, 5);
    assert_int_equal(b, 5);
    free(t.bytes);
}

static void test_s5_zero_one(void **state)
{
    (void)state;
    static const uint8_t aml[] = { 0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12,
                                   0x05, 0x04, 0x00, 0x01, 0x00, 0x00 };
    struct table t;
    build_dsdt(&t, aml, sizeof(aml));
    uint8_t a = 0xee, b = 0xee;
    assert_true(find_s5_exact(&t, t.length, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    free(t.bytes);
}

static void test_s5_root_prefix_and_decoys(void **state)
{
    (void)state;
    /* "_S5_" followed by a package but not named by a NameOp (a decoy giving
     * 3/3), then Name (\_S5_, Package) with a two-byte PkgLength. */
    static const uint8_t aml[] = { 0x70, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x04, 0x0a,
                                   0x03, 0x0a, 0x03, 0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f,
                                   0x12, 0x41, 0x00, 0x04, 0x0a, 0x07, 0x01, 0x00, 0x00 };
    struct table t;
    build_dsdt(&t, aml, sizeof(aml));
    uint8_t a = 0xee, b = 0xee;
    assert_true(find_s5_exact(&t, t.length, &a, &b));
    assert_int_equal(a, 7);
    assert_int_equal(b, 1);
    free(t.bytes);
}

static void test_s5_absent(void **state)
{
    (void)state;
    static const uint8_t aml[] = { 0x08, 0x5f, 0x53, 0x34, 0x5f, 0x12, 0x06,
                                   0x04, 0x0a, 0x04, 0x0a, 0x04, 0x00, 0x00 }; /* _S4_ only */
    struct table t;
    build_dsdt(&t, aml, sizeof(aml));
    uint8_t a = 0xee, b = 0xee;
    assert_false(find_s5_exact(&t, t.length, &a, &b));
    assert_int_equal(a, 0xee);
    assert_int_equal(b, 0xee);
    free(t.bytes);

    /* "_S5_" inside the header is not AML. */
    table_begin(&t, ACPI_SIG_DSDT);
    memcpy(t.bytes + 10, "\x08_S5_\x12\x06\x04\x0a\x05\x0a\x05", 12);
    table_finish(&t);
    assert_false(find_s5_exact(&t, t.length, &a, &b));
    assert_false(find_s5_exact(&t, 0, &a, &b));
    free(t.bytes);
}

/* Cut the DSDT at every length, including inside "_S5_" and right after it:
 * nothing is found until both values are inside the table, and nothing past
 * the cut is read. */
static void test_s5_truncated(void **state)
{
    (void)state;
    struct table t;
    build_dsdt(&t, s5_byte_prefix, sizeof(s5_byte_prefix));
    const size_t s5_at = ACPI_HEADER_BYTES + 16; /* the NameOp */
    const size_t complete = s5_at + 12;          /* through the second 0x05 */
    assert_int_equal(memcmp(t.bytes + s5_at + 1, "_S5_", 4), 0);
    for (size_t length = 0; length <= t.length; length++) {
        uint8_t a = 0xee, b = 0xee;
        bool found = find_s5_exact(&t, length, &a, &b);
        assert_int_equal(found, length >= complete);
        if (found) {
            assert_int_equal(a, 5);
            assert_int_equal(b, 5);
        }
    }
    free(t.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_table_check),
        cmocka_unit_test(test_512_x2apic_ids_over_32_bits),
        cmocka_unit_test(test_512_x2apic_small_ids),
        cmocka_unit_test(test_mixed_entries),
        cmocka_unit_test(test_more_cpus_than_build_limit),
        cmocka_unit_test(test_lapic_address_override),
        cmocka_unit_test(test_length_field_bounds_entries),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_wrong_signature),
        cmocka_unit_test(test_length_larger_than_buffer),
        cmocka_unit_test(test_too_short_for_fixed_fields),
        cmocka_unit_test(test_entry_length_zero),
        cmocka_unit_test(test_entry_past_the_end),
        cmocka_unit_test(test_x2apic_entry_too_short),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_s5_byte_prefix),
        cmocka_unit_test(test_s5_zero_one),
        cmocka_unit_test(test_s5_root_prefix_and_decoys),
        cmocka_unit_test(test_s5_absent),
        cmocka_unit_test(test_s5_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
