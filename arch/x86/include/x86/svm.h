/* AMD SVM (AMD64 APM vol. 2, chapter 15 and appendix B): the VMCB layout,
 * intercept bits, exit codes and the other architectural numbers the SVM
 * back end (arch/x86/svm/) uses. Offsets are checked against the manual's
 * tables with _Static_assert; nothing here has policy.
 *
 * The part below __ASSEMBLER__ is shared with svm_entry.S. */
#ifndef XENCORE_X86_SVM_H
#define XENCORE_X86_SVM_H


#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/regs.h"

/* ---- CPUID and MSRs --------------------------------------------------- */

#define CPUID_SVM_LEAF 0x8000000aU
#define CPUID_ADDRESS_SIZES_LEAF 0x80000008U
#define CPUID_ADDRESS_SIZES_PHYS_BITS_MASK 0xffU /* EAX[7:0] */
/* CPUID 0x8000000A EDX: SVM features (NPT itself is CPUID_SVM_EDX_NPT in regs.h) */
#define CPUID_SVM_EDX_NRIPS (1U << 3)         /* next RIP saved on #VMEXIT */
#define CPUID_SVM_EDX_VMCB_CLEAN (1U << 5)    /* VMCB clean bits honoured */
#define CPUID_SVM_EDX_FLUSH_BY_ASID (1U << 6) /* TLB_CONTROL 3 and 7 */
#define CPUID_SVM_EDX_DECODE_ASSISTS (1U << 7)

#define MSR_VM_HSAVE_PA 0xc0010117 /* host save area of VMRUN */
#define EFER_SVME (1ULL << 12)

/* ---- VMCB ---------------------------------------------------------------- */

/* Segment register as the VMCB holds it. The attribute is the descriptor's
 * bits 8..15 and 20..23 packed into 12 bits ("compressed format"). */
struct vmcb_segment {
    uint16_t selector;
    uint16_t attrib;
    uint32_t limit;
    uint64_t base;
};

#define VMCB_ATTR_TYPE_SHIFT 0 /* bits 3:0: descriptor type */
#define VMCB_ATTR_S (1U << 4)  /* code or data (not system) */
#define VMCB_ATTR_DPL_SHIFT 5
#define VMCB_ATTR_P (1U << 7) /* present */
#define VMCB_ATTR_AVL (1U << 8)
#define VMCB_ATTR_L (1U << 9)   /* 64-bit code */
#define VMCB_ATTR_DB (1U << 10) /* default operand size 32 */
#define VMCB_ATTR_G (1U << 11)  /* limit in 4 KiB units */
#define SEG_TYPE_DATA_RW_ACCESSED 0x3U
#define SEG_TYPE_CODE_RX_ACCESSED 0xbU
#define SEG_TYPE_TSS32_BUSY 0xbU /* system descriptor */
#define SEG_TYPE_LDT 0x2U

struct vmcb {
    /* Control area, 0x000..0x3ff. */
    uint32_t intercept_cr;         /* 0x000: reads 15:0, writes 31:16 */
    uint32_t intercept_dr;         /* 0x004: reads 15:0, writes 31:16 */
    uint32_t intercept_exceptions; /* 0x008: bit n = vector n */
    uint32_t intercept_misc1;      /* 0x00c: SVM_INTERCEPT1_* */
    uint32_t intercept_misc2;      /* 0x010: SVM_INTERCEPT2_* */
    uint32_t intercept_misc3;      /* 0x014 */
    uint8_t reserved_018[0x03c - 0x018];
    uint16_t pause_filter_threshold; /* 0x03c */
    uint16_t pause_filter_count;     /* 0x03e */
    uint64_t iopm_base;              /* 0x040: physical address of the I/O permission map */
    uint64_t msrpm_base;             /* 0x048: physical address of the MSR permission map */
    uint64_t tsc_offset;             /* 0x050 */
    uint32_t asid;                   /* 0x058 */
    uint8_t tlb_control;             /* 0x05c: SVM_TLB_* */
    uint8_t reserved_05d[3];
    uint64_t vintr;           /* 0x060: SVM_VINTR_* */
    uint64_t interrupt_state; /* 0x068: SVM_INTERRUPT_SHADOW */
    uint64_t exit_code;       /* 0x070: SVM_EXIT_* */
    uint64_t exit_info1;      /* 0x078 */
    uint64_t exit_info2;      /* 0x080 */
    uint64_t exit_int_info;   /* 0x088: SVM_EVENT_* layout, error code in 63:32 */
    uint64_t nested_control;  /* 0x090: SVM_NESTED_CONTROL_* */
    uint64_t avic_apic_bar;   /* 0x098 */
    uint64_t ghcb_pa;         /* 0x0a0 */
    uint64_t event_inject;    /* 0x0a8: SVM_EVENT_* layout, error code in 63:32 */
    uint64_t nested_cr3;      /* 0x0b0: the NPT root */
    uint64_t virt_ext;        /* 0x0b8: LBR virtualization, virtual VMLOAD/VMSAVE */
    uint32_t clean;           /* 0x0c0: SVM_CLEAN_* set = unchanged since last VMRUN */
    uint32_t reserved_0c4;
    uint64_t next_rip;      /* 0x0c8: with NRIPS */
    uint8_t insn_fetched;   /* 0x0d0: with decode assists, #NPF and #PF only */
    uint8_t insn_bytes[15]; /* 0x0d1 */
    uint8_t reserved_0e0[0x400 - 0x0e0];

    /* State save area, 0x400.. */
    struct vmcb_segment es, cs, ss, ds, fs, gs; /* 0x400..0x45f */
    struct vmcb_segment gdtr, ldtr, idtr, tr;   /* 0x460..0x49f */
    uint8_t reserved_4a0[0x4cb - 0x4a0];
    uint8_t cpl; /* 0x4cb */
    uint32_t reserved_4cc;
    uint64_t efer; /* 0x4d0 */
    uint8_t reserved_4d8[0x548 - 0x4d8];
    uint64_t cr4;    /* 0x548 */
    uint64_t cr3;    /* 0x550 */
    uint64_t cr0;    /* 0x558 */
    uint64_t dr7;    /* 0x560 */
    uint64_t dr6;    /* 0x568 */
    uint64_t rflags; /* 0x570 */
    uint64_t rip;    /* 0x578 */
    uint8_t reserved_580[0x5d8 - 0x580];
    uint64_t rsp;            /* 0x5d8 */
    uint64_t s_cet;          /* 0x5e0 */
    uint64_t ssp;            /* 0x5e8 */
    uint64_t isst_addr;      /* 0x5f0 */
    uint64_t rax;            /* 0x5f8 */
    uint64_t star;           /* 0x600 */
    uint64_t lstar;          /* 0x608 */
    uint64_t cstar;          /* 0x610 */
    uint64_t sfmask;         /* 0x618 */
    uint64_t kernel_gs_base; /* 0x620 */
    uint64_t sysenter_cs;    /* 0x628 */
    uint64_t sysenter_esp;   /* 0x630 */
    uint64_t sysenter_eip;   /* 0x638 */
    uint64_t cr2;            /* 0x640 */
    uint8_t reserved_648[0x668 - 0x648];
    uint64_t g_pat;          /* 0x668 */
    uint64_t dbgctl;         /* 0x670 */
    uint64_t br_from;        /* 0x678 */
    uint64_t br_to;          /* 0x680 */
    uint64_t last_excp_from; /* 0x688 */
    uint64_t last_excp_to;   /* 0x690 */
    uint8_t reserved_698[0x1000 - 0x698];
};

#define VMCB_CHECK(field, offset)                                                                  \
    _Static_assert(offsetof(struct vmcb, field) == (offset), "VMCB " #field " offset")
VMCB_CHECK(intercept_cr, 0x000);
VMCB_CHECK(intercept_exceptions, 0x008);
VMCB_CHECK(intercept_misc1, 0x00c);
VMCB_CHECK(intercept_misc2, 0x010);
VMCB_CHECK(pause_filter_threshold, 0x03c);
VMCB_CHECK(iopm_base, 0x040);
VMCB_CHECK(msrpm_base, 0x048);
VMCB_CHECK(tsc_offset, 0x050);
VMCB_CHECK(asid, 0x058);
VMCB_CHECK(tlb_control, 0x05c);
VMCB_CHECK(vintr, 0x060);
VMCB_CHECK(interrupt_state, 0x068);
VMCB_CHECK(exit_code, 0x070);
VMCB_CHECK(exit_info1, 0x078);
VMCB_CHECK(exit_info2, 0x080);
VMCB_CHECK(exit_int_info, 0x088);
VMCB_CHECK(nested_control, 0x090);
VMCB_CHECK(event_inject, 0x0a8);
VMCB_CHECK(nested_cr3, 0x0b0);
VMCB_CHECK(clean, 0x0c0);
VMCB_CHECK(next_rip, 0x0c8);
VMCB_CHECK(insn_fetched, 0x0d0);
VMCB_CHECK(es, 0x400);
VMCB_CHECK(cs, 0x410);
VMCB_CHECK(ss, 0x420);
VMCB_CHECK(ds, 0x430);
VMCB_CHECK(fs, 0x440);
VMCB_CHECK(gs, 0x450);
VMCB_CHECK(gdtr, 0x460);
VMCB_CHECK(ldtr, 0x470);
VMCB_CHECK(idtr, 0x480);
VMCB_CHECK(tr, 0x490);
VMCB_CHECK(cpl, 0x4cb);
VMCB_CHECK(efer, 0x4d0);
VMCB_CHECK(cr4, 0x548);
VMCB_CHECK(cr3, 0x550);
VMCB_CHECK(cr0, 0x558);
VMCB_CHECK(dr7, 0x560);
VMCB_CHECK(dr6, 0x568);
VMCB_CHECK(rflags, 0x570);
VMCB_CHECK(rip, 0x578);
VMCB_CHECK(rsp, 0x5d8);
VMCB_CHECK(rax, 0x5f8);
VMCB_CHECK(star, 0x600);
VMCB_CHECK(lstar, 0x608);
VMCB_CHECK(cstar, 0x610);
VMCB_CHECK(sfmask, 0x618);
VMCB_CHECK(kernel_gs_base, 0x620);
VMCB_CHECK(sysenter_cs, 0x628);
VMCB_CHECK(sysenter_esp, 0x630);
VMCB_CHECK(sysenter_eip, 0x638);
VMCB_CHECK(cr2, 0x640);
VMCB_CHECK(g_pat, 0x668);
VMCB_CHECK(last_excp_to, 0x690);
_Static_assert(sizeof(struct vmcb) == 0x1000, "a VMCB is one page");
_Static_assert(sizeof(struct vmcb_segment) == 16, "VMCB segment layout");
#undef VMCB_CHECK

/* intercept_cr: CR n read is bit n, CR n write bit 16 + n. */
#define SVM_INTERCEPT_CR_WRITE(n) (1U << (16 + (n)))

/* intercept_misc1 (VMCB 0x00c) */
#define SVM_INTERCEPT1_INTR (1U << 0)
#define SVM_INTERCEPT1_NMI (1U << 1)
#define SVM_INTERCEPT1_SMI (1U << 2)
#define SVM_INTERCEPT1_INIT (1U << 3)
#define SVM_INTERCEPT1_VINTR (1U << 4)
#define SVM_INTERCEPT1_CR0_SELECTIVE (1U << 5)
#define SVM_INTERCEPT1_RDTSC (1U << 14)
#define SVM_INTERCEPT1_CPUID (1U << 18)
#define SVM_INTERCEPT1_IRET (1U << 20)
#define SVM_INTERCEPT1_RSM (1U << 19)
#define SVM_INTERCEPT1_INVD (1U << 22)
#define SVM_INTERCEPT1_PAUSE (1U << 23)
#define SVM_INTERCEPT1_HLT (1U << 24)
#define SVM_INTERCEPT1_INVLPG (1U << 25)
#define SVM_INTERCEPT1_INVLPGA (1U << 26)
#define SVM_INTERCEPT1_IOIO_PROT (1U << 27)
#define SVM_INTERCEPT1_MSR_PROT (1U << 28)
#define SVM_INTERCEPT1_TASK_SWITCH (1U << 29)
#define SVM_INTERCEPT1_FERR_FREEZE (1U << 30)
#define SVM_INTERCEPT1_SHUTDOWN (1U << 31)

/* intercept_misc2 (VMCB 0x010) */
#define SVM_INTERCEPT2_VMRUN (1U << 0)
#define SVM_INTERCEPT2_VMMCALL (1U << 1)
#define SVM_INTERCEPT2_VMLOAD (1U << 2)
#define SVM_INTERCEPT2_VMSAVE (1U << 3)
#define SVM_INTERCEPT2_STGI (1U << 4)
#define SVM_INTERCEPT2_CLGI (1U << 5)
#define SVM_INTERCEPT2_SKINIT (1U << 6)
#define SVM_INTERCEPT2_RDTSCP (1U << 7)
#define SVM_INTERCEPT2_ICEBP (1U << 8)
#define SVM_INTERCEPT2_WBINVD (1U << 9)
#define SVM_INTERCEPT2_MONITOR (1U << 10)
#define SVM_INTERCEPT2_MWAIT (1U << 11)
#define SVM_INTERCEPT2_MWAIT_ARMED (1U << 12)
#define SVM_INTERCEPT2_XSETBV (1U << 13)

/* tlb_control */
#define SVM_TLB_NOTHING 0
#define SVM_TLB_FLUSH_ALL 1        /* every ASID, every CPU supports it */
#define SVM_TLB_FLUSH_ASID 3       /* this guest's ASID, needs FlushByAsid */
#define SVM_TLB_FLUSH_ASID_LOCAL 7 /* its non-global entries, needs FlushByAsid */

/* vintr */
#define SVM_VINTR_TPR_MASK 0xffULL
#define SVM_VINTR_IRQ (1ULL << 8) /* V_IRQ: a virtual interrupt is pending */
#define SVM_VINTR_PRIO_SHIFT 16   /* V_INTR_PRIO: its priority, 0-15 */
#define SVM_VINTR_PRIO_MASK (0xfULL << SVM_VINTR_PRIO_SHIFT)
#define SVM_VINTR_IGN_TPR (1ULL << 20) /* V_IGN_TPR: V_TPR does not hold it back */
#define SVM_VINTR_MASKING (1ULL << 24) /* guest IF/TPR govern virtual interrupts only */

/* interrupt_state */
#define SVM_INTERRUPT_SHADOW (1ULL << 0)

/* nested_control */
#define SVM_NESTED_CONTROL_NP_ENABLE (1ULL << 0)

/* event_inject and exit_int_info */
#define SVM_EVENT_VECTOR_MASK 0xffULL
#define SVM_EVENT_TYPE_SHIFT 8
#define SVM_EVENT_TYPE_MASK (7ULL << SVM_EVENT_TYPE_SHIFT)
#define SVM_EVENT_TYPE_INTR (0ULL << SVM_EVENT_TYPE_SHIFT)
#define SVM_EVENT_TYPE_NMI (2ULL << SVM_EVENT_TYPE_SHIFT)
#define SVM_EVENT_TYPE_EXCEPTION (3ULL << SVM_EVENT_TYPE_SHIFT)
#define SVM_EVENT_TYPE_SOFT_INT (4ULL << SVM_EVENT_TYPE_SHIFT)
#define SVM_EVENT_ERROR_VALID (1ULL << 11)
#define SVM_EVENT_VALID (1ULL << 31)
#define SVM_EVENT_ERROR_SHIFT 32

/* clean: bit set = the hardware may use its cached copy of that group. */
#define SVM_CLEAN_INTERCEPTS (1U << 0) /* intercepts, TSC offset, pause filter */
#define SVM_CLEAN_IOPM (1U << 1)       /* IOPM and MSRPM bases */
#define SVM_CLEAN_ASID (1U << 2)
#define SVM_CLEAN_TPR (1U << 3) /* vintr */
#define SVM_CLEAN_NP (1U << 4)  /* nested control, N_CR3, G_PAT */
#define SVM_CLEAN_CRX (1U << 5) /* CR0, CR3, CR4, EFER */
#define SVM_CLEAN_DRX (1U << 6) /* DR6, DR7 */
#define SVM_CLEAN_DT (1U << 7)  /* GDTR, IDTR */
#define SVM_CLEAN_SEG (1U << 8) /* CS, DS, SS, ES, CPL */
#define SVM_CLEAN_CR2 (1U << 9)
#define SVM_CLEAN_LBR (1U << 10)
#define SVM_CLEAN_AVIC (1U << 11)
#define SVM_CLEAN_ALL 0xfffU

/* ---- Exit codes ----------------------------------------------------------- */

#define SVM_EXIT_CR_WRITE(n) (0x010ULL + (n))
#define SVM_EXIT_CR0_WRITE SVM_EXIT_CR_WRITE(0)
#define SVM_EXIT_CR4_WRITE SVM_EXIT_CR_WRITE(4)
#define SVM_EXIT_CR8_WRITE SVM_EXIT_CR_WRITE(8)
#define SVM_EXIT_EXCEPTION(vector) (0x040ULL + (vector))
#define SVM_EXIT_INTR 0x060ULL
#define SVM_EXIT_NMI 0x061ULL
#define SVM_EXIT_SMI 0x062ULL
#define SVM_EXIT_INIT 0x063ULL
#define SVM_EXIT_VINTR 0x064ULL
#define SVM_EXIT_CR0_SELECTIVE 0x065ULL
#define SVM_EXIT_CPUID 0x072ULL
#define SVM_EXIT_IRET 0x074ULL
#define SVM_EXIT_INVD 0x076ULL
#define SVM_EXIT_HLT 0x078ULL
#define SVM_EXIT_INVLPGA 0x07aULL
#define SVM_EXIT_IOIO 0x07bULL
#define SVM_EXIT_MSR 0x07cULL
#define SVM_EXIT_SHUTDOWN 0x07fULL
#define SVM_EXIT_VMRUN 0x080ULL
#define SVM_EXIT_VMMCALL 0x081ULL
#define SVM_EXIT_VMLOAD 0x082ULL
#define SVM_EXIT_VMSAVE 0x083ULL
#define SVM_EXIT_STGI 0x084ULL
#define SVM_EXIT_CLGI 0x085ULL
#define SVM_EXIT_SKINIT 0x086ULL
#define SVM_EXIT_MONITOR 0x08aULL
#define SVM_EXIT_MWAIT 0x08bULL
#define SVM_EXIT_MWAIT_ARMED 0x08cULL
#define SVM_EXIT_XSETBV 0x08dULL
#define SVM_EXIT_NPF 0x400ULL
#define SVM_EXIT_INVALID 0xffffffffffffffffULL /* VMRUN refused the state (-1) */

/* EXITINFO1 of a MOV-to-CR intercept, with decode assists. */
#define SVM_EXITINFO1_CR_MOV (1ULL << 63)
#define SVM_EXITINFO1_CR_GPR_MASK 0xfULL

/* EXITINFO1 of an MSR intercept. */
#define SVM_EXITINFO1_MSR_WRITE 1ULL

/* EXITINFO1 of an IOIO intercept; EXITINFO2 holds the next RIP. */
#define SVM_IOIO_IN (1ULL << 0)
#define SVM_IOIO_STRING (1ULL << 2)
#define SVM_IOIO_REP (1ULL << 3)
#define SVM_IOIO_SIZE8 (1ULL << 4)
#define SVM_IOIO_SIZE16 (1ULL << 5)
#define SVM_IOIO_SIZE32 (1ULL << 6)
#define SVM_IOIO_PORT_SHIFT 16
#define SVM_IOIO_PORT_MASK 0xffffULL

/* EXITINFO1 of a nested page fault; EXITINFO2 holds the guest physical address. */
#define SVM_NPF_PRESENT (1ULL << 0)
#define SVM_NPF_WRITE (1ULL << 1)
#define SVM_NPF_USER (1ULL << 2)
#define SVM_NPF_RESERVED (1ULL << 3)
#define SVM_NPF_FETCH (1ULL << 4)
#define SVM_NPF_FINAL_ADDRESS (1ULL << 32)
#define SVM_NPF_PAGE_TABLE_WALK (1ULL << 33)

/* ---- Permission maps ------------------------------------------------------- */

#define SVM_IOPM_BYTES (12 * 1024) /* one bit a port, plus room for accesses past 0xffff */
#define SVM_IOPM_ORDER 2           /* allocated as 16 KiB */
#define SVM_MSRPM_BYTES (8 * 1024)
#define SVM_MSRPM_ORDER 1
/* The MSRPM has 2 bits an MSR (read, then write) in three 2 KiB ranges. */
#define SVM_MSRPM_RANGE_MSRS 0x2000U
#define SVM_MSRPM_RANGE_BYTES 0x800U
#define SVM_MSRPM_RANGE0_BASE 0x00000000U /* bytes 0x000..0x7ff */
#define SVM_MSRPM_RANGE1_BASE 0xc0000000U /* bytes 0x800..0xfff */
#define SVM_MSRPM_RANGE2_BASE 0xc0010000U /* bytes 0x1000..0x17ff */

/* ---- Nested page tables ------------------------------------------------------ */

/* NPT entries have the ordinary long-mode page-table format (x86/paging.h). A
 * guest access needs U set at every level. */
#define NPT_PTE_USER (1ULL << 2)
#define NPT_LEVELS 4
#define NPT_ENTRIES 512
#define NPT_GFN_BITS 36 /* 48-bit guest physical addresses */

/* The guest PAT at reset: WB, WT, UC-, UC, WB, WT, UC-, UC. */
#define SVM_GUEST_PAT_DEFAULT 0x0007040600070406ULL

#endif /* !__ASSEMBLER__ */

#endif /* XENCORE_X86_SVM_H */
