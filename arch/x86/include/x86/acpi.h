/* ACPI tables: the few the hypervisor reads (RSDP, RSDT/XSDT, MADT, FADT, DSDT).
 * Firmware tables are input from outside: lengths and checksums are checked
 * before a byte beyond the header is read. */
#ifndef XENCORE_X86_ACPI_H
#define XENCORE_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/config.h>

#define ACPI_HEADER_BYTES 36
#define ACPI_SIG_MADT "APIC"
#define ACPI_SIG_FADT "FACP"
#define ACPI_SIG_DSDT "DSDT"

#define ACPI_SIG_RSDP "RSD PTR "
#define ACPI_SIG_XSDT "XSDT"

/* Header fields every table shares (ACPI 6.5, 5.2.6). */
#define ACPI_HEADER_LENGTH 4
#define ACPI_HEADER_REVISION 8
#define ACPI_HEADER_CHECKSUM 9
#define ACPI_HEADER_OEM_ID 10       /* 6 bytes */
#define ACPI_HEADER_OEM_TABLE_ID 16 /* 8 bytes */
#define ACPI_HEADER_OEM_REVISION 24
#define ACPI_HEADER_CREATOR_ID 28 /* 4 bytes */
#define ACPI_HEADER_CREATOR_REVISION 32

/* The RSDP (ACPI 6.5, 5.2.5.3): 20 bytes in ACPI 1.0, 36 from 2.0 on. */
#define RSDP_V1_BYTES 20
#define RSDP_V2_BYTES 36
#define RSDP_ALIGN_BYTES 16
#define RSDP_CHECKSUM_OFFSET 8 /* covers the first 20 bytes */
#define RSDP_OEM_ID_OFFSET 9
#define RSDP_REVISION_OFFSET 15
#define RSDP_RSDT_OFFSET 16
#define RSDP_LENGTH_OFFSET 20
#define RSDP_XSDT_OFFSET 24
#define RSDP_EXTENDED_CHECKSUM_OFFSET 32 /* covers all 36 bytes */
#define RSDP_REVISION_ACPI2 2

/* FADT fields (ACPI 6.5, 5.2.9). */
#define FADT_DSDT 40
#define FADT_IAPC_BOOT_ARCH 109 /* IA-PC boot architecture flags (2 bytes) */
#define FADT_BOOT_VGA_NOT_PRESENT (1U << 2)
#define FADT_BOOT_CMOS_RTC_NOT_PRESENT (1U << 5)
#define FADT_FLAGS 112
#define FADT_MINOR_REVISION 131
#define FADT_X_DSDT 140
#define FADT_V6_BYTES 276
#define FADT_FLAG_HW_REDUCED_ACPI (1U << 20)

/* MADT fixed fields (ACPI 6.5, 5.2.12). */
#define MADT_LAPIC_ADDRESS 36
#define MADT_FLAGS 40
#define MADT_ENTRIES 44
#define MADT_FLAG_PCAT_COMPAT (1U << 0) /* dual 8259s present */
#define MADT_X2APIC_ENTRY_BYTES 16
#define MADT_X2APIC_ID 4
#define MADT_X2APIC_FLAGS 8
#define MADT_X2APIC_UID 12
#define LAPIC_DEFAULT_ADDRESS 0xfee00000U

/* MADT entry types and flags (ACPI 6.5, 5.2.12). */
#define MADT_TYPE_LOCAL_APIC 0
#define MADT_TYPE_IO_APIC 1
#define MADT_TYPE_LAPIC_ADDRESS_OVERRIDE 5
#define MADT_TYPE_LOCAL_X2APIC 9
#define MADT_CPU_ENABLED (1U << 0)
#define MADT_CPU_ONLINE_CAPABLE (1U << 1)
#define MADT_X2APIC_ID_INVALID 0xffffffffU

struct madt_info {
    uint64_t lapic_address;
    unsigned int cpus_found;      /* enabled CPUs listed, duplicates counted once */
    unsigned int cpus_stored;     /* of which the first XENCORE_MAX_CPUS are in apic_ids */
    unsigned int cpus_disabled;   /* listed but not enabled (absent or hot-pluggable) */
    unsigned int duplicates;      /* entries naming an APIC ID already listed */
    unsigned int io_apics;
    uint32_t apic_ids[XENCORE_MAX_CPUS];
};

/* True if the @length bytes at @table sum to zero. */
bool acpi_checksum_ok(const void *table, size_t length);

/* Checks a table's header: the signature (if @signature), a length from 36 to
 * @available bytes, and the checksum. Returns 0 or -XC_EINVAL with a sentence. */
int acpi_table_check(const void *table, size_t available, const char *signature, char *why,
                     size_t why_size);

/* Parses a MADT of @length bytes (checked as above). Returns 0, or -XC_EINVAL
 * with a sentence naming the bad entry. */
int madt_parse(const void *table, size_t length, struct madt_info *out, char *why,
               size_t why_size);

/* Finds the \_S5 sleep type values in a DSDT's AML; returns false if absent. */
bool acpi_find_s5(const void *dsdt, size_t length, uint8_t *slp_typ_a, uint8_t *slp_typ_b);

#endif /* XENCORE_X86_ACPI_H */
