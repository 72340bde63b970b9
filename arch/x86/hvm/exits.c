/* The vendor-neutral exit handlers: one policy for VMX and SVM alike.
 *
 * Each handler reads the guest's registers from arch_vcpu.gprs, decides, and
 * says what the back end does next. Anything a guest asks that we do not
 * offer gets what real hardware would give (#GP for an unknown MSR or a bad
 * XSETBV/CR value, all-ones from an unused port); anything that cannot
 * continue sensibly crashes that domain only, with a message naming the
 * domain and the reason. The x2APIC MSRs (0x800-0x8ff) and
 * IA32_TSC_DEADLINE go to the vCPU's vLAPIC model (x86/vlapic.h), whose
 * VLAPIC_GP becomes #GP. */
#include <xencore/abi/guest.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/printk.h"
#include "mm/p2m.h"
#include "x86/hvm.h"
#include "x86/hvm_policy.h"
#include "x86/insn.h"
#include "x86/regs.h"

#define MSR_TSC 0x10
#define MSR_PLATFORM_ID 0x17
#define MSR_APIC_BASE 0x1b
#define MSR_BIOS_SIGN_ID 0x8b
#define MSR_MTRR_CAP 0xfe
#define MSR_MISC_ENABLE 0x1a0

#define GUEST_APIC_BASE 0xfee00000ULL
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_X2APIC_ENABLED ((1ULL << 10) | (1ULL << 11))
#define MISC_ENABLE_FAST_STRINGS (1ULL << 0)
#define MISC_ENABLE_BTS_UNAVAILABLE (1ULL << 11)
#define MISC_ENABLE_PEBS_UNAVAILABLE (1ULL << 12)
#define PAT_POWER_ON 0x0007040600070406ULL
#define HYPERCALL_PAGE_INDEX_MASK 0xfffULL

#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_AVX512 (7ULL << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */


/* CR4 bits a guest may set: those the host CPU implements, minus the ones we
 * keep (VMXE, SMXE) or do not virtualize (PKE, CET, LA57). */
#define CR4_GUEST_CANDIDATES 0x3707ffULL /* VME..OSXMMEXCPT, UMIP, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP */

static void set_edx_eax(struct vcpu *v, uint64_t value)
{
    v->arch->gprs.rax = (uint32_t)value;
    v->arch->gprs.rdx = value >> 32;
}

static enum hvm_result inject_gp(struct vcpu *v)
{
    hvm->inject_exception(v, HVM_EXC_GP, true, 0);
    return HVM_RETRY;
}

enum hvm_result hvm_handle_cpuid(struct vcpu *v)
{
    struct cpuid_regs r;
    hvm_cpuid_policy(v, (uint32_t)v->arch->gprs.rax, (uint32_t)v->arch->gprs.rcx, &r);
    v->arch->gprs.rax = r.eax;
    v->arch->gprs.rbx = r.ebx;
    v->arch->gprs.rcx = r.ecx;
    v->arch->gprs.rdx = r.edx;
    return HVM_ADVANCE;
}

uint64_t *hvm_vcpu_pat(struct vcpu *v)
{
    return &v->arch->back_end[7];
}

static bool pat_valid(uint64_t value)
{
    for (unsigned int i = 0; i < 8; i++) {
        uint8_t type = (uint8_t)(value >> (8 * i));
        if (type == 2 || type == 3 || type > 7) /* reserved memory types */
            return false;
    }
    return true;
}

/* The vLAPIC's MSRs, out of hvm_handle_rdmsr's way: the model's answer goes
 * through memory, which the common MSRs need not pay for. */
static __attribute__((noinline)) enum hvm_result rdmsr_lapic(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->arch->gprs.rcx;
    uint64_t value;
    if (!hvm_msr_is_lapic(msr) || vlapic_rdmsr(&v->arch->vlapic, msr, &value) != VLAPIC_OK)
        return inject_gp(v);
    set_edx_eax(v, value);
    return HVM_ADVANCE;
}

enum hvm_result hvm_handle_rdmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->arch->gprs.rcx;
    struct arch_vcpu *a = v->arch;
    uint64_t value;

    switch (msr) {
    case MSR_APIC_BASE:
        value = GUEST_APIC_BASE | APIC_BASE_X2APIC_ENABLED | (v->id == 0 ? APIC_BASE_BSP : 0);
        break;
    case MSR_TSC:
        value = rdtsc();
        break;
    case MSR_PLATFORM_ID:
    case MSR_BIOS_SIGN_ID:
    case MSR_MTRR_CAP:
        value = 0;
        break;
    case MSR_MISC_ENABLE:
        value = MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAILABLE |
                MISC_ENABLE_PEBS_UNAVAILABLE;
        break;
    case MSR_PAT:
        value = *hvm_vcpu_pat(v) ? *hvm_vcpu_pat(v) : PAT_POWER_ON;
        break;
    case MSR_TSC_AUX:
        value = a->msr_tsc_aux;
        break;
    case MSR_STAR:
        value = a->msr_star;
        break;
    case MSR_LSTAR:
        value = a->msr_lstar;
        break;
    case MSR_CSTAR:
        value = a->msr_cstar;
        break;
    case MSR_SFMASK:
        value = a->msr_sfmask;
        break;
    case MSR_KERNEL_GS_BASE:
        value = a->msr_kernel_gs_base;
        break;
    default:
        return rdmsr_lapic(v); /* or #GP */
    }
    set_edx_eax(v, value);
    return HVM_ADVANCE;
}

/* Fills the page at @gpa with 32-byte stubs: mov eax, i; vmcall|vmmcall; ret. */
static bool write_hypercall_page(struct vcpu *v, uint64_t gpa)
{
    uint8_t *page = p2m_gpa_to_virt(v->domain, gpa, ARCH_PAGE_SIZE);
    if (!page)
        return false;
    for (unsigned int i = 0; i < ARCH_PAGE_SIZE / XEN_HYPERCALL_STUB_BYTES; i++) {
        uint8_t *stub = page + i * XEN_HYPERCALL_STUB_BYTES;
        stub[0] = 0xb8; /* mov eax, imm32 */
        stub[1] = (uint8_t)i;
        stub[2] = stub[3] = stub[4] = 0;
        stub[5] = hvm->hypercall_insn[0];
        stub[6] = hvm->hypercall_insn[1];
        stub[7] = hvm->hypercall_insn[2];
        stub[8] = 0xc3; /* ret */
        for (unsigned int j = 9; j < XEN_HYPERCALL_STUB_BYTES; j++)
            stub[j] = 0xcc; /* int3: nothing should run here */
    }
    return true;
}

enum hvm_result hvm_handle_wrmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->arch->gprs.rcx;
    uint64_t value = (v->arch->gprs.rdx << 32) | (uint32_t)v->arch->gprs.rax;
    struct arch_vcpu *a = v->arch;

    switch (msr) {
    case XEN_MSR_HYPERCALL_PAGE:
        /* Low 12 bits: page index; we have one page. */
        if ((value & HYPERCALL_PAGE_INDEX_MASK) != 0 ||
            !write_hypercall_page(v, value & ~HYPERCALL_PAGE_INDEX_MASK))
            return inject_gp(v);
        return HVM_ADVANCE;
    case MSR_APIC_BASE: /* only its current value may be written back */
        if (value != (GUEST_APIC_BASE | APIC_BASE_X2APIC_ENABLED |
                      (v->id == 0 ? APIC_BASE_BSP : 0)))
            return inject_gp(v);
        return HVM_ADVANCE;
    case MSR_MISC_ENABLE:
    case MSR_BIOS_SIGN_ID: /* microcode update trigger: ignored */
        return HVM_ADVANCE;
    case MSR_PAT:
        if (!pat_valid(value))
            return inject_gp(v);
        *hvm_vcpu_pat(v) = value;
        return HVM_ADVANCE;
    case MSR_TSC_AUX:
        if (value >> 32)
            return inject_gp(v);
        a->msr_tsc_aux = value;
        wrmsr(MSR_TSC_AUX, value);
        return HVM_ADVANCE;
    case MSR_STAR:
        a->msr_star = value;
        wrmsr(msr, value);
        return HVM_ADVANCE;
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_KERNEL_GS_BASE:
        if ((uint64_t)((int64_t)(value << 16) >> 16) != value) /* non-canonical */
            return inject_gp(v);
        if (msr == MSR_LSTAR)
            a->msr_lstar = value;
        else if (msr == MSR_CSTAR)
            a->msr_cstar = value;
        else
            a->msr_kernel_gs_base = value;
        wrmsr(msr, value);
        return HVM_ADVANCE;
    case MSR_SFMASK:
        a->msr_sfmask = value & UINT32_MAX;
        wrmsr(msr, a->msr_sfmask);
        return HVM_ADVANCE;
    default:
        /* The back end re-checks after these (hvm_msr_is_lapic); an error
         * the write caused may have raised the error LVT. */
        if (!hvm_msr_is_lapic(msr) || vlapic_wrmsr(&a->vlapic, msr, value) != VLAPIC_OK)
            return inject_gp(v);
        hvm_vcpu_lapic_hint(v);
        return HVM_ADVANCE;
    }
}

/* XSETBV, judged as the CPU judges it (SDM vol. 2, XSETBV) against what
 * this domain may enable, the same hvm_guest_xcr0_allowed() that CPUID 0xD.0
 * reports: #GP for an XCR other than 0, XCR0 without x87, AVX without SSE,
 * AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) other than all three together with
 * AVX, or any bit not offered. CR4.OSXSAVE = 0 (#UD) and CPL > 0 (#GP) fault
 * in the guest before the exit on both VMX (SDM vol. 3, "Relative priority
 * of faults and VM exits": #UD and privilege-level faults come first) and
 * SVM (APM vol. 2: instruction intercepts are checked after simple
 * exceptions such as #UD and a CPL #GP); the CPL check stays for an emulator
 * that orders them otherwise. An accepted value is the vCPU's XCR0
 * from here on (hvm_vcpu_load writes it back after every switch). */
enum hvm_result hvm_handle_xsetbv(struct vcpu *v)
{
    uint64_t value = (v->arch->gprs.rdx << 32) | (uint32_t)v->arch->gprs.rax;
    uint64_t allowed = hvm_guest_xcr0_allowed();
    uint64_t avx512 = value & XCR0_AVX512;
    unsigned int cpl;
    bool long_mode;

    hvm->get_mode(v, &cpl, &long_mode);
    if (cpl != 0 || (uint32_t)v->arch->gprs.rcx != 0 || (value & ~allowed) || !(value & XCR0_X87) ||
        ((value & XCR0_AVX) && !(value & XCR0_SSE)) ||
        (avx512 && (avx512 != XCR0_AVX512 || !(value & XCR0_AVX))))
        return inject_gp(v);
    v->arch->xcr0 = value;
    __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
    return HVM_ADVANCE;
}

/* Both entry points below get their own copy, so neither pays a call: with
 * @ask_mode the guest's mode comes from hvm->get_mode, else from the caller. */
static inline __attribute__((always_inline)) enum hvm_result
handle_hypercall(struct vcpu *v, bool ask_mode, unsigned int cpl, bool caller_long_mode)
{
    struct hvm_gprs *g = &v->arch->gprs;
    struct hypercall_args args;
    uint64_t args32[5];
    bool long_mode;
    if (ask_mode) {
        hvm->get_mode(v, &args.cpl, &long_mode);
    } else {
        args.cpl = cpl;
        long_mode = caller_long_mode;
    }
    if (long_mode) {
        args.number = g->rax;
        args.arg = &g->rdi; /* RDI, RSI, RDX, R10, R8 lie in this order */
    } else { /* 32-bit convention: EBX, ECX, EDX, ESI, EDI */
        args.number = (uint32_t)g->rax;
        args32[0] = (uint32_t)g->rbx;
        args32[1] = (uint32_t)g->rcx;
        args32[2] = (uint32_t)g->rdx;
        args32[3] = (uint32_t)g->rsi;
        args32[4] = (uint32_t)g->rdi;
        args.arg = args32;
    }
    args.result = 0;
    args.state_changed = false;
    core_hypercall(v, &args);
    v->arch->hypercall_changed_state = args.state_changed;
    g->rax = long_mode ? args.result : (uint32_t)args.result;
    return HVM_ADVANCE; /* the back end re-checks vcpu_runnable() before entering */
}

enum hvm_result hvm_handle_hypercall(struct vcpu *v)
{
    return handle_hypercall(v, true, 0, false);
}

enum hvm_result hvm_handle_hypercall_in_mode(struct vcpu *v, unsigned int cpl, bool long_mode)
{
    return handle_hypercall(v, false, cpl, long_mode);
}

/* HLT waits for an event, as SCHEDOP_block does: the core blocks the vCPU
 * unless an upcall, an NMI or a vLAPIC vector is already pending (then it
 * goes on at once; arch_vcpu_interrupt_pending), and wakes it when one
 * arrives; the run loop then re-checks and delivers it. With IF clear an
 * interrupt cannot be delivered, but the vCPU still wakes, as a CPU leaves
 * HLT for an interrupt it then holds pending. */
enum hvm_result hvm_handle_hlt(struct vcpu *v)
{
    vcpu_block(v);
    return HVM_ADVANCE; /* past the HLT; it resumes there when woken */
}

enum hvm_result hvm_handle_io(struct vcpu *v, uint16_t port, unsigned int size, bool in)
{
    (void)port; /* no devices: reads float high, writes vanish */
    if (in) {
        uint64_t *rax = &v->arch->gprs.rax;
        if (size == 1)
            *rax |= 0xff;
        else if (size == 2)
            *rax |= 0xffff;
        else
            *rax = 0xffffffffULL; /* a 32-bit result clears the upper half */
    }
    return HVM_ADVANCE;
}

uint64_t hvm_cr4_allowed(void)
{
    uint64_t allowed = CR4_GUEST_CANDIDATES;
    struct cpuid_regs l1 = cpuid(1), l7 = cpuid_count(7, 0);
    if (!(l1.ecx & (1U << 26)))
        allowed &= ~(1ULL << 18); /* OSXSAVE */
    if (!(l1.ecx & (1U << 17)))
        allowed &= ~(1ULL << 17); /* PCIDE */
    if (!(l7.ebx & (1U << 0)))
        allowed &= ~(1ULL << 16); /* FSGSBASE */
    if (!(l7.ebx & (1U << 7)))
        allowed &= ~(1ULL << 20); /* SMEP */
    if (!(l7.ebx & (1U << 20)))
        allowed &= ~(1ULL << 21); /* SMAP */
    if (!(l7.ecx & (1U << 2)))
        allowed &= ~(1ULL << 11); /* UMIP */
    return allowed;
}

enum hvm_result hvm_handle_cr_write(struct vcpu *v, unsigned int cr, uint64_t value,
                                    void (*apply)(struct vcpu *v, unsigned int cr,
                                                  uint64_t value))
{
    struct hvm_state state;
    hvm->get_state(v, &state);
    if (cr == 0) {
        if ((value & ~X86_CR0_DEFINED) || ((value & X86_CR0_PG) && !(value & X86_CR0_PE)) ||
            ((value & X86_CR0_NW) && !(value & X86_CR0_CD)) ||
            /* Paging on with long mode enabled needs PAE (SDM: #GP). */
            ((value & X86_CR0_PG) && (state.efer & EFER_LME) && !(state.cr4 & X86_CR4_PAE)))
            return inject_gp(v);
    } else if (cr == 4) {
        if ((value & ~hvm_cr4_allowed()) || ((state.efer & EFER_LMA) && !(value & X86_CR4_PAE)) ||
            ((value & X86_CR4_PCIDE) && !(state.efer & EFER_LMA)))
            return inject_gp(v);
    } else {
        return hvm_handle_fatal(v, "write to an unexpected control register");
    }
    apply(v, cr, value);
    return HVM_ADVANCE;
}

enum hvm_result hvm_handle_p2m_fault(struct vcpu *v, uint64_t gpa, bool write, bool fetch)
{
    struct domain *d = v->domain;
    struct hvm_state state;
    hvm->get_state(v, &state);
    const char *what = fetch ? "instruction fetch" : write ? "write" : "read";
    if (gpa >> ARCH_PAGE_SHIFT >= d->max_gfn)
        domain_crash(d, "%s at guest-physical 0x%llx, outside its %llu MiB of RAM (rip 0x%llx)",
                     what, (unsigned long long)gpa, (unsigned long long)(d->memory_kib >> 10),
                     (unsigned long long)state.rip);
    else
        domain_crash(d, "%s at guest-physical 0x%llx not allowed (rip 0x%llx)", what,
                     (unsigned long long)gpa, (unsigned long long)state.rip);
    return HVM_STOP;
}

enum hvm_result hvm_handle_fatal(struct vcpu *v, const char *what)
{
    struct hvm_state state;
    hvm->get_state(v, &state);
    domain_crash(v->domain, "%s (vcpu %u, rip 0x%llx)", what, v->id,
                 (unsigned long long)state.rip);
    return HVM_STOP;
}
