/* VCPUOP_initialise for PVH vCPUs: the arch half.
 *
 * The guest's request is checked by the pure hvm_vcpu_context_check()
 * against what this machine offers (the same CR4 policy MOV to CR4 obeys,
 * NX, the physical-address width), so a state the CPU would refuse is
 * -XC_EINVAL before anything changes. The back end then installs the image
 * for the vCPU's next entry, and the state outside the control structure
 * goes back to what a new vCPU has: x87/SSE/AVX registers at their reset
 * image, XCR0 = x87, the SYSCALL/SWAPGS/RDTSCP MSRs zero. The vCPU is not
 * running (the core's promise), so none of it is live in any CPU:
 * hvm_vcpu_put() saved it when the vCPU last left a CPU. */
#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "x86/hvm.h"
#include "x86/hvm_policy.h"
#include "x86/insn.h"
#include "x86/traps.h"
#include "x86/vcpu_context.h"

#define CPUID_EXT_MAX_LEAF 0x80000000U
#define CPUID_ADDRESS_SIZES_LEAF 0x80000008U
#define CPUID_ADDRESS_SIZES_PHYS_MASK 0xffU
#define PHYS_BITS_WITHOUT_LEAF 36 /* the architectural default */
#define XCR0_RESET 1ULL           /* x87 only */

static unsigned int phys_bits(void)
{
    if (cpuid(CPUID_EXT_MAX_LEAF).eax < CPUID_ADDRESS_SIZES_LEAF)
        return PHYS_BITS_WITHOUT_LEAF;
    return cpuid(CPUID_ADDRESS_SIZES_LEAF).eax & CPUID_ADDRESS_SIZES_PHYS_MASK;
}

int arch_vcpu_set_context(struct vcpu *v, const struct vcpu_hvm_context *ctx)
{
    if (!hvm || !v->arch)
        return -XC_EOPNOTSUPP;
    struct hvm_cpu_facts facts = {
        .cr4_allowed = hvm_cr4_allowed(),
        .nx = x86_has_nx(),
        .phys_bits = phys_bits(),
    };
    struct hvm_start_state state;
    const char *why;
    int rc = hvm_vcpu_context_check(ctx, &facts, &state, &why);
    if (rc)
        return rc;

    hvm->vcpu_set_start_state(v, &state);
    struct arch_vcpu *a = v->arch;
    a->fpu_initialised = false; /* hvm_vcpu_load() writes the reset image */
    a->xcr0 = XCR0_RESET;
    a->msr_star = a->msr_lstar = a->msr_cstar = a->msr_sfmask = 0;
    a->msr_kernel_gs_base = a->msr_tsc_aux = 0;
    return 0;
}

void hvm_start_state_gprs(struct hvm_gprs *gprs, const struct hvm_start_state *start)
{
    memset(gprs, 0, sizeof(*gprs));
    gprs->rax = start->rax;
    gprs->rcx = start->rcx;
    gprs->rdx = start->rdx;
    gprs->rbx = start->rbx;
    gprs->rbp = start->rbp;
    gprs->rsi = start->rsi;
    gprs->rdi = start->rdi;
}
