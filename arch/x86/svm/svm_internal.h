/* What the files of the SVM back end share; nothing outside arch/x86/svm/
 * includes this. The architectural numbers are in x86/svm.h. */
#ifndef XENCORE_X86_SVM_INTERNAL_H
#define XENCORE_X86_SVM_INTERNAL_H

/* What svm_exit_hot() answers svm_entry.S (shared with it). */
#define SVM_EXIT_RESUME 0      /* enter again; gprs RBP, R12-R15 were not touched */
#define SVM_EXIT_TO_RUN_LOOP 1 /* done; return to the run loop (sv->next says why) */
#define SVM_EXIT_GENERAL 2     /* not handled: svm_exit_general() with all of gprs */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "x86/hvm.h"
#include "x86/svm.h"

/* What the CPU offers, read once by svm_probe() on the boot CPU. */
struct svm_features {
    bool nrips;          /* VMCB next_rip is written on instruction intercepts */
    bool flush_by_asid;  /* TLB_CONTROL can flush one ASID */
    bool vmcb_clean;     /* the CPU may cache VMCB fields we mark clean */
    bool decode_assists; /* EXITINFO1 names the GPR of a MOV to CR */
    bool page_1g;        /* NPT can map 1 GiB pages */
    bool nx;             /* the guest may set EFER.NXE */
    uint32_t nr_asids;   /* ASIDs 1..nr_asids-1 are for guests */
    unsigned int phys_bits;
    uint64_t iopm_phys;  /* shared by every VMCB: intercept every port */
    uint64_t msrpm_phys; /* shared by every VMCB: intercept all but a few MSRs */
};
extern struct svm_features svm_features;
/* VMCB clean bits for an entry right after an exit that changed nothing:
 * SVM_CLEAN_ALL, or 0 where the CPU has no clean bits. */
extern uint32_t svm_resume_clean;

/* Page tables replaced by a large page while the domain's vCPUs may still
 * have translations through them cached; freed once every such vCPU has
 * flushed (see svm_npt.c). */
#define SVM_RETIRED_TABLES_MAX 64

struct svm_retired_table {
    uint64_t phys;      /* the table */
    unsigned int level; /* its level: 1 = page table .. 3 = PDPT */
};

/* struct arch_domain as the SVM back end allocates it: one zeroed frame. */
struct svm_domain {
    struct arch_domain arch; /* first: d->arch points here */
    struct domain *domain;
    uint64_t self_phys;      /* this frame */
    uint64_t p2m_generation; /* bumped after a present NPT entry changed */
    unsigned int nr_retired;
    struct svm_retired_table retired[SVM_RETIRED_TABLES_MAX];
};
_Static_assert(sizeof(struct svm_domain) <= 4096, "struct svm_domain fits a frame");

/* In svm_vcpu.vmcb_dirty next to the SVM_CLEAN_* groups (never a clean bit):
 * flush this vCPU's translations before its next VMRUN. */
#define SVM_DIRTY_TLB_FLUSH (1U << 31)
/* Also there, set at every entry on a CPU without NRIPS: next_rip means
 * nothing, so no exit re-enters without the run loop (svm_exit.c decodes). */
#define SVM_DIRTY_NO_NRIPS (1U << 30)
_Static_assert((SVM_CLEAN_ALL & (SVM_DIRTY_TLB_FLUSH | SVM_DIRTY_NO_NRIPS)) == 0,
               "not VMCB clean bits");

/* What follows a #VMEXIT (svm_exit.c). */
enum svm_next {
    SVM_NEXT_ENTER,   /* straight back into the guest */
    SVM_NEXT_RECHECK, /* through the run loop: runnable, reschedule, ASID, p2m */
    SVM_NEXT_STOP,    /* leave vcpu_run (the domain crashed) */
};

/* struct arch_vcpu as the SVM back end allocates it: one zeroed frame. */
struct svm_vcpu {
    struct arch_vcpu arch; /* first: v->arch points here; gprs at offset 0 */
    struct svm_domain *sd;
    struct vmcb *vmcb;        /* == arch.control */
    uint64_t self_phys;       /* this frame */
    uint64_t xsave_phys;      /* arch.xsave_area */
    uint64_t efer;            /* what the guest sees: no SVME, with LMA */
    uint64_t asid_generation; /* of asid_cpu's ASID space when arch.asid was taken */
    unsigned int asid_cpu;    /* the CPU arch.asid belongs to */
    uint64_t p2m_seen;        /* the domain's p2m_generation last flushed for */
    uint32_t vmcb_dirty;      /* SVM_CLEAN_* groups changed since the last VMRUN, and
                               * SVM_DIRTY_*: nonzero = no re-entry without the run
                               * loop's svm_prepare_entry() */
    bool ran;                 /* has run at least once (arch.last_cpu is valid) */
    enum svm_next next;       /* why svm_enter() returned to the run loop */
    /* DR0-DR3 while off the CPU: VMRUN switches only DR6/DR7 (in the VMCB),
     * and guest accesses to the others do not exit, so the run loop loads
     * them on arrival and saves them on leaving. */
    uint64_t dr[4];
};
_Static_assert(sizeof(struct svm_vcpu) <= 4096, "struct svm_vcpu fits a frame");
_Static_assert(__builtin_offsetof(struct svm_vcpu, arch) == 0, "arch_vcpu first");

static inline struct svm_vcpu *svm_vcpu_of(struct vcpu *v)
{
    return (struct svm_vcpu *)v->arch;
}

static inline struct svm_domain *svm_domain_of(struct domain *d)
{
    return (struct svm_domain *)d->arch;
}

/* svm_entry.S: loads the guest GPRs from @sv's gprs (RAX from the VMCB), runs
 * the guest with VMLOAD/VMRUN/VMSAVE between CLGI and STGI, stores the GPRs
 * back and restores the host's VMSAVE state from @host_vmcb_phys, then calls
 * svm_exit_hot() and, if need be, svm_exit_general(); while they say so the
 * guest runs again from the same frame. Returns to the run loop otherwise,
 * with sv->next saying why. Called and returns with interrupts disabled. */
void svm_enter(struct svm_vcpu *sv, uint64_t vmcb_phys, uint64_t host_vmcb_phys);

/* svm_npt.c */
int svm_domain_init(struct domain *d);
void svm_domain_teardown(struct domain *d);
int svm_p2m_map(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order);
int64_t svm_p2m_lookup(struct domain *d, uint64_t gfn);

/* svm_exit.c, called from svm_entry.S with the host state restored,
 * interrupts off and GIF set.
 *
 * svm_exit_hot() handles the #VMEXIT just taken by @sv if it is one of the
 * hot exits, and answers SVM_EXIT_*. While it runs, gprs holds every guest
 * GPR but RBP and R12-R15, which are still in the CPU (callee-saved): it and
 * what it calls (CPUID policy, RDMSR, the hypercall core) must not use those
 * five slots. Every other answer has svm_entry.S store them first.
 *
 * svm_exit_general() handles any exit with all of gprs valid; true if the
 * guest may be entered again at once, else sv->next says what the run loop
 * must do. */
int svm_exit_hot(struct svm_vcpu *sv);
bool svm_exit_general(struct svm_vcpu *sv);

/* svm.c */
/* V_TPR (the guest's CR8) := the vLAPIC's TPR >> 4, after it changed. */
void svm_sync_vtpr(struct svm_vcpu *sv);
void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
void svm_get_state(struct vcpu *v, struct hvm_state *state);
void svm_get_mode(struct vcpu *v, unsigned int *cpl, bool *long_mode_code);
/* Makes the vCPU's current translations unusable before its next VMRUN. */
static inline void svm_vcpu_flush_tlb(struct svm_vcpu *sv)
{
    sv->vmcb_dirty |= SVM_DIRTY_TLB_FLUSH;
}

/* Frames for the back end's own structures at run time, zeroed; they go back
 * to the allocator with svm_free_frame(). */
int svm_alloc_frame(uint64_t *phys);
void svm_free_frame(uint64_t phys);

#endif /* !__ASSEMBLER__ */
#endif /* XENCORE_X86_SVM_INTERNAL_H */
