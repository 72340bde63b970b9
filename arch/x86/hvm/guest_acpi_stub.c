/* TEMPORARY stub until arch/x86/guest_acpi.c lands (session 3 integration). */
#include "arch/arch.h"
#include "lib/errno.h"
long arch_guest_firmware_tables(uint32_t nr_vcpus, uint64_t gpa, void *buffer, size_t size,
                                uint64_t *rsdp_gpa)
{
    (void)nr_vcpus; (void)gpa; (void)buffer; (void)size;
    *rsdp_gpa = 0;
    return 0;
}
bool arch_vcpu_interrupt_pending(struct vcpu *v)
{
    (void)v;
    return false;
}
