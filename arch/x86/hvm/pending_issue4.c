/* PLACEHOLDERS for the arch half of issue 4, replaced by the real code
 * (VCPUOP_initialise state, CMOS wall clock, CPU topology). */
#include "arch/arch.h"
#include "lib/errno.h"

int arch_vcpu_set_context(struct vcpu *v, const struct vcpu_hvm_context *ctx)
{
    (void)v;
    (void)ctx;
    return -XC_ENOSYS;
}

void arch_wallclock_at_boot(uint64_t *sec, uint32_t *nsec)
{
    *sec = 0;
    *nsec = 0;
}

void arch_cpu_topology(unsigned int cpu, uint32_t *socket, uint32_t *llc)
{
    (void)cpu;
    *socket = 0;
    *llc = 0;
}
