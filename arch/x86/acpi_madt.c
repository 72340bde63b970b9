/* MADT parsing: which CPUs exist and their APIC IDs.
 *
 * Both entry kinds name CPUs: local APIC entries (8-bit IDs) and local x2APIC
 * entries (32-bit IDs, used for IDs of 255 and up and by some firmware for
 * all). A CPU counts when its entry is enabled; an ID listed twice counts
 * once. All IDs are kept as 32-bit values. A pure function over bytes, so the
 * host tests run it on synthetic tables of thousands of CPUs. */
#include "lib/errno.h"
#include "lib/le.h"
#include "lib/string.h"
#include "x86/acpi.h"


static const uint8_t madt_entry_min_length[] = {
    [MADT_TYPE_LOCAL_APIC] = 8,
    [MADT_TYPE_IO_APIC] = 12,
    [MADT_TYPE_LAPIC_ADDRESS_OVERRIDE] = 12,
    [MADT_TYPE_LOCAL_X2APIC] = 16,
};

static void add_cpu(struct madt_info *out, uint32_t apic_id, uint32_t flags)
{
    if (!(flags & MADT_CPU_ENABLED)) {
        out->cpus_disabled++;
        return;
    }
    for (unsigned int i = 0; i < out->cpus_stored; i++) {
        if (out->apic_ids[i] == apic_id) {
            out->duplicates++;
            return;
        }
    }
    if (out->cpus_stored < XENCORE_MAX_CPUS)
        out->apic_ids[out->cpus_stored++] = apic_id;
    out->cpus_found++;
}

int madt_parse(const void *table, size_t length, struct madt_info *out, char *why,
               size_t why_size)
{
    const uint8_t *p = table;
    int rc = acpi_table_check(table, length, ACPI_SIG_MADT, why, why_size);
    if (rc)
        return rc;
    length = le32(p + 4);
    if (length < MADT_ENTRIES) {
        snprintf(why, why_size, "MADT of %zu bytes has no room for its fixed fields", length);
        return -XC_EINVAL;
    }

    memset(out, 0, sizeof(*out));
    out->lapic_address = le32(p + MADT_LAPIC_ADDRESS);
    for (size_t off = MADT_ENTRIES; off < length;) {
        if (length - off < 2) {
            snprintf(why, why_size, "MADT entry at offset %zu is truncated", off);
            return -XC_EINVAL;
        }
        uint8_t type = p[off], entry_length = p[off + 1];
        uint8_t min = type < sizeof(madt_entry_min_length) ? madt_entry_min_length[type] : 0;
        if (entry_length < 2 || entry_length < min || entry_length > length - off) {
            snprintf(why, why_size, "MADT entry at offset %zu (type %u) has bad length %u", off,
                     type, entry_length);
            return -XC_EINVAL;
        }
        const uint8_t *e = p + off;
        switch (type) {
        case MADT_TYPE_LOCAL_APIC:
            add_cpu(out, e[3], le32(e + 4));
            break;
        case MADT_TYPE_LOCAL_X2APIC:
            if (le32(e + 4) != MADT_X2APIC_ID_INVALID)
                add_cpu(out, le32(e + 4), le32(e + 8));
            break;
        case MADT_TYPE_IO_APIC:
            out->io_apics++;
            break;
        case MADT_TYPE_LAPIC_ADDRESS_OVERRIDE:
            out->lapic_address = le64(e + 4);
            break;
        default: /* other entry types do not concern us */
            break;
        }
        off += entry_length;
    }
    return 0;
}
