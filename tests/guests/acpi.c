/* acpi: a guest counts its CPUs the standard way and finds them all.
 *
 * What an OS does with no firmware but PVH: from start_info->rsdp_paddr
 * follow RSDP -> XSDT -> FADT -> DSDT and XSDT -> MADT, trusting nothing:
 * each signature, length and checksum (both of the RSDP's) is checked before
 * a table is used. The FADT must say hardware-reduced (no PM timer, SCI or
 * FACS to look for), the DSDT must be empty (a header, no AML), the MADT
 * must have no 8259 flag and list one enabled x2APIC entry per vCPU, each
 * id once. The memory map must cover every table byte with ACPI (type 3)
 * and never with RAM, or the guest would reuse the tables' memory.
 *
 * The count is compared with what the image says (vcpus=N on the command
 * line) and with what the hypervisor says exists: VCPUOP_is_up answers 0 or
 * 1 for ids 0..N-1 and -ENOENT for N. The console line the system test
 * looks for: "guest: MADT lists N CPUs (x2APIC ids 0-(N-1))". */
#include "runtime/runtime.h"

const char guest_name[] = "acpi";

#define ACPI_HEADER_BYTES 36
#define RSDP_V1_BYTES 20
#define RSDP_V2_BYTES 36
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define FADT_DSDT 40
#define FADT_FLAGS 112
#define FADT_X_DSDT 140
#define FADT_X_DSDT_END 148
#define FADT_HW_REDUCED_ACPI (1u << 20)
#define MADT_FLAGS 40
#define MADT_ENTRIES 44
#define MADT_PCAT_COMPAT (1u << 0)
#define MADT_TYPE_LOCAL_APIC 0
#define MADT_TYPE_LOCAL_X2APIC 9
#define MADT_ENABLED (1u << 0)
#define MAX_IDS 256 /* x2APIC ids the guest keeps track of */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool sums_to_zero(const uint8_t *p, uint32_t length)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < length; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

static const struct hvm_start_info *info;

/* True if [addr, addr + length) lies in one ACPI entry of the memory map
 * and overlaps no RAM entry. */
static bool marked_acpi(uint64_t addr, uint64_t length)
{
    const struct hvm_memmap_table_entry *map =
        (const struct hvm_memmap_table_entry *)(uintptr_t)info->memmap_paddr;
    bool inside_acpi = false;
    for (uint32_t i = 0; i < info->memmap_entries; i++) {
        uint64_t start = map[i].addr, end = map[i].addr + map[i].size;
        if (map[i].type == HVM_MEMMAP_TYPE_ACPI && addr >= start && addr + length <= end)
            inside_acpi = true;
        if (map[i].type == HVM_MEMMAP_TYPE_RAM && addr < end && addr + length > start)
            return false;
    }
    return inside_acpi;
}

/* Checks the table at @gpa: signature, a length of at least @min_length,
 * checksum, ACPI type in the memory map. NULL (after a failed check) if bad. */
static const uint8_t *table(uint64_t gpa, const char *signature, uint32_t min_length)
{
    char what[96];
    snprintf(what, sizeof(what), "%s pointer is set and below 4 GiB", signature);
    if (!check(gpa != 0 && gpa < (4ull << 30) - ACPI_HEADER_BYTES, what))
        return NULL;
    const uint8_t *t = (const uint8_t *)(uintptr_t)gpa;
    snprintf(what, sizeof(what), "%s signature", signature);
    if (!check(memcmp(t, signature, 4) == 0, what))
        return NULL;
    uint32_t length = rd32(t + 4);
    snprintf(what, sizeof(what), "%s length %u is at least %u", signature, length, min_length);
    if (!check(length >= min_length && length < (1u << 20), what))
        return NULL;
    snprintf(what, sizeof(what), "%s checksum", signature);
    if (!check(sums_to_zero(t, length), what))
        return NULL;
    snprintf(what, sizeof(what), "%s at 0x%lx+%u is ACPI memory in the map", signature,
             (unsigned long)gpa, length);
    check(marked_acpi(gpa, length), what);
    return t;
}

/* The XSDT's entry with @signature (the first), or 0. */
static uint64_t xsdt_find(const uint8_t *xsdt, const char *signature)
{
    uint32_t length = rd32(xsdt + 4);
    for (uint32_t off = ACPI_HEADER_BYTES; off + 8 <= length; off += 8) {
        uint64_t gpa = rd64(xsdt + off);
        if (gpa != 0 && gpa < (4ull << 30) && !memcmp((const void *)(uintptr_t)gpa, signature, 4))
            return gpa;
    }
    return 0;
}

static void check_fadt_and_dsdt(const uint8_t *fadt)
{
    check(rd32(fadt + FADT_FLAGS) & FADT_HW_REDUCED_ACPI, "FADT says HW_REDUCED_ACPI");
    uint64_t x_dsdt = rd64(fadt + FADT_X_DSDT);
    uint32_t dsdt32 = rd32(fadt + FADT_DSDT);
    check(dsdt32 == 0 || dsdt32 == x_dsdt, "FADT's DSDT and X_DSDT agree");
    const uint8_t *dsdt = table(x_dsdt, "DSDT", ACPI_HEADER_BYTES);
    if (dsdt)
        check_eq_int("DSDT is empty (a header, no AML)", ACPI_HEADER_BYTES, rd32(dsdt + 4));
}

/* Counts the enabled x2APIC entries; prints the console line. */
static unsigned int count_madt_cpus(const uint8_t *madt)
{
    static uint8_t seen[MAX_IDS];
    uint32_t length = rd32(madt + 4);
    unsigned int cpus = 0, lapic_entries = 0, duplicates = 0, out_of_range = 0;
    uint32_t lowest = UINT32_MAX, highest = 0;
    bool well_formed = true;
    check_eq_hex("MADT local APIC address", 0xfee00000u, rd32(madt + ACPI_HEADER_BYTES));
    check(!(rd32(madt + MADT_FLAGS) & MADT_PCAT_COMPAT), "MADT says no 8259 pair");
    for (uint32_t off = MADT_ENTRIES; off < length;) {
        uint8_t type = madt[off], entry_length = off + 2 <= length ? madt[off + 1] : 0;
        if (entry_length < 2 || entry_length > length - off) {
            well_formed = false;
            break;
        }
        const uint8_t *e = madt + off;
        if (type == MADT_TYPE_LOCAL_APIC)
            lapic_entries++;
        if (type == MADT_TYPE_LOCAL_X2APIC && entry_length >= 16 && (rd32(e + 8) & MADT_ENABLED)) {
            uint32_t id = rd32(e + 4);
            if (id >= MAX_IDS)
                out_of_range++;
            else if (seen[id]++)
                duplicates++;
            else
                cpus++;
            lowest = id < lowest ? id : lowest;
            highest = id > highest ? id : highest;
        }
        off += entry_length;
    }
    check(well_formed, "MADT entries fit the table");
    check_eq_int("MADT x2APIC ids listed twice", 0, duplicates);
    check_eq_int("MADT x2APIC ids beyond 255", 0, out_of_range);
    check_eq_int("MADT local APIC (8-bit) entries", 0, lapic_entries);
    if (cpus > 0) {
        printf("guest: MADT lists %u CPUs (x2APIC ids %u-%u)\n", cpus, lowest, highest);
        check(highest - lowest + 1 == cpus && lowest == 0, "MADT x2APIC ids are 0..N-1");
    } else {
        printf("guest: MADT lists no CPUs\n");
    }
    return cpus;
}

void guest_main(const struct hvm_start_info *start_info, const char *cmdline)
{
    (void)cmdline;
    info = start_info;
    uint64_t expected = cmdline_u64("vcpus", 1);
    check(info->memmap_paddr != 0 && info->memmap_entries > 0, "start_info has a memory map");
    check(info->rsdp_paddr != 0, "start_info has rsdp_paddr");
    if (info->rsdp_paddr == 0)
        return;
    printf("guest: RSDP at 0x%lx\n", (unsigned long)info->rsdp_paddr);
    check_eq_int("RSDP is 16-byte aligned", 0, info->rsdp_paddr % 16);

    const uint8_t *rsdp = (const uint8_t *)(uintptr_t)info->rsdp_paddr;
    if (!check(memcmp(rsdp, "RSD PTR ", 8) == 0, "RSDP signature"))
        return;
    check(sums_to_zero(rsdp, RSDP_V1_BYTES), "RSDP checksum (first 20 bytes)");
    check(rsdp[RSDP_REVISION] >= 2, "RSDP revision is 2 or later (has an XSDT)");
    check_eq_int("RSDP length", RSDP_V2_BYTES, rd32(rsdp + RSDP_LENGTH));
    check(sums_to_zero(rsdp, RSDP_V2_BYTES), "RSDP extended checksum");
    check_eq_int("RSDP's RSDT address", 0, rd32(rsdp + RSDP_RSDT));
    check(marked_acpi(info->rsdp_paddr, RSDP_V2_BYTES), "RSDP is ACPI memory in the map");

    const uint8_t *xsdt = table(rd64(rsdp + RSDP_XSDT), "XSDT", ACPI_HEADER_BYTES);
    if (!xsdt)
        return;
    check_eq_int("XSDT entries are whole", 0, (rd32(xsdt + 4) - ACPI_HEADER_BYTES) % 8);

    const uint8_t *fadt = table(xsdt_find(xsdt, "FACP"), "FACP", FADT_X_DSDT_END);
    if (fadt)
        check_fadt_and_dsdt(fadt);

    const uint8_t *madt = table(xsdt_find(xsdt, "APIC"), "APIC", MADT_ENTRIES);
    if (!madt)
        return;
    unsigned int cpus = count_madt_cpus(madt);
    check_eq_int("MADT CPUs = vcpus on the command line", (int64_t)expected, cpus);

    /* What the hypervisor says exists: every listed id is a vCPU, the next is not. */
    bool all_known = true;
    for (unsigned int id = 0; id < cpus; id++) {
        long up = vcpu_op(VCPUOP_is_up, id, NULL);
        if (up != 0 && up != 1) {
            printf("guest: VCPUOP_is_up(%u) = %ld\n", id, up);
            all_known = false;
        }
    }
    check(all_known, "VCPUOP_is_up knows every vCPU the MADT lists");
    check_eq_int("VCPUOP_is_up(0) (this vCPU)", 1, vcpu_op(VCPUOP_is_up, 0, NULL));
    check_eq_int("VCPUOP_is_up past the MADT's CPUs is -ENOENT", -XEN_ENOENT,
                 vcpu_op(VCPUOP_is_up, cpus, NULL));
}
