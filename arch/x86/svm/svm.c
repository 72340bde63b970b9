/* The AMD SVM back end: probing, enabling SVM on each CPU, the VMCB of each
 * vCPU and the loop that runs it.
 *
 * Per CPU: EFER.SVME, a host save area (VM_HSAVE_PA) for VMRUN, and a host
 * VMCB holding what VMSAVE captured of the host at start-up (FS, GS with the
 * per-CPU pointer, TR, LDTR and the SYSCALL/SYSENTER MSRs): VMRUN does not
 * switch those, so svm_entry.S loads the guest's with VMLOAD before VMRUN,
 * saves them back with VMSAVE after, and reloads the host's. A guest's values
 * therefore live only in its own VMCB and never reach the host or another
 * guest.
 *
 * Address-space ids: each CPU hands out ASIDs 1..nr_asids-1 from a counter;
 * a vCPU keeps its ASID while it stays on that CPU in the same generation.
 * Moving to another CPU takes a fresh ASID there; when a CPU runs out it
 * starts a new generation and flushes its whole TLB once, so an ASID is never
 * reused on a CPU without a flush in between. A vCPU whose translations must
 * go (its NPT changed, or its CR0/CR4 paging bits) is flushed by ASID if the
 * CPU can, else given a fresh ASID, which has the same effect.
 *
 * VMCB clean bits: where the CPU offers them, everything is marked clean
 * except the groups this back end changed since the vCPU's last VMRUN on the
 * same CPU (svm_vcpu.vmcb_dirty); a VMCB that ran elsewhere, or another VMCB
 * run here since, gets no clean bits at all.
 *
 * Interrupts for the guest (policy in hvm/interrupts.c) go in through
 * EVENTINJ; there is no AVIC here, so the vLAPIC is all software. With
 * V_INTR_MASKING the guest's CR8 is V_TPR in the VMCB and never reaches the
 * host's TPR. CR8 writes are intercepted and become vLAPIC TPR writes; V_TPR
 * is kept equal to TPR >> 4 (after each CR8 or TPR MSR write, and at reset),
 * so CR8 reads need no exit. NMIs: after injecting one we intercept IRET;
 * while that intercept is set the guest is taken to block NMIs, and at the
 * IRET exit we drop it and set the interrupt shadow, so a next NMI waits
 * until the IRET has retired (as Xen does; SVM has no NMI window, so the
 * interrupt window stands in for it).
 *
 * The exit loop and instruction decoding are in svm_exit.c, nested paging in
 * svm_npt.c, VMRUN itself and the fast resume in svm_entry.S. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/frame_alloc.h"
#include "mm/mm.h"
#include "svm_internal.h"
#include "x86/insn.h"
#include "x86/regs.h"
#include "x86/traps.h"
#include "x86/vcpu_context.h"

_Static_assert(__builtin_offsetof(struct arch_vcpu, gprs) == 0, "gprs at offset 0");

/* MSRs the guest reads and writes without an exit: their values are part of
 * the VMCB state VMLOAD/VMSAVE move, so they are switched on every entry. */
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_FS_BASE 0xc0000100

static const uint32_t passthrough_msrs[] = {
    MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_STAR,    MSR_LSTAR,
    MSR_CSTAR,       MSR_SFMASK,       MSR_FS_BASE,      MSR_GS_BASE, MSR_KERNEL_GS_BASE,
};

#define X86_RFLAGS_FIXED 0x2ULL /* bit 1 reads as one */
#define X86_DR6_INIT 0xffff0ff0ULL
#define X86_DR7_INIT 0x400ULL
#define PHYS_BITS_DEFAULT 36 /* when CPUID 0x80000008 is missing */
#define CPUID_EXT_MAX_LEAF 0x80000000U
#define CPUID_EXT_FEATURES_LEAF 0x80000001U

#define P2M_ORDER_4K 0
#define P2M_ORDER_2M 9
#define P2M_ORDER_1G 18

struct svm_cpu {
    uint64_t hsave_phys;      /* VM_HSAVE_PA */
    uint64_t host_vmcb_phys;  /* the host's VMSAVE state */
    uint64_t last_vmcb_phys;  /* the VMCB this CPU last ran (clean bits) */
    uint64_t asid_generation; /* >= 1 once enabled */
    uint32_t next_asid;
    bool flush_all; /* flush every ASID at the next VMRUN */
};

struct svm_features svm_features;
uint32_t svm_resume_clean;
static struct svm_cpu svm_cpus[XENCORE_MAX_CPUS];

static void svm_vmsave(uint64_t vmcb_phys)
{
    __asm__ volatile("vmsave %%rax" ::"a"(vmcb_phys) : "memory");
}

int svm_alloc_frame(uint64_t *phys)
{
    pfn_t pfn;
    if (frame_alloc(&host_frames, 0, &pfn))
        return -XC_ENOMEM;
    *phys = pfn << ARCH_PAGE_SHIFT;
    memset(arch_phys_to_virt(*phys), 0, ARCH_PAGE_SIZE);
    return 0;
}

void svm_free_frame(uint64_t phys)
{
    frame_free(&host_frames, phys >> ARCH_PAGE_SHIFT, 0);
}

/* ---- Probe and per-CPU enabling --------------------------------------------- */

static bool svm_cpu_capable(void)
{
    return cpuid(CPUID_EXT_MAX_LEAF).eax >= CPUID_SVM_LEAF &&
           (cpuid(CPUID_EXT_FEATURES_LEAF).ecx & CPUID_EXT1_ECX_SVM) &&
           !(rdmsr(MSR_VM_CR) & VM_CR_SVMDIS);
}

/* Clears the read and write intercept of @msr in the MSR permission map. */
static void msrpm_pass_through(uint8_t *map, uint32_t msr)
{
    static const uint32_t bases[] = {SVM_MSRPM_RANGE0_BASE, SVM_MSRPM_RANGE1_BASE,
                                     SVM_MSRPM_RANGE2_BASE};
    for (unsigned int range = 0; range < sizeof(bases) / sizeof(bases[0]); range++) {
        if (msr - bases[range] < SVM_MSRPM_RANGE_MSRS) {
            uint32_t bit = (msr - bases[range]) * 2;
            map[range * SVM_MSRPM_RANGE_BYTES + bit / 8] &= (uint8_t) ~(3U << (bit % 8));
            return;
        }
    }
}

static void svm_permission_maps_init(void)
{
    uint64_t iopm = mm_alloc_boot_pages(SVM_IOPM_ORDER);
    memset(arch_phys_to_virt(iopm), 0xff, ARCH_PAGE_SIZE << SVM_IOPM_ORDER);
    uint64_t msrpm = mm_alloc_boot_pages(SVM_MSRPM_ORDER);
    uint8_t *map = arch_phys_to_virt(msrpm);
    memset(map, 0xff, ARCH_PAGE_SIZE << SVM_MSRPM_ORDER);
    for (unsigned int i = 0; i < sizeof(passthrough_msrs) / sizeof(passthrough_msrs[0]); i++)
        msrpm_pass_through(map, passthrough_msrs[i]);
    svm_features.iopm_phys = iopm;
    svm_features.msrpm_phys = msrpm;
}

static int svm_cpu_init(void)
{
    unsigned int cpu = arch_this_cpu();
    if (cpu >= XENCORE_MAX_CPUS)
        return -XC_ERANGE;
    if (!svm_cpu_capable())
        return -XC_EOPNOTSUPP;
    if (!svm_features.iopm_phys) /* the boot CPU comes first */
        svm_permission_maps_init();
    struct svm_cpu *pc = &svm_cpus[cpu];
    if (!pc->hsave_phys) {
        pc->hsave_phys = mm_alloc_boot_pages(0);
        pc->host_vmcb_phys = mm_alloc_boot_pages(0);
        pc->asid_generation = 1;
        pc->next_asid = 1;
        pc->flush_all = true; /* whatever ran before us may have left translations */
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, pc->hsave_phys);
    svm_vmsave(pc->host_vmcb_phys);
    return 0;
}

/* ---- vCPUs --------------------------------------------------------------------- */

/* Clears V_IRQ and the VINTR intercept: no interrupt window. */
static void svm_window_close(struct svm_vcpu *sv)
{
    struct vmcb *vmcb = sv->vmcb;
    vmcb->vintr &= ~(SVM_VINTR_IRQ | SVM_VINTR_IGN_TPR | SVM_VINTR_PRIO_MASK);
    vmcb->intercept_misc1 &= ~SVM_INTERCEPT1_VINTR;
    sv->vmcb_dirty |= SVM_CLEAN_TPR | SVM_CLEAN_INTERCEPTS;
}

/* V_TPR (the guest's CR8) := vLAPIC TPR >> 4. */
void svm_sync_vtpr(struct svm_vcpu *sv)
{
    uint64_t tpr = sv->arch.vlapic.regs ? hvm_vcpu_lapic_tpr(sv->arch.vcpu) >> 4 : 0;
    sv->vmcb->vintr = (sv->vmcb->vintr & ~SVM_VINTR_TPR_MASK) | tpr;
    sv->vmcb_dirty |= SVM_CLEAN_TPR;
}

/* A start state (PVH entry or VCPUOP_initialise, already checked): the
 * VMCB is memory, so it is written at once; the vCPU is not running. */
static void svm_write_start_state(struct svm_vcpu *sv, const struct hvm_start_state *start)
{
    struct vmcb *vmcb = sv->vmcb;
    struct vmcb_segment *const segments[HVM_SEG_COUNT] = {
        [HVM_SEG_ES] = &vmcb->es, [HVM_SEG_CS] = &vmcb->cs, [HVM_SEG_SS] = &vmcb->ss,
        [HVM_SEG_DS] = &vmcb->ds, [HVM_SEG_FS] = &vmcb->fs, [HVM_SEG_GS] = &vmcb->gs,
        [HVM_SEG_TR] = &vmcb->tr, [HVM_SEG_LDTR] = &vmcb->ldtr,
    };
    for (unsigned int i = 0; i < HVM_SEG_COUNT; i++) {
        const struct hvm_segment *seg = &start->segments[i];
        *segments[i] = (struct vmcb_segment){
            .selector = seg->selector, .attrib = seg->attr, .limit = seg->limit, .base = seg->base};
    }
    vmcb->gdtr = (struct vmcb_segment){0};
    vmcb->idtr = (struct vmcb_segment){0};
    /* The CPL is SS.DPL (APM 15.5.1). */
    vmcb->cpl = (uint8_t)((start->segments[HVM_SEG_SS].attr >> SEG_AR_DPL_SHIFT) & SEG_AR_DPL_MASK);

    hvm_start_state_gprs(&sv->arch.gprs, start);
    vmcb->rax = start->rax;

    sv->efer = start->efer;
    vmcb->efer = start->efer | EFER_SVME; /* required by VMRUN; the guest never sees it */
    vmcb->cr0 = start->cr0 | X86_CR0_ET;
    vmcb->cr2 = 0;
    vmcb->cr3 = start->cr3;
    vmcb->cr4 = start->cr4;
    vmcb->dr6 = X86_DR6_INIT;
    vmcb->dr7 = X86_DR7_INIT;
    vmcb->rflags = start->rflags | X86_RFLAGS_FIXED;
    vmcb->rip = start->rip;
    vmcb->rsp = start->rsp;
    vmcb->star = vmcb->lstar = vmcb->cstar = vmcb->sfmask = vmcb->kernel_gs_base = 0;
    vmcb->sysenter_cs = vmcb->sysenter_esp = vmcb->sysenter_eip = 0;
    vmcb->g_pat = SVM_GUEST_PAT_DEFAULT;
    vmcb->event_inject = 0;
    vmcb->interrupt_state = 0;
    vmcb->intercept_misc1 &= ~SVM_INTERCEPT1_IRET; /* no NMI in progress */
    memset(sv->dr, 0, sizeof(sv->dr));
    svm_window_close(sv);
    svm_sync_vtpr(sv);
    hvm_interrupt_window_reset(sv->arch.vcpu);

    sv->vmcb_dirty = SVM_CLEAN_ALL;
    svm_vcpu_flush_tlb(sv);
}

static void svm_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t ebx)
{
    struct hvm_start_state pvh;
    hvm_pvh_start_state(&pvh, entry, ebx);
    svm_write_start_state(svm_vcpu_of(v), &pvh);
}

static void svm_vcpu_set_start_state(struct vcpu *v, const struct hvm_start_state *state)
{
    svm_write_start_state(svm_vcpu_of(v), state);
}

static void svm_vmcb_init_controls(struct svm_vcpu *sv)
{
    struct vmcb *vmcb = sv->vmcb;
    /* CR8 writes: the vLAPIC's TPR (see the top of this file). */
    vmcb->intercept_cr =
        SVM_INTERCEPT_CR_WRITE(0) | SVM_INTERCEPT_CR_WRITE(4) | SVM_INTERCEPT_CR_WRITE(8);
    /* #UD: vmcall from Intel-minded guests; #DF: see svm_exit_double_fault(). */
    vmcb->intercept_exceptions = 1U << HVM_EXC_UD | 1U << X86_VECTOR_DOUBLE_FAULT;
    vmcb->intercept_misc1 = SVM_INTERCEPT1_INTR | SVM_INTERCEPT1_NMI | SVM_INTERCEPT1_CPUID |
                            SVM_INTERCEPT1_INVD | SVM_INTERCEPT1_HLT | SVM_INTERCEPT1_INVLPGA |
                            SVM_INTERCEPT1_IOIO_PROT | SVM_INTERCEPT1_MSR_PROT |
                            SVM_INTERCEPT1_SHUTDOWN;
    /* The SVM instructions work in guest mode (the VMCB's EFER has SVME), and
     * VMLOAD/VMSAVE would take host-physical addresses: all of them exit and
     * the guest gets #UD, as on a CPU without SVM. */
    vmcb->intercept_misc2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD |
                            SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |
                            SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_MONITOR | SVM_INTERCEPT2_MWAIT |
                            SVM_INTERCEPT2_MWAIT_ARMED | SVM_INTERCEPT2_XSETBV;
    vmcb->iopm_base = svm_features.iopm_phys;
    vmcb->msrpm_base = svm_features.msrpm_phys;
    vmcb->tsc_offset = 0;
    vmcb->asid = 0; /* invalid: svm_prepare_entry() assigns one */
    /* The guest's IF and TPR govern only virtual interrupts; physical ones
     * follow the host's IF, so a guest running with interrupts off still
     * leaves to the host on every interrupt. */
    vmcb->vintr = SVM_VINTR_MASKING;
    vmcb->nested_control = SVM_NESTED_CONTROL_NP_ENABLE;
    vmcb->nested_cr3 = sv->sd->arch.p2m_root;
}

static int svm_vcpu_init(struct vcpu *v)
{
    struct svm_domain *sd = svm_domain_of(v->domain);
    if (!sd)
        return -XC_EINVAL;
    uint64_t self, vmcb, xsave;
    if (svm_alloc_frame(&self))
        return -XC_ENOMEM;
    if (svm_alloc_frame(&vmcb)) {
        svm_free_frame(self);
        return -XC_ENOMEM;
    }
    if (svm_alloc_frame(&xsave)) {
        svm_free_frame(vmcb);
        svm_free_frame(self);
        return -XC_ENOMEM;
    }
    struct svm_vcpu *sv = arch_phys_to_virt(self);
    sv->arch.vcpu = v;
    sv->arch.control = arch_phys_to_virt(vmcb);
    sv->arch.control_phys = vmcb;
    sv->arch.xsave_area = arch_phys_to_virt(xsave);
    sv->arch.xcr0 = 1;
    sv->self_phys = self;
    sv->xsave_phys = xsave;
    sv->sd = sd;
    sv->vmcb = sv->arch.control;
    svm_vmcb_init_controls(sv);
    v->arch = &sv->arch;
    if (hvm_vcpu_lapic_init(v)) {
        v->arch = NULL;
        svm_free_frame(xsave);
        svm_free_frame(vmcb);
        svm_free_frame(self);
        return -XC_ENOMEM;
    }
    svm_vcpu_set_pvh_entry(v, 0, 0); /* a valid state until the builder sets one */
    return 0;
}

static void svm_vcpu_teardown(struct vcpu *v)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    if (!sv)
        return;
    /* A CPU that ran this VMCB may remember it for clean bits: forget it. */
    for (unsigned int cpu = 0; cpu < XENCORE_MAX_CPUS; cpu++)
        if (svm_cpus[cpu].last_vmcb_phys == sv->arch.control_phys)
            __atomic_store_n(&svm_cpus[cpu].last_vmcb_phys, 0, __ATOMIC_RELAXED);
    hvm_vcpu_lapic_teardown(&sv->arch);
    v->arch = NULL;
    svm_free_frame(sv->xsave_phys);
    svm_free_frame(sv->arch.control_phys);
    svm_free_frame(sv->self_phys);
}

/* ---- Entering the guest ------------------------------------------------------- */

static void svm_new_asid(struct svm_vcpu *sv, struct svm_cpu *pc, unsigned int cpu)
{
    if (pc->next_asid >= svm_features.nr_asids) {
        pc->asid_generation++;
        pc->next_asid = 1;
        pc->flush_all = true;
    }
    sv->arch.asid = pc->next_asid++;
    sv->asid_cpu = cpu;
    sv->asid_generation = pc->asid_generation;
    sv->vmcb->asid = sv->arch.asid;
    sv->vmcb_dirty |= SVM_CLEAN_ASID;
}

/* ASID, TLB control and clean bits for the VMRUN about to happen on @cpu. */
static void svm_prepare_entry(struct svm_vcpu *sv, struct svm_cpu *pc, unsigned int cpu)
{
    struct vmcb *vmcb = sv->vmcb;
    uint8_t tlb = SVM_TLB_NOTHING;

    bool flush = sv->vmcb_dirty & SVM_DIRTY_TLB_FLUSH;
    uint64_t generation = __atomic_load_n(&sv->sd->p2m_generation, __ATOMIC_ACQUIRE);
    if (__builtin_expect(generation != sv->p2m_seen, 0)) {
        flush = true;
        __atomic_store_n(&sv->p2m_seen, generation, __ATOMIC_RELEASE);
    }
    if (__builtin_expect(sv->asid_cpu != cpu || sv->asid_generation != pc->asid_generation ||
                             (flush && !svm_features.flush_by_asid),
                         0)) {
        svm_new_asid(sv, pc, cpu); /* never used on this CPU since its last full flush */
    } else if (__builtin_expect(flush, 0)) {
        tlb = SVM_TLB_FLUSH_ASID;
    }
    if (__builtin_expect(pc->flush_all, 0)) {
        tlb = SVM_TLB_FLUSH_ALL;
        pc->flush_all = false;
    }
    vmcb->tlb_control = tlb;

    uint64_t vmcb_phys = sv->arch.control_phys;
    if (!svm_features.vmcb_clean || !sv->ran || sv->arch.last_cpu != cpu ||
        pc->last_vmcb_phys != vmcb_phys)
        vmcb->clean = 0;
    else
        vmcb->clean = SVM_CLEAN_ALL & ~sv->vmcb_dirty;
    /* The flush asked for is done; without NRIPS no exit re-enters at once. */
    sv->vmcb_dirty = svm_features.nrips ? 0 : SVM_DIRTY_NO_NRIPS;
    sv->ran = true;
    sv->arch.last_cpu = cpu;
    pc->last_vmcb_phys = vmcb_phys;
}

/* The guest's DR0-DR3 into the CPU, and back (see svm_vcpu.dr). */
static void svm_debug_registers_load(const struct svm_vcpu *sv)
{
    __asm__ volatile("mov %0, %%dr0" ::"r"(sv->dr[0]));
    __asm__ volatile("mov %0, %%dr1" ::"r"(sv->dr[1]));
    __asm__ volatile("mov %0, %%dr2" ::"r"(sv->dr[2]));
    __asm__ volatile("mov %0, %%dr3" ::"r"(sv->dr[3]));
}

static void svm_debug_registers_save(struct svm_vcpu *sv)
{
    __asm__ volatile("mov %%dr0, %0" : "=r"(sv->dr[0]));
    __asm__ volatile("mov %%dr1, %0" : "=r"(sv->dr[1]));
    __asm__ volatile("mov %%dr2, %0" : "=r"(sv->dr[2]));
    __asm__ volatile("mov %%dr3, %0" : "=r"(sv->dr[3]));
}

static void svm_vcpu_run_loop(struct svm_vcpu *sv, struct svm_cpu *pc, unsigned int cpu)
{
    struct vcpu *v = sv->arch.vcpu;
    struct vmcb *vmcb = sv->vmcb;
    for (;;) {
        cli();
        if (!vcpu_runnable(v) || core_cpu_should_reschedule()) {
            sti();
            return;
        }
        hvm_vcpu_load(v);
        hvm_deliver_interrupts(v); /* every pass here follows a change of state */
        svm_prepare_entry(sv, pc, cpu);
        vmcb->rax = sv->arch.gprs.rax;
        /* Runs the guest until an exit that needs more than svm_exit.c's
         * fast resume (see svm_exit_handle). */
        svm_enter(sv, sv->arch.control_phys, pc->host_vmcb_phys);
        if (sv->next == SVM_NEXT_STOP) {
            sti();
            return;
        }
    }
}

static void svm_vcpu_run(struct vcpu *v)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    unsigned int cpu = arch_this_cpu();

    /* Orders the scheduler's is_running = true before our first look at the
     * p2m generation; svm_npt.c relies on it to free replaced tables. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    svm_debug_registers_load(sv);
    svm_vcpu_run_loop(sv, &svm_cpus[cpu], cpu);
    svm_debug_registers_save(sv); /* the next vCPU here loads its own */
}

/* ---- State for the neutral handlers --------------------------------------------- */

void svm_get_state(struct vcpu *v, struct hvm_state *state)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    const struct vmcb *vmcb = sv->vmcb;
    state->rip = vmcb->rip;
    state->rsp = vmcb->rsp;
    state->rflags = vmcb->rflags;
    state->cr0 = vmcb->cr0;
    state->cr3 = vmcb->cr3;
    state->cr4 = vmcb->cr4;
    state->efer = (sv->efer & ~EFER_LMA) | (vmcb->efer & EFER_LMA);
    state->cpl = vmcb->cpl;
    state->long_mode_code = (vmcb->cs.attrib & VMCB_ATTR_L) && (state->efer & EFER_LMA);
}

void svm_get_mode(struct vcpu *v, unsigned int *cpl, bool *long_mode_code)
{
    const struct vmcb *vmcb = svm_vcpu_of(v)->vmcb;
    *cpl = vmcb->cpl;
    *long_mode_code = (vmcb->cs.attrib & VMCB_ATTR_L) && (vmcb->efer & EFER_LMA);
}

/* An exception (@vector < 32) with its error code, for the next VMRUN.
 * Interrupts go through svm_inject_interrupt(). */
void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    struct vmcb *vmcb = svm_vcpu_of(v)->vmcb;
    uint64_t event = SVM_EVENT_VALID | SVM_EVENT_TYPE_EXCEPTION | (vector & (X86_EXCEPTION_COUNT - 1));
    if (has_error)
        event |= SVM_EVENT_ERROR_VALID | ((uint64_t)error << SVM_EVENT_ERROR_SHIFT);
    vmcb->event_inject = event;
}

/* EVENTINJ delivers whatever it holds, whatever the guest's IF (APM 15.20):
 * an external interrupt only goes there once the guest can take one. */
static bool svm_interrupt_deliverable(struct vcpu *v)
{
    const struct vmcb *vmcb = svm_vcpu_of(v)->vmcb;
    return !(vmcb->event_inject & SVM_EVENT_VALID) && (vmcb->rflags & X86_RFLAGS_IF) &&
           !(vmcb->interrupt_state & SVM_INTERRUPT_SHADOW);
}

static void svm_inject_interrupt(struct vcpu *v, uint8_t vector)
{
    svm_vcpu_of(v)->vmcb->event_inject = SVM_EVENT_VALID | SVM_EVENT_TYPE_INTR | vector;
}

/* The interrupt window: a virtual interrupt (V_IRQ, TPR ignored) that the
 * CPU would take as soon as the guest's IF and shadow allow, intercepted
 * (VINTR) before it is taken; svm_exit.c then closes the window and the run
 * loop re-checks. Its vector never reaches the guest. */
static void svm_interrupt_window(struct vcpu *v, bool open)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    struct vmcb *vmcb = sv->vmcb;
    bool is_open = (vmcb->intercept_misc1 & SVM_INTERCEPT1_VINTR) != 0;
    if (open == is_open)
        return;
    if (!open) {
        svm_window_close(sv);
        return;
    }
    vmcb->vintr |= SVM_VINTR_IRQ | SVM_VINTR_IGN_TPR | SVM_VINTR_PRIO_MASK;
    vmcb->intercept_misc1 |= SVM_INTERCEPT1_VINTR;
    sv->vmcb_dirty |= SVM_CLEAN_TPR | SVM_CLEAN_INTERCEPTS;
}

/* NMIs: blocked from our injection until the guest's IRET (see the top). */
static bool svm_nmi_deliverable(struct vcpu *v)
{
    const struct vmcb *vmcb = svm_vcpu_of(v)->vmcb;
    return !(vmcb->event_inject & SVM_EVENT_VALID) &&
           !(vmcb->interrupt_state & SVM_INTERRUPT_SHADOW) &&
           !(vmcb->intercept_misc1 & SVM_INTERCEPT1_IRET);
}

static void svm_inject_nmi(struct vcpu *v)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    sv->vmcb->event_inject = SVM_EVENT_VALID | SVM_EVENT_TYPE_NMI | X86_VECTOR_NMI;
    sv->vmcb->intercept_misc1 |= SVM_INTERCEPT1_IRET;
    sv->vmcb_dirty |= SVM_CLEAN_INTERCEPTS;
}

/* ---- The ops ----------------------------------------------------------------------- */

static struct hvm_ops svm_ops = {
    .name = "svm",
    .hypercall_insn = {0x0f, 0x01, 0xd9}, /* vmmcall */
    .switches_syscall_msrs = true,       /* VMLOAD/VMSAVE */
    .p2m_orders = 1U << P2M_ORDER_4K,
    .cpu_init = svm_cpu_init,
    .domain_init = svm_domain_init,
    .domain_teardown = svm_domain_teardown,
    .p2m_map = svm_p2m_map,
    .p2m_lookup = svm_p2m_lookup,
    .vcpu_init = svm_vcpu_init,
    .vcpu_teardown = svm_vcpu_teardown,
    .vcpu_set_pvh_entry = svm_vcpu_set_pvh_entry,
    .vcpu_run = svm_vcpu_run,
    .get_state = svm_get_state,
    .get_mode = svm_get_mode,
    .inject_exception = svm_inject_exception,
    .interrupt_deliverable = svm_interrupt_deliverable,
    .inject_interrupt = svm_inject_interrupt,
    .interrupt_window = svm_interrupt_window,
    .nmi_deliverable = svm_nmi_deliverable,
    .inject_nmi = svm_inject_nmi,
    .nmi_window = NULL,                  /* the interrupt window serves */
    .virtual_interrupt_delivery = false, /* no AVIC: hvm/interrupts.c injects */
    .update_rvi = NULL,
    .vcpu_set_start_state = svm_vcpu_set_start_state,
};

const struct hvm_ops *svm_probe(void)
{
    if (cpuid(CPUID_EXT_MAX_LEAF).eax < CPUID_SVM_LEAF ||
        !(cpuid(CPUID_EXT_FEATURES_LEAF).ecx & CPUID_EXT1_ECX_SVM)) {
        printk("xencore: svm: the CPU has no SVM (CPUID 0x80000001 ECX bit 2)\n");
        return NULL;
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        printk("xencore: svm: SVM is disabled by the firmware (VM_CR.SVMDIS)\n");
        return NULL;
    }
    struct cpuid_regs svm = cpuid(CPUID_SVM_LEAF);
    if (!(svm.edx & CPUID_SVM_EDX_NPT)) {
        printk("xencore: svm: no nested paging (CPUID 0x8000000A EDX bit 0)\n");
        return NULL;
    }
    if (svm.ebx < 2) {
        printk("xencore: svm: no ASID for guests (CPUID 0x8000000A EBX = %u)\n", svm.ebx);
        return NULL;
    }
    svm_features.nrips = svm.edx & CPUID_SVM_EDX_NRIPS;
    svm_features.vmcb_clean = svm.edx & CPUID_SVM_EDX_VMCB_CLEAN;
    svm_features.flush_by_asid = svm.edx & CPUID_SVM_EDX_FLUSH_BY_ASID;
    svm_features.decode_assists = svm.edx & CPUID_SVM_EDX_DECODE_ASSISTS;
    svm_resume_clean = svm_features.vmcb_clean ? SVM_CLEAN_ALL : 0;
    svm_features.nr_asids = svm.ebx;
    svm_features.page_1g = cpuid(CPUID_EXT_FEATURES_LEAF).edx & CPUID_EXT1_EDX_PAGE1GB;
    svm_features.nx = x86_has_nx();
    svm_features.phys_bits = PHYS_BITS_DEFAULT;
    if (cpuid(CPUID_EXT_MAX_LEAF).eax >= CPUID_ADDRESS_SIZES_LEAF)
        svm_features.phys_bits =
            cpuid(CPUID_ADDRESS_SIZES_LEAF).eax & CPUID_ADDRESS_SIZES_PHYS_BITS_MASK;

    svm_ops.p2m_orders =
        1U << P2M_ORDER_4K | 1U << P2M_ORDER_2M | (svm_features.page_1g ? 1U << P2M_ORDER_1G : 0);
    printk("xencore: svm: NPT%s, %u ASIDs, NRIPS %s, flush by ASID %s, decode assists %s, "
           "VMCB clean bits %s\n",
           svm_features.page_1g ? " with 1 GiB pages" : "", svm_features.nr_asids,
           svm_features.nrips ? "yes" : "no", svm_features.flush_by_asid ? "yes" : "no",
           svm_features.decode_assists ? "yes" : "no", svm_features.vmcb_clean ? "yes" : "no");
    return &svm_ops;
}
