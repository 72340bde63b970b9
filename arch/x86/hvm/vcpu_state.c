/* Guest state the CPU keeps outside the VMCS/VMCB: x87/SSE/AVX/AVX-512
 * registers, MXCSR, XCR0, and the SYSCALL/SWAPGS/RDTSCP MSRs.
 *
 * Eager, not lazy. hvm_vcpu_load() restores a vCPU's whole vector state
 * before its first entry on a CPU; hvm_vcpu_put() saves it when the vCPU
 * leaves that CPU (arch_vcpu_run returns). Lazy switching (CR0.TS set, the
 * state moved on the first #NM) would leave one guest's registers in the CPU
 * while another runs, guarded only by a trap: the LazyFP speculative leak
 * (CVE-2018-3665) reads them through that window, and every guest that uses
 * SSE at all (every compiler-built one) would pay an #NM exit per switch on
 * top of the save. Between load and put the hypervisor never touches vector
 * registers (it is built without them), so the guest's values stay in the
 * CPU across exits and a hypercall round trip pays nothing here.
 *
 * Isolation: both directions run with XCR0 = every component a guest may
 * enable (hvm_guest_xcr0_allowed(), the value CPUID 0xD.0 offers and XSETBV
 * checks against), and the restore asks for all of them: a component the
 * incoming vCPU has never used comes back in its initial state from the
 * vCPU's own image, never as whatever the previous vCPU left. So every
 * register, MXCSR included, holds the incoming vCPU's value or the
 * architectural initial value before its XCR0 is written and it enters; no
 * guest can read another's registers, XCR0 or MXCSR. A vCPU's XCR0 is read
 * back from the CPU when it leaves (see fpu_save) and written before it
 * enters again. A new vCPU (or one reset by VCPUOP_initialise) starts from
 * the reset image below.
 *
 * Which save instruction (chosen once, from CPUID 0xD.1 EAX). What each
 * offers (SDM vol. 1, 13.6-13.11):
 *   XSAVE     standard format, saves every component asked for.
 *   XSAVEOPT  standard format, plus the init optimization (components in
 *             their initial state are not written) and the modified one
 *             (components unchanged since the last XRSTOR from this area
 *             are not written).
 *   XSAVEC    compacted format, init optimization only.
 *   XSAVES    compacted format, both optimizations, and supervisor
 *             components (IA32_XSS); it needs CPL 0, IA32_XSS describing
 *             only what the area may hold, and XRSTORS to load.
 * We use XSAVEOPT on VMX, else XSAVE. XSAVES would add nothing: we save no
 * supervisor component (the mask passed is user components only, so
 * IA32_XSS, which we never set and which is 0 from reset, never matters)
 * and compaction only saves room the page has anyway. XSAVEC gives up the
 * modified optimization for the same room. The compacted forms are also
 * broken in Bochs 2.7, one of our rigs (measured on corei7_skylake_x: after
 * an XSAVES with AVX state the header's reserved bytes are not zero and the
 * next XRSTORS is #GP; XSAVEC shares that code there).
 * The modified optimization skips a component only if the last XRSTOR ran
 * with the same (CPL, VMX non-root, linear address) tuple (SDM vol. 1,
 * 13.6, 13.9). Ours always pairs: put follows a load of the same vCPU on the
 * same CPU and nothing writes the image in between; a guest's own XRSTOR
 * runs in VMX non-root operation and so never matches our tuple. That
 * guarantee is Intel's; we found no such promise about guest mode in AMD's
 * manual, so on SVM (where a guest could XRSTOR from the linear address of
 * our image) we use plain XSAVE.
 *
 * The image is one page. The probe checks, once, that every component a
 * guest may enable fits in it in the chosen format (CPUID 0xD.i sizes and
 * offsets), and panics at the first load naming the sizes if not: no guest
 * ever runs with state that could not be saved. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "x86/hvm.h"
#include "x86/hvm_policy.h"
#include "x86/insn.h"
#include "x86/regs.h"

/* The legacy region (FXSAVE layout) and the XSAVE header. */
#define FXSAVE_FCW_OFFSET 0
#define FXSAVE_MXCSR_OFFSET 24
#define XSAVE_HEADER_OFFSET 512
#define XSAVE_XSTATE_BV_OFFSET (XSAVE_HEADER_OFFSET + 0)
#define XSAVE_EXTENDED_OFFSET 576 /* legacy region + header */
#define FCW_INIT 0x037f
#define MXCSR_INIT 0x1f80
#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_FIRST_EXTENDED 2
#define XCR0_COMPONENTS 63

/* CPUID 0xD.1 EAX */
#define XSAVE_LEAF 0xd
#define XSAVE1_EAX_XSAVEOPT (1U << 0)

enum xstate_save {
    XSTATE_FXSAVE, /* no XSAVE on this CPU: FXSAVE/FXRSTOR, x87 and SSE only */
    XSTATE_XSAVE,
    XSTATE_XSAVEOPT,
};

static const char *const xstate_save_names[] = {
    [XSTATE_FXSAVE] = "fxsave",
    [XSTATE_XSAVE] = "xsave",
    [XSTATE_XSAVEOPT] = "xsaveopt",
};

/* Read once (the first load); every CPU is alike. */
static struct {
    bool known;
    enum xstate_save save;
    uint64_t all;  /* the components saved and restored: hvm_guest_xcr0_allowed() */
    uint32_t size; /* bytes of the image in the chosen format */
} xstate;

static struct vcpu *loaded[XENCORE_MAX_CPUS];

/* Bytes a standard-format image of components @mask takes: the end of
 * the last component by the offsets and sizes in CPUID 0xD.i. */
static uint32_t xstate_image_size(uint64_t mask)
{
    uint32_t size = XSAVE_EXTENDED_OFFSET;
    for (unsigned int i = XCR0_FIRST_EXTENDED; i < XCR0_COMPONENTS; i++) {
        if (!(mask & (1ULL << i)))
            continue;
        struct cpuid_regs r = cpuid_count(XSAVE_LEAF, i);
        if (r.ebx + r.eax > size)
            size = r.ebx + r.eax;
    }
    return size;
}

static void xstate_probe(void)
{
    if (__builtin_expect(__atomic_load_n(&xstate.known, __ATOMIC_ACQUIRE), 1))
        return;
    enum xstate_save save = XSTATE_FXSAVE;
    uint64_t all = 0;
    uint32_t size = XSAVE_HEADER_OFFSET;
    if (cpuid(1).ecx & CPUID1_ECX_XSAVE) {
        bool vmx = hvm && strcmp(hvm->name, "vmx") == 0;
        bool xsaveopt = cpuid_count(XSAVE_LEAF, 1).eax & XSAVE1_EAX_XSAVEOPT;
        save = vmx && xsaveopt ? XSTATE_XSAVEOPT : XSTATE_XSAVE;
        all = hvm_guest_xcr0_allowed() | XCR0_X87;
        size = xstate_image_size(all);
    }
    if (size > ARCH_PAGE_SIZE)
        panic("guest vector state: the components guests may enable (XCR0 0x%llx) need %u "
              "bytes, more than the %u-byte image each vCPU has",
              (unsigned long long)all, size, (unsigned)ARCH_PAGE_SIZE);
    xstate.save = save;
    xstate.all = all;
    xstate.size = size;
    if (!__atomic_exchange_n(&xstate.known, true, __ATOMIC_ACQ_REL))
        printk("xencore: guest vector state: %s, xcr0 0x%llx, %u of %u bytes\n",
               xstate_save_names[save], (unsigned long long)all, size, (unsigned)ARCH_PAGE_SIZE);
}

uint32_t hvm_guest_xsave_bytes(void)
{
    xstate_probe();
    return xstate.size;
}

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* XSETBV is serializing: skipped when XCR0 already holds @value. */
static void xcr0_write(uint64_t value)
{
    if (xgetbv0() != value)
        __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static void fpu_save(struct arch_vcpu *a)
{
    void *area = a->xsave_area;
    uint32_t lo = (uint32_t)xstate.all, hi = (uint32_t)(xstate.all >> 32);
    if (xstate.save != XSTATE_FXSAVE) {
        /* The guest's XCR0 is what the CPU holds: hvm_handle_xsetbv() wrote
         * it, or, where the CPU never gave us the exit (QEMU 7.2's SVM), the
         * guest itself. Components outside those offered are dropped: they
         * are not in the image, so they must not stay enabled. */
        uint64_t current = xgetbv0();
        a->xcr0 = (current & xstate.all) | XCR0_X87;
        if (current != xstate.all)
            __asm__ volatile("xsetbv" ::"c"(0), "a"(lo), "d"(hi));
    }
    switch (xstate.save) {
    case XSTATE_XSAVEOPT:
        __asm__ volatile("xsaveopt64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
        break;
    case XSTATE_XSAVE:
        __asm__ volatile("xsave64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
        break;
    case XSTATE_FXSAVE:
        __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
        break;
    }
}

/* The architectural reset image: x87 after FNINIT, MXCSR 0x1f80, every
 * register zero. x87 and SSE are marked present (their values are in the
 * legacy region); every other component is marked initial. */
static void fpu_reset_image(struct arch_vcpu *a)
{
    uint8_t *area = a->xsave_area;
    memset(area, 0, ARCH_PAGE_SIZE);
    *(uint16_t *)(area + FXSAVE_FCW_OFFSET) = FCW_INIT;
    *(uint32_t *)(area + FXSAVE_MXCSR_OFFSET) = MXCSR_INIT;
    if (xstate.save != XSTATE_FXSAVE)
        *(uint64_t *)(area + XSAVE_XSTATE_BV_OFFSET) = XCR0_X87 | XCR0_SSE;
    a->fpu_initialised = true;
}

static void fpu_restore(struct arch_vcpu *a)
{
    if (!a->fpu_initialised)
        fpu_reset_image(a);
    void *area = a->xsave_area;
    uint32_t lo = (uint32_t)xstate.all, hi = (uint32_t)(xstate.all >> 32);
    if (xstate.save == XSTATE_FXSAVE) {
        __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
        return;
    }
    xcr0_write(xstate.all);
    __asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
    /* Only values hvm_handle_xsetbv() accepted (or the reset value). */
    xcr0_write(a->xcr0 ? a->xcr0 : XCR0_X87);
}

void hvm_vcpu_load(struct vcpu *v)
{
    unsigned int cpu = arch_this_cpu();
    if (loaded[cpu] == v)
        return;
    struct arch_vcpu *a = v->arch;
    xstate_probe();
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
