/* What the files of the VMX back end share; nothing outside arch/x86/vmx/
 * includes this. The architectural numbers are in x86/vmx.h.
 *
 * The one invariant the whole back end leans on: a vCPU's VMCS is active on
 * a CPU only while that CPU is inside vmx_vcpu_run() for it, or borrows it for
 * a moment with interrupts off (set-up, a state read from elsewhere). Leaving
 * either VMCLEARs it. So a vCPU that is not running has a clear VMCS in
 * memory that any CPU may load: it can move between CPUs, and it can be freed
 * without asking another CPU to flush it first. active_cpu records the owner
 * and is claimed with a compare-and-swap, so two CPUs never load it at once. */
#ifndef XENCORE_VMX_INTERNAL_H
#define XENCORE_VMX_INTERNAL_H


/* What vmx_enter() returns. */
#define VMX_ENTER_EXITED 0       /* the guest ran and a VM exit brought us back */
#define VMX_ENTER_FAIL_INVALID 1 /* VMLAUNCH/VMRESUME failed: no current VMCS (CF) */
#define VMX_ENTER_FAIL_VALID 2   /* failed with an error in VMCS_INSTRUCTION_ERROR (ZF) */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "x86/hvm.h"
#include "x86/vcpu_context.h"
#include "x86/vmx.h"

/* x86 facts x86/regs.h does not name (yet). */
#define VMX_X86_CR0_ET (1ULL << 4)
#define VMX_X86_CR0_TS (1ULL << 3)
#define VMX_X86_CR0_PE_MP_EM_TS 0xfULL /* the bits LMSW writes */
#define VMX_X86_CR4_VME (1ULL << 0)
#define VMX_X86_CR4_PVI (1ULL << 1)
#define VMX_X86_CR4_TSD (1ULL << 2)
#define VMX_X86_CR4_DE (1ULL << 3)
#define VMX_X86_CR4_PSE (1ULL << 4)
#define VMX_X86_CR4_MCE (1ULL << 6)
#define VMX_X86_CR4_PCE (1ULL << 8)
#define VMX_X86_CR4_OSFXSR (1ULL << 9)
#define VMX_X86_CR4_OSXMMEXCPT (1ULL << 10)
#define VMX_X86_CR4_VMXE (1ULL << 13)
#define VMX_X86_EFER_LMA (1ULL << 10)
#define VMX_X86_RFLAGS_FIXED (1ULL << 1) /* reads as 1 */
#define VMX_X86_DR7_INIT 0x400ULL
#define VMX_X86_PAT_POWER_ON 0x0007040600070406ULL
#define VMX_X86_PAE_CR3_MASK 0xffffffe0ULL /* PAE paging: the PDPT is 32-byte aligned */
#define VMX_X86_PDPTE_COUNT 4
#define VMX_X86_CR8_MASK 0xfULL /* CR8 holds TPR bits 7:4 in its bits 3:0 */
#define VMX_MSR_SYSENTER_CS 0x174
#define VMX_MSR_SYSENTER_ESP 0x175
#define VMX_MSR_SYSENTER_EIP 0x176
#define VMX_MSR_PAT 0x277
#define VMX_MSR_FS_BASE 0xc0000100
#define VMX_MSR_KERNEL_GS_BASE 0xc0000102
#define VMX_X86_VECTOR_NMI 2
#define VMX_X86_VECTOR_DF 8

#define VMX_NO_CPU (-1)

/* struct vmx_vcpu.entry_work */
#define VMX_WORK_RESET (1U << 0)      /* write the start state in vmx_vcpu.start */
#define VMX_WORK_EVENT (1U << 1)      /* write the queued event */
#define VMX_WORK_FLUSH_VPID (1U << 2) /* INVVPID: guest-linear translations changed */

/* What vmx_handle_exit() tells the run loop. */
enum vmx_next {
    VMX_NEXT_ENTER,   /* re-enter: the exit changed nothing the loop checks */
    VMX_NEXT_RECHECK, /* runnability, reschedule or the EPT may have changed */
    VMX_NEXT_STOP,    /* leave vmx_vcpu_run() */
};

#define VMX_HYPERCALL_INSN_BYTES 3
#define VMX_VMCALL_BYTES                                                                           \
    {                                                                                              \
        0x0f, 0x01, 0xc1                                                                           \
    }
#define VMX_VMMCALL_BYTES                                                                          \
    {                                                                                              \
        0x0f, 0x01, 0xd9                                                                           \
    } /* AMD's: #UD on Intel */
#define VMX_EXCEPTION_BITMAP (1U << HVM_EXC_UD)

/* What the CPU offers and what we chose, read once by vmx_probe() on the boot
 * CPU; every other CPU must offer the same (cpu_init checks the revision). */
struct vmx_caps {
    uint32_t revision;     /* IA32_VMX_BASIC bits 30:0, in every VMXON/VMCS region */
    uint32_t pin_controls; /* the control values every VMCS gets */
    uint32_t proc_controls;
    uint32_t proc2_controls;
    uint32_t exit_controls;
    uint32_t entry_controls; /* at reset; IA-32e mode guest follows EFER.LMA */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t guest_cr0_set;  /* bits forced on in the guest's real CR0 (NE) */
    uint64_t guest_cr0_mask; /* CR0 bits we own: reads see the shadow, writes exit */
    uint64_t guest_cr4_set;  /* bits forced on in the guest's real CR4 (VMXE) */
    uint64_t guest_cr4_mask;
    uint64_t ept_vpid_cap;
    uint32_t p2m_orders;      /* bit k: 2^k-frame EPT leaves */
    unsigned int phys_bits;   /* MAXPHYADDR */
    bool stores_lma;          /* VM exits keep "IA-32e mode guest" = EFER.LMA */
    bool invept_single;       /* else all-context */
    bool invvpid_single;      /* else all-context */
    bool load_pat;            /* the VMCS switches IA32_PAT: the guest owns it */
    bool nx;                  /* the guest may set EFER.NXE */
    /* TPR shadow, virtualize x2APIC mode, APIC-register virtualization and
     * virtual-interrupt delivery, all four on (else none: CR8 exits). */
    bool apicv;
    bool virtual_nmis;        /* virtual NMIs and NMI-window exiting */
    uint64_t msr_bitmap_phys; /* shared by every VMCS: read-only after probe */
};
extern struct vmx_caps vmx_caps;

/* struct arch_domain as this back end allocates it: one zeroed frame. */
struct vmx_domain {
    struct arch_domain arch; /* first: d->arch points here */
    struct domain *domain;
    uint64_t eptp;
    /* Bumped (under p2m_lock) when a present EPT entry changes after the
     * domain first ran; each vCPU INVEPTs before entering when its
     * ept_seen differs. Starts at 1, so a vCPU's first entry always flushes
     * (the root frame may have served an earlier domain). */
    uint64_t generation;
    bool ran; /* a vCPU entered (or is about to): tables may be cached */
};
_Static_assert(sizeof(struct vmx_domain) <= 4096, "struct vmx_domain fits a frame");
_Static_assert(__builtin_offsetof(struct vmx_domain, arch) == 0, "arch_domain first");

/* struct arch_vcpu as this back end allocates it: one zeroed frame. */
struct vmx_vcpu {
    struct arch_vcpu arch; /* first: v->arch points here; gprs at offset 0 */
    struct vmx_domain *vd;
    uint64_t host_rsp;       /* HOST_RSP as last written into this VMCS (vmx_entry.S) */
    uint32_t entry_controls; /* VM-entry controls as we last wrote them */
    int active_cpu;          /* where the VMCS is active, or VMX_NO_CPU (atomic) */
    uint64_t ept_seen;       /* the domain generation last flushed for on this CPU */
    bool ran;                /* has been loaded once (the domain knows it ran) */
    /* VMX_WORK_* to do before the next entry; set with atomic OR (other CPUs
     * queue a reset or an event while the VMCS is not current here). One
     * test of this word is all an entry pays when there is nothing to do. */
    uint32_t entry_work;
    /* Primary processor-based controls as last written: the base value, plus
     * interrupt-window exiting while an interrupt waits for the guest's IF,
     * and NMI-window exiting while an NMI waits for its NMI blocking. */
    uint32_t proc_controls;
    struct hvm_start_state start;     /* VMX_WORK_RESET: PVH entry or VCPUOP_initialise */
    uint32_t event_info, event_error; /* VMX_WORK_EVENT: inject_exception() */
    enum vmx_next next;               /* set by vmx_exit_handle() when it returns false */
    /* Guest registers VMX does not switch, kept while off the CPU. */
    uint64_t cr2;
    uint64_t dr[4], dr6;
};
_Static_assert(sizeof(struct vmx_vcpu) <= 4096, "struct vmx_vcpu fits a frame");
_Static_assert(__builtin_offsetof(struct vmx_vcpu, arch) == 0, "arch_vcpu first");

static inline struct vmx_vcpu *vmx_vcpu_of(struct vcpu *v)
{
    return (struct vmx_vcpu *)v->arch;
}

static inline struct vmx_domain *vmx_domain_of(struct domain *d)
{
    return (struct vmx_domain *)d->arch;
}

/* vmx_entry.S: loads the guest GPRs from @gprs, writes HOST_RSP if it differs
 * from *@host_rsp (and records it), VMLAUNCHes or VMRESUMEs, and on the VM
 * exit stores the guest GPRs back. Interrupts off. Returns VMX_ENTER_*. */
int vmx_enter(struct hvm_gprs *gprs, uint64_t *host_rsp, bool launched);
/* Where VM exits land (HOST_RIP). */
void vmx_exit_entry(void);

/* vmx.c */
bool vmx_vmcs_is_current(const struct vmx_vcpu *vx);
/* Does the VMX_WORK_* queued in vx->entry_work (VMCS current). */
void vmx_do_entry_work(struct vmx_vcpu *vx);
static inline void vmx_add_work(struct vmx_vcpu *vx, uint32_t work)
{
    __atomic_fetch_or(&vx->entry_work, work, __ATOMIC_RELEASE);
}
void vmx_queue_event(struct vmx_vcpu *vx, uint32_t info, uint32_t error);
void vmx_set_guest_long_mode(struct vmx_vcpu *vx, bool long_mode);

/* vmx_ept.c */
int vmx_domain_init(struct domain *d);
void vmx_domain_teardown(struct domain *d);
int vmx_p2m_map(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order);
int64_t vmx_p2m_lookup(struct domain *d, uint64_t gfn);
/* Before the first entry of a vCPU of @vd: from now on, replaced EPT entries
 * need a flush and replaced tables cannot be freed. */
void vmx_ept_domain_ran(struct vmx_domain *vd);
/* Before each entry (VMCS current, interrupts off): INVEPT if the domain's
 * tables changed since this vCPU last flushed. */
static inline void vmx_ept_sync(struct vmx_vcpu *vx)
{
    uint64_t generation = __atomic_load_n(&vx->vd->generation, __ATOMIC_ACQUIRE);
    if (__builtin_expect(generation != vx->ept_seen, 0)) {
        if (vmx_caps.invept_single)
            invept(INVEPT_SINGLE_CONTEXT, vx->vd->eptp);
        else
            invept(INVEPT_ALL_CONTEXT, 0);
        vx->ept_seen = generation;
    }
}

/* vmx_exit.c */
/* Called by vmx_entry.S on every VM exit (interrupts off, VMCS current):
 * handles the exit, and returns true if the guest may re-enter at once (the
 * checks the run loop would make are done), else false with vx->next saying
 * what the run loop does. */
bool vmx_exit_handle(struct vmx_vcpu *vx);
/* PAE paging outside long mode: loads the four PDPTEs from guest memory into
 * the VMCS, as MOV to CR3 would (VMCS current). */
void vmx_load_pdptes(struct vmx_vcpu *vx);
/* Installs a CR0/CR4 value hvm_handle_cr_write() accepted. */
void vmx_cr_apply(struct vcpu *v, unsigned int cr, uint64_t value);
#endif /* __ASSEMBLER__ */

#endif /* XENCORE_VMX_INTERNAL_H */
