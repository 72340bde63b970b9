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
