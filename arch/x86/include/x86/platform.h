/* Firmware-described platform facts the x86 layer keeps after boot. */
#ifndef XENCORE_X86_PLATFORM_H
#define XENCORE_X86_PLATFORM_H

#include <xencore/boot_info.h>

#include "x86/acpi.h"

/* Finds and checks the ACPI tables; panics naming the problem if unusable. */
void acpi_init(const struct xencore_boot_info *info);
const struct madt_info *acpi_madt(void);
/* The CMOS index of the RTC's century register (FADT CENTURY), 0 if none. */
uint8_t acpi_rtc_century_index(void);

/* Prepares the low-memory trampoline the other CPUs start in. */
void smp_init(const struct xencore_boot_info *info);

/* Reads the CMOS real-time clock once, for arch_wallclock_at_boot(). Says
 * so on the console only if it cannot. */
void cmos_rtc_init(void);

/* Records the calling CPU's place (package, last-level cache) from its own
 * CPUID and APIC ID, for arch_cpu_topology(). */
void cpu_topology_record_this_cpu(void);

#endif /* XENCORE_X86_PLATFORM_H */
