/* Unit tests of the ACPI tables given to guests (arch/x86/guest_acpi.c).
 *
 * A PVH guest counts its CPUs by following hvm_start_info.rsdp_paddr:
 * RSDP -> XSDT -> MADT, and an OS also reads the FADT and the DSDT it points
 * at. One wrong checksum, length or pointer and a guest OS ignores the
 * tables or, worse, believes a wrong CPU count. The tests build the tables
 * for 1, 4 and the most vCPUs a domain may have, as they would lie at a
 * guest-physical address, and follow the chain as a guest does: every
 * signature, length and checksum (the RSDP's two included), the XSDT's two
 * entries, the FADT's hardware-reduced flag and DSDT pointers, the empty
 * DSDT, and the MADT read by the hypervisor's own parser (madt_parse), which
 * must find exactly the vCPU ids 0..N-1, all enabled, and no 8259 or I/O
 * APIC. A buffer one byte short is -XC_ENOSPC and is left untouched; nothing
 * is written past the bytes reported used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <xencore/domain.h>

#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/le.h"
#include "x86/acpi.h"

#define PAGE_BYTES 4096
#define TABLES_GPA 0x123000ULL
#define STALE_BYTE 0xa5

struct built {
    uint8_t bytes[PAGE_BYTES];
    uint64_t gpa;
    long used;
    uint64_t rsdp_gpa;
};

static struct built *build(uint32_t nr_vcpus, uint64_t gpa)
{
    struct built *b = malloc(sizeof(*b));
    assert_non_null(b);
    memset(b->bytes, STALE_BYTE, sizeof(b->bytes));
    b->gpa = gpa;
    b->rsdp_gpa = 0;
    b->used = arch_guest_firmware_tables(nr_vcpus, gpa, b->bytes, sizeof(b->bytes), &b->rsdp_gpa);
    if (b->used <= 0)
        fail_msg("building tables for %u vCPUs gave %ld", nr_vcpus, b->used);
    assert_true(b->used <= PAGE_BYTES);
    return b;
}

/* The table a guest-physical pointer names: its place in the buffer, after
 * checking that the whole table (per its own length) lies in the used part. */
static const uint8_t *table_at(const struct built *b, uint64_t gpa, const char *signature)
{
    if (gpa < b->gpa || gpa - b->gpa >= (uint64_t)b->used)
        fail_msg("%s pointer 0x%llx lies outside the tables [0x%llx, +%ld)", signature,
                 (unsigned long long)gpa, (unsigned long long)b->gpa, b->used);
    size_t off = (size_t)(gpa - b->gpa);
    char why[128];
    if (acpi_table_check(b->bytes + off, (size_t)b->used - off, signature, why, sizeof(why)))
        fail_msg("%s: %s", signature, why);
    assert_memory_equal(b->bytes + off + ACPI_HEADER_OEM_ID, "XENCOR", 6);
    return b->bytes + off;
}

static const uint8_t *rsdp_of(const struct built *b)
{
    assert_int_equal(b->rsdp_gpa % RSDP_ALIGN_BYTES, 0);
    assert_true(b->rsdp_gpa >= b->gpa && b->rsdp_gpa + RSDP_V2_BYTES <= b->gpa + b->used);
    const uint8_t *rsdp = b->bytes + (b->rsdp_gpa - b->gpa);
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_true(acpi_checksum_ok(rsdp, RSDP_V1_BYTES));
    assert_true(acpi_checksum_ok(rsdp, RSDP_V2_BYTES));
    assert_int_equal(rsdp[RSDP_REVISION_OFFSET], 2);
    assert_int_equal(le32(rsdp + RSDP_LENGTH_OFFSET), RSDP_V2_BYTES);
    assert_int_equal(le32(rsdp + RSDP_RSDT_OFFSET), 0);
    assert_memory_equal(rsdp + RSDP_OEM_ID_OFFSET, "XENCOR", 6);
    return rsdp;
}

/* The XSDT's entries by signature. */
struct chain {
    const uint8_t *xsdt, *fadt, *madt, *dsdt;
};

static struct chain follow(const struct built *b)
{
    struct chain c = {0};
    const uint8_t *rsdp = rsdp_of(b);
    c.xsdt = table_at(b, le64(rsdp + RSDP_XSDT_OFFSET), ACPI_SIG_XSDT);
    uint32_t xsdt_length = le32(c.xsdt + ACPI_HEADER_LENGTH);
    assert_int_equal(xsdt_length, ACPI_HEADER_BYTES + 2 * 8);
    for (uint32_t off = ACPI_HEADER_BYTES; off < xsdt_length; off += 8) {
        uint64_t gpa = le64(c.xsdt + off);
        assert_true(gpa >= b->gpa && gpa - b->gpa < (uint64_t)b->used);
        const uint8_t *t = b->bytes + (gpa - b->gpa);
        if (!memcmp(t, ACPI_SIG_FADT, 4) && !c.fadt)
            c.fadt = table_at(b, gpa, ACPI_SIG_FADT);
        else if (!memcmp(t, ACPI_SIG_MADT, 4) && !c.madt)
            c.madt = table_at(b, gpa, ACPI_SIG_MADT);
        else
            fail_msg("XSDT entry at offset %u names '%.4s'", off, (const char *)t);
    }
    assert_non_null(c.fadt);
    assert_non_null(c.madt);

    assert_int_equal(le32(c.fadt + ACPI_HEADER_LENGTH), FADT_V6_BYTES);
    assert_int_equal(c.fadt[ACPI_HEADER_REVISION], 6);
    uint64_t x_dsdt = le64(c.fadt + FADT_X_DSDT);
    c.dsdt = table_at(b, x_dsdt, ACPI_SIG_DSDT);
    if (x_dsdt <= UINT32_MAX)
        assert_int_equal(le32(c.fadt + FADT_DSDT), x_dsdt);
    else
        assert_int_equal(le32(c.fadt + FADT_DSDT), 0);
    return c;
}

/* The tables never overlap: each starts at or after the end of the one
 * before it in the buffer. */
static void assert_disjoint(const struct built *b, const struct chain *c)
{
    const uint8_t *t[] = {b->bytes + (b->rsdp_gpa - b->gpa), c->xsdt, c->fadt, c->dsdt, c->madt};
    size_t len[] = {RSDP_V2_BYTES, le32(c->xsdt + 4), le32(c->fadt + 4), le32(c->dsdt + 4),
                    le32(c->madt + 4)};
    for (unsigned int i = 0; i < 5; i++)
        for (unsigned int j = 0; j < 5; j++)
            if (i != j)
                assert_true(t[i] + len[i] <= t[j] || t[j] + len[j] <= t[i]);
}

static void check_tables(uint32_t nr_vcpus, uint64_t gpa)
{
    struct built *b = build(nr_vcpus, gpa);
    struct chain c = follow(b);
    assert_disjoint(b, &c);

    /* FADT: hardware-reduced, no FACS, no SCI, no PM timer, no reset register. */
    uint32_t flags = le32(c.fadt + FADT_FLAGS);
    assert_int_equal(flags, FADT_FLAG_HW_REDUCED_ACPI);
    assert_int_equal(FADT_FLAG_HW_REDUCED_ACPI, 1U << 20);
    /* IA-PC boot flags: no VGA, no CMOS RTC, no 8042, no legacy devices. */
    assert_int_equal(le16(c.fadt + 109), (1U << 2) | (1U << 5));
    assert_int_equal(le32(c.fadt + 36), 0);      /* FIRMWARE_CTRL */
    assert_int_equal(le64(c.fadt + 132), 0);     /* X_FIRMWARE_CTRL */
    assert_int_equal(le16(c.fadt + 46), 0);      /* SCI_INT */
    assert_int_equal(le32(c.fadt + 76), 0);      /* PM_TMR_BLK */
    assert_int_equal(le64(c.fadt + 208 + 4), 0); /* X_PM_TMR_BLK address */

    /* DSDT: a header and no AML. */
    assert_int_equal(le32(c.dsdt + ACPI_HEADER_LENGTH), ACPI_HEADER_BYTES);

    /* MADT, through the hypervisor's own parser. */
    uint32_t madt_length = le32(c.madt + ACPI_HEADER_LENGTH);
    assert_int_equal(madt_length, MADT_ENTRIES + nr_vcpus * MADT_X2APIC_ENTRY_BYTES);
    assert_int_equal(le32(c.madt + MADT_FLAGS), 0); /* no 8259 pair */
    struct madt_info *info = malloc(sizeof(*info));
    assert_non_null(info);
    char why[128];
    if (madt_parse(c.madt, madt_length, info, why, sizeof(why)))
        fail_msg("madt_parse: %s", why);
    assert_int_equal(info->lapic_address, LAPIC_DEFAULT_ADDRESS);
    assert_int_equal(info->cpus_found, nr_vcpus);
    assert_int_equal(info->cpus_stored, nr_vcpus);
    assert_int_equal(info->cpus_disabled, 0);
    assert_int_equal(info->duplicates, 0);
    assert_int_equal(info->io_apics, 0);
    for (uint32_t i = 0; i < nr_vcpus; i++)
        assert_int_equal(info->apic_ids[i], i);
    free(info);
    /* Every entry an x2APIC entry whose ACPI processor UID is the vCPU id. */
    for (uint32_t i = 0; i < nr_vcpus; i++) {
        const uint8_t *e = c.madt + MADT_ENTRIES + i * MADT_X2APIC_ENTRY_BYTES;
        assert_int_equal(e[0], MADT_TYPE_LOCAL_X2APIC);
        assert_int_equal(e[1], 16);
        assert_int_equal(le32(e + MADT_X2APIC_ID), i);
        assert_int_equal(le32(e + MADT_X2APIC_FLAGS), MADT_CPU_ENABLED);
        assert_int_equal(le32(e + MADT_X2APIC_UID), i);
    }

    /* Nothing written past what was reported used. */
    for (size_t i = (size_t)b->used; i < sizeof(b->bytes); i++)
        if (b->bytes[i] != STALE_BYTE)
            fail_msg("byte %zu past the %ld used was written", i, b->used);
    free(b);
}

static void test_one_vcpu(void **state)
{
    (void)state;
    check_tables(1, TABLES_GPA);
}

static void test_four_vcpus(void **state)
{
    (void)state;
    check_tables(4, TABLES_GPA);
}

/* The largest domain's tables fit the one page the domain builder keeps. */
static void test_most_vcpus(void **state)
{
    (void)state;
    check_tables(XENCORE_DOMAIN_MAX_VCPUS, TABLES_GPA);
    check_tables(XENCORE_DOMAIN_MAX_VCPUS, 0);
}

/* Above 4 GiB the 32-bit DSDT pointer is 0 and X_DSDT alone names it. */
static void test_tables_above_4g(void **state)
{
    (void)state;
    check_tables(4, 0x100000000ULL);
    check_tables(2, 0xfffff000ULL); /* just below: both pointers */
}

/* A change to any byte of any table breaks that table's checksum: each
 * checksum covers the table's whole length. */
static void test_every_byte_checksummed(void **state)
{
    (void)state;
    struct built *b = build(4, TABLES_GPA);
    struct chain c = follow(b);
    const uint8_t *tables[] = {c.xsdt, c.fadt, c.dsdt, c.madt};
    for (unsigned int t = 0; t < 4; t++) {
        uint8_t *p = (uint8_t *)(uintptr_t)tables[t];
        uint32_t length = le32(p + ACPI_HEADER_LENGTH);
        for (uint32_t i = 0; i < length; i++) {
            p[i] ^= 0x01;
            if (acpi_checksum_ok(p, length))
                fail_msg("%.4s: byte %u is not covered by the checksum", (const char *)p, i);
            p[i] ^= 0x01;
        }
    }
    uint8_t *rsdp = b->bytes + (b->rsdp_gpa - b->gpa);
    for (uint32_t i = 0; i < RSDP_V2_BYTES; i++) {
        rsdp[i] ^= 0x01;
        assert_false(acpi_checksum_ok(rsdp, RSDP_V2_BYTES));
        if (i < RSDP_V1_BYTES)
            assert_false(acpi_checksum_ok(rsdp, RSDP_V1_BYTES));
        rsdp[i] ^= 0x01;
    }
    free(b);
}

/* Built into an exactly sized heap buffer (ASan sees any write past it),
 * and a buffer one byte short is refused with nothing written. */
static void test_buffer_sizes(void **state)
{
    (void)state;
    static const uint32_t counts[] = {1, 4, XENCORE_DOMAIN_MAX_VCPUS};
    for (unsigned int k = 0; k < 3; k++) {
        struct built *b = build(counts[k], TABLES_GPA);
        size_t used = (size_t)b->used;
        uint8_t *exact = malloc(used);
        assert_non_null(exact);
        uint64_t rsdp = 0;
        assert_int_equal(arch_guest_firmware_tables(counts[k], TABLES_GPA, exact, used, &rsdp),
                         (long)used);
        assert_int_equal(rsdp, b->rsdp_gpa);
        assert_memory_equal(exact, b->bytes, used);

        memset(exact, STALE_BYTE, used);
        rsdp = 0x1234;
        assert_int_equal(arch_guest_firmware_tables(counts[k], TABLES_GPA, exact, used - 1, &rsdp),
                         -XC_ENOSPC);
        assert_int_equal(rsdp, 0x1234);
        for (size_t i = 0; i < used; i++)
            assert_int_equal(exact[i], STALE_BYTE);
        assert_int_equal(arch_guest_firmware_tables(counts[k], TABLES_GPA, exact, 0, &rsdp),
                         -XC_ENOSPC);
        assert_int_equal(arch_guest_firmware_tables(counts[k], TABLES_GPA, NULL, 0, &rsdp),
                         -XC_ENOSPC);
        free(exact);
        free(b);
    }
}

static void test_bad_requests(void **state)
{
    (void)state;
    uint8_t buffer[PAGE_BYTES];
    uint64_t rsdp = 0;
    assert_int_equal(arch_guest_firmware_tables(0, TABLES_GPA, buffer, sizeof(buffer), &rsdp),
                     -XC_EINVAL);
    assert_int_equal(arch_guest_firmware_tables(XENCORE_DOMAIN_MAX_VCPUS + 1, TABLES_GPA, buffer,
                                                sizeof(buffer), &rsdp),
                     -XC_EINVAL);
    /* The RSDP must be 16-byte aligned. */
    assert_int_equal(arch_guest_firmware_tables(1, TABLES_GPA + 8, buffer, sizeof(buffer), &rsdp),
                     -XC_EINVAL);
    /* Tables that would run past the top of the address space. */
    assert_int_equal(arch_guest_firmware_tables(1, UINT64_MAX - 15, buffer, sizeof(buffer), &rsdp),
                     -XC_EINVAL);
    assert_int_equal(rsdp, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_vcpu),
        cmocka_unit_test(test_four_vcpus),
        cmocka_unit_test(test_most_vcpus),
        cmocka_unit_test(test_tables_above_4g),
        cmocka_unit_test(test_every_byte_checksummed),
        cmocka_unit_test(test_buffer_sizes),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
