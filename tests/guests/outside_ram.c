/* outside_ram: reads guest-physical memory far beyond the domain's RAM,
 * through a valid mapping in its own page tables. There is nothing there:
 * the hypervisor must crash this domain (and only this one). Run with
 * memory well below 512 MiB. */
#include "runtime/runtime.h"

const char guest_name[] = "outside_ram";

#define OUTSIDE_RAM 0x20000000ull /* 512 MiB, inside our 4 GiB identity map */

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    printf("guest: touching memory outside RAM at 0x%lx\n", (unsigned long)OUTSIDE_RAM);
    const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)OUTSIDE_RAM;
    uint64_t value = *p;
    printf("guest: FAIL survived: read 0x%lx\n", (unsigned long)value);
    check(false, "the hypervisor crashes a domain that reads outside its RAM");
}
