/* Firmware-described platform facts the x86 layer keeps after boot. */
#ifndef XENCORE_X86_PLATFORM_H
#define XENCORE_X86_PLATFORM_H

#include <xencore/boot_info.h>

#include "x86/acpi.h"

/* Finds and checks the ACPI tables; panics naming the problem if unusable. */
void acpi_init(const struct xencore_boot_info *info);
const struct madt_info *acpi_madt(void);

/* Prepares the low-memory trampoline the other CPUs start in. */
void smp_init(const struct xencore_boot_info *info);

#endif /* XENCORE_X86_PLATFORM_H */
