/* Finding the ACPI tables and using the two things they offer us beyond the
 * CPU list: soft-off and reset.
 *
 * Everything starts from the RSDP copy the boot stub made. Tables are mapped
 * read-only on demand; a table whose header, length or checksum is wrong is
 * reported by name and treated as absent. No ACPI, or no usable MADT, is a
 * panic: without them we cannot know the CPUs. */
#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/le.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "x86/acpi.h"
#include "x86/insn.h"
#include "x86/paging.h"
#include "x86/platform.h"
#include "x86/tsc.h"
#include "x86/uart16550.h"

#define ACPI_TABLE_MAX_BYTES (1U << 20) /* sanity bound on any one table */

/* FADT fields (ACPI 6.5, 5.2.9). */
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_CENTURY 108 /* CMOS index of the RTC's century, or 0 */
#define FADT_RESET_REG 116 /* generic address: space @0, address @4 */
#define FADT_RESET_VALUE 128
#define FADT_FLAG_RESET_REG_SUP (1U << 10)
#define GAS_SPACE_SYSTEM_IO 1

#define PM1_CNT_SCI_EN (1U << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN (1U << 13)
#define ACPI_ENABLE_WAIT_NS 100000000ULL /* 100 ms */

#define KBC_COMMAND_PORT 0x64
#define KBC_PULSE_RESET 0xfe
#define PCI_RESET_CONTROL_PORT 0xcf9
#define PCI_RESET_CPU_SYS 0x06 /* hard reset: system reset + CPU reset */
#define RESET_WAIT_NS 50000000ULL

static struct madt_info madt;
static const uint8_t *root_table;
static uint32_t root_length;
static unsigned int root_entry_bytes; /* 8 for the XSDT, 4 for the RSDT */

static struct {
    bool present;
    uint16_t pm1a_cnt, pm1b_cnt, smi_cmd;
    uint8_t acpi_enable;
    bool s5_known;
    uint8_t slp_typ_a, slp_typ_b;
    bool reset_io;
    uint16_t reset_port;
    uint8_t reset_value;
    uint8_t century_index;
} fadt;

/* Maps and checks the table at @phys. Returns NULL (after saying why) if bad. */
static const uint8_t *map_table(uint64_t phys, const char *signature, uint32_t *length)
{
    if (!phys)
        return NULL;
    const uint8_t *header = x86_map_firmware(phys, ACPI_HEADER_BYTES);
    uint32_t len = le32(header + 4);
    if (len < ACPI_HEADER_BYTES || len > ACPI_TABLE_MAX_BYTES) {
        printk("xencore: ACPI: table at 0x%llx claims %u bytes; ignored\n",
               (unsigned long long)phys, len);
        return NULL;
    }
    const uint8_t *table = x86_map_firmware(phys, len);
    char why[96];
    if (acpi_table_check(table, len, signature, why, sizeof(why))) {
        printk("xencore: ACPI: table at 0x%llx: %s; ignored\n", (unsigned long long)phys, why);
        return NULL;
    }
    *length = len;
    return table;
}

static const uint8_t *find_table(const char *signature, uint32_t *length)
{
    for (uint32_t off = ACPI_HEADER_BYTES; off + root_entry_bytes <= root_length;
         off += root_entry_bytes) {
        uint64_t phys = root_entry_bytes == 8 ? le64(root_table + off)
                                              : le32(root_table + off);
        if (!phys)
            continue;
        const uint8_t *header = x86_map_firmware(phys, ACPI_HEADER_BYTES);
        if (!memcmp(header, signature, 4))
            return map_table(phys, signature, length);
    }
    return NULL;
}

static void fadt_init(void)
{
    uint32_t length;
    const uint8_t *f = find_table(ACPI_SIG_FADT, &length);
    if (!f || length < FADT_FLAGS + 4) {
        printk("xencore: ACPI: no usable FADT; power-off and reset by ACPI unavailable\n");
        return;
    }
    fadt.present = true;
    fadt.pm1a_cnt = (uint16_t)le32(f + FADT_PM1A_CNT_BLK);
    fadt.pm1b_cnt = (uint16_t)le32(f + FADT_PM1B_CNT_BLK);
    fadt.smi_cmd = (uint16_t)le32(f + FADT_SMI_CMD);
    fadt.acpi_enable = f[FADT_ACPI_ENABLE];
    fadt.century_index = f[FADT_CENTURY];
    if (length >= FADT_RESET_VALUE + 1 && (le32(f + FADT_FLAGS) & FADT_FLAG_RESET_REG_SUP) &&
        f[FADT_RESET_REG] == GAS_SPACE_SYSTEM_IO) {
        fadt.reset_io = true;
        fadt.reset_port = (uint16_t)le64(f + FADT_RESET_REG + 4);
        fadt.reset_value = f[FADT_RESET_VALUE];
    }
    uint64_t dsdt_phys = le32(f + FADT_DSDT);
    if (length >= FADT_X_DSDT + 8 && le64(f + FADT_X_DSDT))
        dsdt_phys = le64(f + FADT_X_DSDT);
    uint32_t dsdt_length;
    const uint8_t *dsdt = map_table(dsdt_phys, ACPI_SIG_DSDT, &dsdt_length);
    if (dsdt)
        fadt.s5_known = acpi_find_s5(dsdt, dsdt_length, &fadt.slp_typ_a, &fadt.slp_typ_b);
}

void acpi_init(const struct xencore_boot_info *info)
{
    const uint8_t *rsdp = info->acpi_rsdp;
    if (info->acpi_rsdp_length < RSDP_V1_BYTES)
        panic("no ACPI tables: the boot loader found no RSDP");
    if (memcmp(rsdp, "RSD PTR ", 8) || !acpi_checksum_ok(rsdp, RSDP_V1_BYTES))
        panic("no ACPI tables: the RSDP has a bad signature or checksum");

    uint64_t xsdt = 0;
    if (rsdp[RSDP_REVISION_OFFSET] >= 2 && info->acpi_rsdp_length >= RSDP_V2_BYTES &&
        le32(rsdp + RSDP_LENGTH_OFFSET) >= RSDP_V2_BYTES &&
        acpi_checksum_ok(rsdp, RSDP_V2_BYTES))
        xsdt = le64(rsdp + RSDP_XSDT_OFFSET);
    if (xsdt && (root_table = map_table(xsdt, "XSDT", &root_length)))
        root_entry_bytes = 8;
    else if ((root_table = map_table(le32(rsdp + RSDP_RSDT_OFFSET), "RSDT", &root_length)))
        root_entry_bytes = 4;
    else
        panic("no ACPI tables: neither the XSDT nor the RSDT is usable");

    uint32_t madt_length;
    const uint8_t *m = find_table(ACPI_SIG_MADT, &madt_length);
    if (!m)
        panic("no usable ACPI MADT: cannot tell which CPUs exist");
    char why[96];
    if (madt_parse(m, madt_length, &madt, why, sizeof(why)))
        panic("ACPI MADT unusable: %s", why);
    if (madt.cpus_found == 0)
        panic("the ACPI MADT lists no enabled CPU");
    printk("xencore: ACPI: %s, MADT lists %u CPUs (%u disabled), %u I/O APICs\n",
           root_entry_bytes == 8 ? "XSDT" : "RSDT", madt.cpus_found, madt.cpus_disabled,
           madt.io_apics);
    fadt_init();
}

const struct madt_info *acpi_madt(void)
{
    return &madt;
}

uint8_t acpi_rtc_century_index(void)
{
    return fadt.present ? fadt.century_index : 0;
}

void arch_poweroff(void)
{
    uart_drain();
    if (fadt.present && fadt.pm1a_cnt && fadt.s5_known) {
        if (!(inw(fadt.pm1a_cnt) & PM1_CNT_SCI_EN) && fadt.smi_cmd && fadt.acpi_enable) {
            outb(fadt.smi_cmd, fadt.acpi_enable);
            uint64_t deadline = arch_now_ns() + ACPI_ENABLE_WAIT_NS;
            while (!(inw(fadt.pm1a_cnt) & PM1_CNT_SCI_EN) && arch_now_ns() < deadline)
                arch_cpu_relax();
        }
        outw(fadt.pm1a_cnt,
             (uint16_t)((fadt.slp_typ_a << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN));
        if (fadt.pm1b_cnt)
            outw(fadt.pm1b_cnt,
                 (uint16_t)((fadt.slp_typ_b << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN));
        tsc_delay_ns(RESET_WAIT_NS);
    }
    printk_unlocked("xencore: ACPI power-off did not work; halting\n");
    arch_halt_this_cpu();
}

void arch_reboot(void)
{
    uart_drain();
    if (fadt.reset_io) {
        outb(fadt.reset_port, fadt.reset_value);
        tsc_delay_ns(RESET_WAIT_NS);
    }
    outb(KBC_COMMAND_PORT, KBC_PULSE_RESET);
    tsc_delay_ns(RESET_WAIT_NS);
    outb(PCI_RESET_CONTROL_PORT, PCI_RESET_CPU_SYS);
    tsc_delay_ns(RESET_WAIT_NS);
    /* Last resort: a triple fault resets every x86. */
    static const struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty_idt = { 0, 0 };
    __asm__ volatile("lidt %0; int3" ::"m"(empty_idt));
    arch_halt_this_cpu();
}
