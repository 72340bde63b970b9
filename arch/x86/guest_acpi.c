/* The ACPI tables a PVH guest is given: how it counts its CPUs.
 *
 * A PVH guest has no firmware, so the domain builder hands it a minimal set
 * of tables through hvm_start_info.rsdp_paddr: an RSDP (ACPI 2.0 form, so
 * the guest follows the XSDT with 64-bit pointers; the RSDT pointer is 0),
 * an XSDT listing the FADT and the MADT, a FADT and an empty DSDT.
 *
 * The platform described is "hardware-reduced" (ACPI 6.5, 4.1): no PM
 * timer, no SCI, no fixed-feature registers, no FACS, so the FADT is zero
 * except for its flag, its revision and the DSDT pointers. An OS (Linux's
 * acpi_generic_reduced_hw_init, ACPICA's reduced-hardware paths) then looks
 * for none of those blocks, and it must not: xencore emulates none of them.
 * The DSDT carries no AML: there are no devices to describe.
 *
 * The MADT lists one Processor Local x2APIC entry per vCPU (x2APIC id and
 * ACPI processor UID both equal to the vCPU id), because each vCPU's virtual
 * local APIC runs in x2APIC mode; its flags are 0 (no PC-AT 8259 pair, no
 * I/O APIC). ACPI 6.5 (5.2.12.12) suggests local APIC entries for ids below
 * 255 for the sake of old OSes; PVH guests are recent, and Linux takes
 * x2APIC-only MADTs as they are.
 *
 * A pure function over a byte buffer (no hypervisor state), built for the
 * host unit tests too. Fields are written byte by byte in little-endian
 * order, never through a packed struct. The largest set (128 vCPUs) is
 * 2,540 bytes: one page. A vCPU count outside 1..XENCORE_DOMAIN_MAX_VCPUS
 * or a @gpa not 16-byte aligned is -XC_EINVAL. */
#include <xencore/domain.h>

#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "x86/acpi.h"

#define GUEST_ACPI_OEM_ID "XENCOR"         /* 6 bytes, no terminator in the table */
#define GUEST_ACPI_OEM_TABLE_ID "XCGUEST " /* 8 bytes */
#define GUEST_ACPI_OEM_REVISION 1
#define GUEST_ACPI_CREATOR_ID "XNCR" /* 4 bytes */
#define GUEST_ACPI_CREATOR_REVISION 1

/* Table revisions: the versions of the layouts written here. */
#define XSDT_REVISION 1
#define FADT_REVISION 6 /* ACPI 6.5: major 6 ... */
#define FADT_MINOR 5    /* ... minor 5 */
#define MADT_REVISION 5 /* as ACPI 6.3 numbers it; the x2APIC entry is older */
#define DSDT_REVISION 2 /* 64-bit AML integers */

#define XSDT_ENTRY_BYTES 8
#define XSDT_ENTRIES 2 /* FADT, MADT */
#define TABLE_ALIGN_BYTES 16

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* The byte that makes the @length bytes at @p sum to zero, with the byte at
 * @p + @checksum_offset counted as zero. */
static uint8_t checksum_byte(const uint8_t *p, size_t length, size_t checksum_offset)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < length; i++)
        if (i != checksum_offset)
            sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* Writes a table header (all but the checksum) at @p. */
static void put_header(uint8_t *p, const char *signature, uint32_t length, uint8_t revision)
{
    memcpy(p, signature, 4);
    put32(p + ACPI_HEADER_LENGTH, length);
    p[ACPI_HEADER_REVISION] = revision;
    memcpy(p + ACPI_HEADER_OEM_ID, GUEST_ACPI_OEM_ID, 6);
    memcpy(p + ACPI_HEADER_OEM_TABLE_ID, GUEST_ACPI_OEM_TABLE_ID, 8);
    put32(p + ACPI_HEADER_OEM_REVISION, GUEST_ACPI_OEM_REVISION);
    memcpy(p + ACPI_HEADER_CREATOR_ID, GUEST_ACPI_CREATOR_ID, 4);
    put32(p + ACPI_HEADER_CREATOR_REVISION, GUEST_ACPI_CREATOR_REVISION);
}

static void seal_table(uint8_t *p, uint32_t length)
{
    p[ACPI_HEADER_CHECKSUM] = checksum_byte(p, length, ACPI_HEADER_CHECKSUM);
}

static size_t align_up(size_t offset)
{
    return (offset + TABLE_ALIGN_BYTES - 1) & ~(size_t)(TABLE_ALIGN_BYTES - 1);
}

long arch_guest_firmware_tables(uint32_t nr_vcpus, uint64_t gpa, void *buffer, size_t size,
                                uint64_t *rsdp_gpa)
{
    const uint32_t xsdt_bytes = ACPI_HEADER_BYTES + XSDT_ENTRIES * XSDT_ENTRY_BYTES;
    const uint32_t dsdt_bytes = ACPI_HEADER_BYTES;
    if (nr_vcpus == 0 || nr_vcpus > XENCORE_DOMAIN_MAX_VCPUS)
        return -XC_EINVAL;
    const uint32_t madt_bytes = MADT_ENTRIES + nr_vcpus * MADT_X2APIC_ENTRY_BYTES;

    /* The RSDP first: it must be 16-byte aligned, and @gpa is (a page). */
    const size_t rsdp_off = 0;
    const size_t xsdt_off = align_up(rsdp_off + RSDP_V2_BYTES);
    const size_t fadt_off = align_up(xsdt_off + xsdt_bytes);
    const size_t dsdt_off = align_up(fadt_off + FADT_V6_BYTES);
    const size_t madt_off = align_up(dsdt_off + dsdt_bytes);
    const size_t total = madt_off + madt_bytes;
    if (gpa % RSDP_ALIGN_BYTES || gpa > UINT64_MAX - total)
        return -XC_EINVAL;
    if (!buffer || size < total)
        return -XC_ENOSPC;

    uint8_t *base = buffer;
    memset(base, 0, total);

    uint8_t *dsdt = base + dsdt_off;
    put_header(dsdt, ACPI_SIG_DSDT, dsdt_bytes, DSDT_REVISION);
    seal_table(dsdt, dsdt_bytes);

    /* Hardware-reduced: everything but the flags, the version and the DSDT
     * stays zero (no FACS, SCI, PM blocks, reset register). The IA-PC boot
     * flags say what a PVH guest does not have: no VGA, no CMOS RTC (its
     * ports read all ones), and no 8042 or legacy devices (those bits 0). */
    uint8_t *fadt = base + fadt_off;
    put_header(fadt, ACPI_SIG_FADT, FADT_V6_BYTES, FADT_REVISION);
    /* Both pointers, equal, when the DSDT lies below 4 GiB (what ACPICA
     * expects of firmware that fills both); above, only X_DSDT. */
    if (gpa + dsdt_off <= UINT32_MAX)
        put32(fadt + FADT_DSDT, (uint32_t)(gpa + dsdt_off));
    put16(fadt + FADT_IAPC_BOOT_ARCH, FADT_BOOT_VGA_NOT_PRESENT | FADT_BOOT_CMOS_RTC_NOT_PRESENT);
    put32(fadt + FADT_FLAGS, FADT_FLAG_HW_REDUCED_ACPI);
    fadt[FADT_MINOR_REVISION] = FADT_MINOR;
    put64(fadt + FADT_X_DSDT, gpa + dsdt_off);
    seal_table(fadt, FADT_V6_BYTES);

    uint8_t *madt = base + madt_off;
    put_header(madt, ACPI_SIG_MADT, madt_bytes, MADT_REVISION);
    put32(madt + MADT_LAPIC_ADDRESS, LAPIC_DEFAULT_ADDRESS);
    put32(madt + MADT_FLAGS, 0);
    for (uint32_t id = 0; id < nr_vcpus; id++) {
        uint8_t *e = madt + MADT_ENTRIES + (size_t)id * MADT_X2APIC_ENTRY_BYTES;
        e[0] = MADT_TYPE_LOCAL_X2APIC;
        e[1] = MADT_X2APIC_ENTRY_BYTES;
        put32(e + MADT_X2APIC_ID, id);
        put32(e + MADT_X2APIC_FLAGS, MADT_CPU_ENABLED);
        put32(e + MADT_X2APIC_UID, id);
    }
    seal_table(madt, madt_bytes);

    uint8_t *xsdt = base + xsdt_off;
    put_header(xsdt, ACPI_SIG_XSDT, xsdt_bytes, XSDT_REVISION);
    put64(xsdt + ACPI_HEADER_BYTES, gpa + fadt_off);
    put64(xsdt + ACPI_HEADER_BYTES + XSDT_ENTRY_BYTES, gpa + madt_off);
    seal_table(xsdt, xsdt_bytes);

    uint8_t *rsdp = base + rsdp_off;
    memcpy(rsdp, ACPI_SIG_RSDP, 8);
    memcpy(rsdp + RSDP_OEM_ID_OFFSET, GUEST_ACPI_OEM_ID, 6);
    rsdp[RSDP_REVISION_OFFSET] = RSDP_REVISION_ACPI2;
    put32(rsdp + RSDP_RSDT_OFFSET, 0);
    put32(rsdp + RSDP_LENGTH_OFFSET, RSDP_V2_BYTES);
    put64(rsdp + RSDP_XSDT_OFFSET, gpa + xsdt_off);
    rsdp[RSDP_CHECKSUM_OFFSET] = checksum_byte(rsdp, RSDP_V1_BYTES, RSDP_CHECKSUM_OFFSET);
    rsdp[RSDP_EXTENDED_CHECKSUM_OFFSET] =
        checksum_byte(rsdp, RSDP_V2_BYTES, RSDP_EXTENDED_CHECKSUM_OFFSET);

    *rsdp_gpa = gpa + rsdp_off;
    return (long)total;
}
