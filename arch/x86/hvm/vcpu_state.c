/* Guest state the CPU keeps outside the VMCS/VMCB: x87/SSE/AVX registers,
 * XCR0, and the SYSCALL/SWAPGS/RDTSCP MSRs.
 *
 * Loaded when a vCPU is about to enter on a CPU where it is not already
 * loaded, saved when it leaves that CPU (arch_vcpu_run returns). Between the
 * two the hypervisor never touches vector registers (it is built without
 * them), so the guest's values can stay in the CPU across exits: a hypercall
 * round trip pays nothing here. Because the state is saved on leaving, no
 * CPU ever holds a reference to a vCPU that is not on it, and a new guest
 * always starts from its own (initial) image: nothing leaks between guests. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "lib/string.h"
#include "x86/hvm.h"
#include "x86/hvm_policy.h"
#include "x86/insn.h"
#include "x86/regs.h"


#define FXSAVE_FCW_OFFSET 0
#define FXSAVE_MXCSR_OFFSET 24
#define FCW_INIT 0x037f
#define MXCSR_INIT 0x1f80
#define XCR0_X87 1ULL

static struct vcpu *loaded[XENCORE_MAX_CPUS];

static bool cpu_has_xsave(void)
{
    static int known = -1;
    if (known < 0)
        known = (cpuid(1).ecx & CPUID1_ECX_XSAVE) ? 1 : 0;
    return known;
}

static void xsetbv0(uint64_t value)
{
    __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static void fpu_save(struct arch_vcpu *a)
{
    if (cpu_has_xsave()) {
        uint64_t all = hvm_guest_xcr0_allowed();
        xsetbv0(all);
        __asm__ volatile("xsave64 (%0)" ::"r"(a->xsave_area), "a"((uint32_t)all),
                         "d"((uint32_t)(all >> 32))
                         : "memory");
    } else {
        __asm__ volatile("fxsave64 (%0)" ::"r"(a->xsave_area) : "memory");
    }
}

static void fpu_restore(struct arch_vcpu *a)
{
    if (!a->fpu_initialised) {
        /* The architectural reset image; the XSAVE header (all zero) marks
         * every other component as in its initial state. */
        uint8_t *area = a->xsave_area;
        memset(area, 0, ARCH_PAGE_SIZE);
        *(uint16_t *)(area + FXSAVE_FCW_OFFSET) = FCW_INIT;
        *(uint32_t *)(area + FXSAVE_MXCSR_OFFSET) = MXCSR_INIT;
        a->fpu_initialised = true;
    }
    if (cpu_has_xsave()) {
        uint64_t all = hvm_guest_xcr0_allowed();
        xsetbv0(all);
        __asm__ volatile("xrstor64 (%0)" ::"r"(a->xsave_area), "a"((uint32_t)all),
                         "d"((uint32_t)(all >> 32))
                         : "memory");
        xsetbv0(a->xcr0 ? a->xcr0 : XCR0_X87);
    } else {
        __asm__ volatile("fxrstor64 (%0)" ::"r"(a->xsave_area) : "memory");
    }
}

void hvm_vcpu_load(struct vcpu *v)
{
    unsigned int cpu = arch_this_cpu();
    if (loaded[cpu] == v)
        return;
    struct arch_vcpu *a = v->arch;
    fpu_restore(a);
    if (!hvm->switches_syscall_msrs) {
        wrmsr(MSR_STAR, a->msr_star);
        wrmsr(MSR_LSTAR, a->msr_lstar);
        wrmsr(MSR_CSTAR, a->msr_cstar);
        wrmsr(MSR_SFMASK, a->msr_sfmask);
        wrmsr(MSR_KERNEL_GS_BASE, a->msr_kernel_gs_base);
    }
    if (cpuid(0x80000001).edx & (1U << 27)) /* RDTSCP */
        wrmsr(MSR_TSC_AUX, a->msr_tsc_aux);
    loaded[cpu] = v;
}

void hvm_vcpu_put(struct vcpu *v)
{
    unsigned int cpu = arch_this_cpu();
    if (loaded[cpu] != v)
        return;
    struct arch_vcpu *a = v->arch;
    fpu_save(a);
    /* Written by the guest without an exit where the MSR bitmap lets it. */
    if (!hvm->switches_syscall_msrs)
        a->msr_kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
    loaded[cpu] = NULL;
}
