/* Hardware-assisted guests on x86: what the two back ends (vmx/, svm/) provide
 * and the vendor-neutral exit handlers (hvm/) they call.
 *
 * A back end owns its control structure (VMCS or VMCB), its second-stage
 * tables (EPT or NPT), the entry/exit assembly and the decoding of exits.
 * Everything that is policy (what CPUID says, which MSRs exist, what a
 * hypercall does, when a guest has broken the rules) is decided once, here,
 * for both. A back end decodes an exit, calls the matching hvm_* handler and
 * acts on its result: advance past the instruction, re-enter as is (an
 * exception was queued), or stop because the domain crashed.
 *
 * Guest general registers live in struct arch_vcpu's gprs while the vCPU is
 * out of guest mode; RSP, RIP, RFLAGS and the control registers live in the
 * VMCS/VMCB and are reached through the ops below. */
#ifndef XENCORE_X86_HVM_H
#define XENCORE_X86_HVM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/timer.h"
#include "x86/hvm_gprs.h"
#include "x86/vlapic.h"
#include "lib/spinlock.h"

/* Saved and restored by the back ends' entry/exit code; offsets in
 * x86/hvm_gprs.h. The 64-bit hypercall arguments come first, in ABI order. */
struct hvm_gprs {
    uint64_t rdi, rsi, rdx, r10, r8; /* hypercall arguments 1-5 */
    uint64_t rax, rbx, rcx, rbp, r9, r11, r12, r13, r14, r15;
};

#define HVM_GPR_ASSERT(reg, REG)                                                          \
    _Static_assert(__builtin_offsetof(struct hvm_gprs, reg) == HVM_GPR_##REG, "hvm_gprs")
HVM_GPR_ASSERT(rdi, RDI);
HVM_GPR_ASSERT(rsi, RSI);
HVM_GPR_ASSERT(rdx, RDX);
HVM_GPR_ASSERT(r10, R10);
HVM_GPR_ASSERT(r8, R8);
HVM_GPR_ASSERT(rax, RAX);
HVM_GPR_ASSERT(rbx, RBX);
HVM_GPR_ASSERT(rcx, RCX);
HVM_GPR_ASSERT(rbp, RBP);
HVM_GPR_ASSERT(r9, R9);
HVM_GPR_ASSERT(r11, R11);
HVM_GPR_ASSERT(r12, R12);
HVM_GPR_ASSERT(r13, R13);
HVM_GPR_ASSERT(r14, R14);
HVM_GPR_ASSERT(r15, R15);
_Static_assert(sizeof(struct hvm_gprs) == HVM_GPR_BYTES, "hvm_gprs");

/* The guest state neutral handlers read (paging mode, privilege level). */
struct hvm_state {
    uint64_t rip, rsp, rflags;
    uint64_t cr0, cr3, cr4, efer;
    unsigned int cpl;
    bool long_mode_code; /* CS.L with EFER.LMA: 64-bit code */
};

/* Exception vectors handlers may inject. */
#define HVM_EXC_UD 6
#define HVM_EXC_GP 13
#define HVM_EXC_PF 14

/* What an exit handler asks the back end to do next. */
enum hvm_result {
    HVM_ADVANCE,  /* done: move RIP past the exiting instruction, re-enter */
    HVM_RETRY,    /* re-enter without moving RIP (an exception is queued, or
                   * the instruction must run again) */
    HVM_STOP,     /* the vCPU must not re-enter now (crashed, blocked, shut down) */
};

struct arch_vcpu {
    struct hvm_gprs gprs;  /* first: the entry/exit assembly uses offset 0 */
    struct vcpu *vcpu;
    void *control;         /* VMCS or VMCB, through the direct map */
    uint64_t control_phys;
    uint32_t asid;         /* VPID (VMX) or ASID (SVM) */
    bool launched;         /* VMX: VMLAUNCH done; SVM: unused */
    unsigned int last_cpu; /* where it last ran (VMX: VMCS must be VMCLEARed to move) */
    uint64_t xcr0;         /* the guest's XCR0 (1 until it uses XSETBV) */
    void *xsave_area;      /* its x87/SSE/AVX state while not on a CPU (one page) */
    bool fpu_initialised;  /* xsave_area holds a valid image (set by hvm_vcpu_load) */
    bool hypercall_changed_state; /* the last hypercall's state_changed (see arch.h) */
    bool interrupt_window;        /* hvm_deliver_interrupts() asked the back end for one */
    bool nmi_window;              /* ... and for an NMI window (back ends that have one) */
    bool nmi_pending;             /* an NMI IPI waits for delivery (atomic; any CPU sets it) */
    /* The vLAPIC's IRR may hold a bit (atomic): set after anything that can
     * set one, before the kick; cleared by hvm_deliver_interrupts() only
     * when it finds IRR empty. So an entry with nothing pending pays no look
     * into the vLAPIC. (Next to the two above: one test covers all three.) */
    bool vlapic_irr_hint;
    /* The virtual local APIC (hvm/vcpu_lapic.c): its register page (also the
     * VMX virtual-APIC page), and the core timer its timer runs on. */
    struct vlapic vlapic;
    uint64_t vlapic_page_phys;
    struct timer vlapic_timer;
    /* MSRs the CPU does not switch for us (VMX) or that live outside the VMCB. */
    uint64_t msr_star, msr_lstar, msr_cstar, msr_sfmask, msr_kernel_gs_base, msr_tsc_aux;
    uint64_t back_end[8];  /* scratch for the back end */
};

struct arch_domain {
    uint64_t p2m_root;     /* physical address of the EPT/NPT top-level table */
    spinlock_t p2m_lock;
    uint64_t hypercall_page_gfn;
};

struct hvm_start_state; /* x86/vcpu_context.h */

struct hvm_ops {
    const char *name;                 /* "vmx" or "svm" */
    uint8_t hypercall_insn[3];        /* vmcall 0f 01 c1 or vmmcall 0f 01 d9 */
    /* The control structure holds STAR, LSTAR, CSTAR, SFMASK and KERNEL_GS_BASE
     * and the back end switches them (SVM's VMLOAD/VMSAVE): hvm_vcpu_load and
     * hvm_vcpu_put leave them alone. */
    bool switches_syscall_msrs;
    uint32_t p2m_orders;              /* as arch_p2m_orders(), known after init */
    int (*cpu_init)(void);            /* enable on the calling CPU */
    int (*domain_init)(struct domain *d);
    void (*domain_teardown)(struct domain *d);
    int (*p2m_map)(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order);
    int64_t (*p2m_lookup)(struct domain *d, uint64_t gfn);
    int (*vcpu_init)(struct vcpu *v);
    void (*vcpu_teardown)(struct vcpu *v);
    void (*vcpu_set_pvh_entry)(struct vcpu *v, uint32_t entry, uint32_t ebx);
    void (*vcpu_run)(struct vcpu *v);
    void (*get_state)(struct vcpu *v, struct hvm_state *state);
    /* Just the privilege level and whether 64-bit code runs: what every
     * hypercall needs, cheaper than get_state. */
    void (*get_mode)(struct vcpu *v, unsigned int *cpl, bool *long_mode_code);
    /* An exception (vector < 32) for the next entry. */
    void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);

    /* Interrupts for the guest (hvm_deliver_interrupts), on the vCPU's own CPU
     * in its run loop, interrupts off, control structure current. */
    /* True if the guest would take an external interrupt at the next entry:
     * RFLAGS.IF set, no STI or MOV-SS shadow, no event already queued. */
    bool (*interrupt_deliverable)(struct vcpu *v);
    /* Queues external interrupt @vector (>= 32) for the next entry; only
     * when interrupt_deliverable() said so. */
    void (*inject_interrupt)(struct vcpu *v, uint8_t vector);
    /* Asks for (@open) or cancels an exit as soon as the guest can take an
     * interrupt; that exit goes through the run loop's re-check. Called only
     * by hvm/interrupts.c, which remembers the state (arch_vcpu.interrupt_window). */
    void (*interrupt_window)(struct vcpu *v, bool open);
    /* True if an NMI could be injected at the next entry: the guest is not
     * blocking NMIs (still in an NMI handler), no STI/MOV-SS shadow, no event
     * already queued. */
    bool (*nmi_deliverable)(struct vcpu *v);
    /* Queues an NMI for the next entry (only when nmi_deliverable() said so)
     * and starts tracking the guest's NMI blocking until its IRET. */
    void (*inject_nmi)(struct vcpu *v);
    /* Asks for (@open) or cancels an exit as soon as the guest could take an
     * NMI. NULL: the back end has no such exit; the interrupt window serves. */
    void (*nmi_window)(struct vcpu *v, bool open);
    /* Virtual-interrupt delivery (VMX APICv): the CPU itself delivers the
     * vLAPIC's vectors from the register page, respecting PPR and RFLAGS.IF,
     * and virtualizes TPR, EOI and self-IPI writes. Then, before an entry,
     * software only raises the requesting virtual interrupt to at least
     * @highest_irr (update_rvi); without it update_rvi is NULL and
     * hvm/interrupts.c injects vLAPIC vectors itself. */
    bool virtual_interrupt_delivery;
    void (*update_rvi)(struct vcpu *v, uint8_t highest_irr);

    /* Installs a checked VCPUOP_initialise state (x86/vcpu_context.h) for the
     * next entry; the vCPU is not running. */
    void (*vcpu_set_start_state)(struct vcpu *v, const struct hvm_start_state *state);
};

/* The general registers of a start state (RSP, RIP and RFLAGS live in the
 * control structure; the back end writes those): zeroes the rest. */
void hvm_start_state_gprs(struct hvm_gprs *gprs, const struct hvm_start_state *start);

/* The back end in use; NULL if the CPU has neither. */
extern const struct hvm_ops *hvm;
/* Probes: return the ops if the CPU supports that extension with the
 * features we require (EPT + unrestricted guest + VPID; NPT), else NULL. */
const struct hvm_ops *vmx_probe(void);
const struct hvm_ops *svm_probe(void);

/* ---- Vendor-neutral exit handlers (hvm/) -------------------------------- */

enum hvm_result hvm_handle_cpuid(struct vcpu *v);
enum hvm_result hvm_handle_rdmsr(struct vcpu *v);           /* ECX, result EDX:EAX */
enum hvm_result hvm_handle_wrmsr(struct vcpu *v);
enum hvm_result hvm_handle_xsetbv(struct vcpu *v);          /* ECX, EDX:EAX */
enum hvm_result hvm_handle_hypercall(struct vcpu *v);       /* vmcall or vmmcall */
/* The same for a back end that has the guest's CPL and CS.L && EFER.LMA at
 * hand (what hvm->get_mode would say). */
enum hvm_result hvm_handle_hypercall_in_mode(struct vcpu *v, unsigned int cpl, bool long_mode);
enum hvm_result hvm_handle_hlt(struct vcpu *v);
/* Port I/O of 1, 2 or 4 bytes; string and REP forms are not emulated. */
enum hvm_result hvm_handle_io(struct vcpu *v, uint16_t port, unsigned int size, bool in);
/* A write to CR0 or CR4 that exited; @value is what the guest wrote. The
 * handler validates it and, if allowed, calls @apply to install it. */
enum hvm_result hvm_handle_cr_write(struct vcpu *v, unsigned int cr, uint64_t value,
                                    void (*apply)(struct vcpu *v, unsigned int cr,
                                                  uint64_t value));
/* Second-stage fault at @gpa (no mapping or forbidden access). */
enum hvm_result hvm_handle_p2m_fault(struct vcpu *v, uint64_t gpa, bool write, bool fetch);
/* Triple fault, invalid guest state, an exit we do not handle: crash the
 * domain with @what in the message. Always HVM_STOP. */
enum hvm_result hvm_handle_fatal(struct vcpu *v, const char *what);

/* Before an entry that follows a change of state (the run loops' re-check
 * path; interrupts off, control structure current): delivers what is
 * pending for @v - an NMI, the event-channel upcall (arch.h,
 * core_vcpu_upcall_vector), the vLAPIC's vectors - as far as the guest can
 * take them now, and opens the interrupt (or NMI) window for the rest, so
 * that it is asked again as soon as it can (policy: hvm/interrupts.c). */
void hvm_deliver_interrupts(struct vcpu *v);
/* The back end's interrupt-window exit: closes the window (the re-check
 * that follows opens it again if still needed). */
void hvm_interrupt_window_exit(struct vcpu *v);
/* The same for the NMI window. */
void hvm_nmi_window_exit(struct vcpu *v);
/* A start state was written and the back end closed both windows with it. */
void hvm_interrupt_window_reset(struct vcpu *v);

/* ---- The virtual local APIC of a vCPU (hvm/vcpu_lapic.c) ------------------ */

/* RDMSR/WRMSR of @msr go to the vLAPIC model: 0x800..0x8ff and
 * IA32_TSC_DEADLINE. A WRMSR of one of them makes the back end re-check
 * before the next entry (a new EOI, TPR, ICR or timer state). */
static inline bool hvm_msr_is_lapic(uint32_t msr)
{
    return msr - VLAPIC_MSR_FIRST <= VLAPIC_MSR_LAST - VLAPIC_MSR_FIRST ||
           msr == VLAPIC_MSR_TSC_DEADLINE;
}
/* Something may have set a bit in @v's vLAPIC IRR (see vlapic_irr_hint). */
static inline void hvm_vcpu_lapic_hint(struct vcpu *v)
{
    __atomic_store_n(&v->arch->vlapic_irr_hint, true, __ATOMIC_SEQ_CST);
}
/* Gives @v (v->arch set, not yet running) its vLAPIC: register page and
 * timer. 0 or -XC_ENOMEM. The back end calls it from vcpu_init, before it
 * needs vlapic_page_phys. */
int hvm_vcpu_lapic_init(struct vcpu *v);
/* Stops the timer (waits for its callback) and frees the page. Harmless
 * if init failed or never ran. */
void hvm_vcpu_lapic_teardown(struct arch_vcpu *a);
/* The guest's TPR (bits 7:4 are CR8), and a write of it as MOV to CR8
 * does: @cr8 already checked to be 0..15. */
uint8_t hvm_vcpu_lapic_tpr(struct vcpu *v);
void hvm_vcpu_lapic_set_cr8(struct vcpu *v, uint64_t cr8);

/* The guest's IA32_PAT as last written (0: never written). */
uint64_t *hvm_vcpu_pat(struct vcpu *v);

/* Called by the back end on the CPU just before it enters @v, interrupts off:
 * loads the guest's FPU/vector state and XCR0 and the MSRs above if another
 * vCPU ran here since. Cheap when @v is already loaded. */
void hvm_vcpu_load(struct vcpu *v);
/* Called when @v leaves this CPU (arch_vcpu_run returns): saves what
 * hvm_vcpu_load loaded, so no guest state stays behind in the CPU. */
void hvm_vcpu_put(struct vcpu *v);

#endif /* XENCORE_X86_HVM_H */
