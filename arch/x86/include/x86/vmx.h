/* Intel VMX: the architectural numbers (Intel SDM vol. 3C, chapters 24-28 and
 * appendices A-C) and the VMX instructions as inline functions.
 *
 * Everything here is a fact about the CPU, named where it is defined: VMCS
 * field encodings (appendix B), the capability MSRs and their bits
 * (appendix A), the execution/exit/entry control bits (24.6-24.8), exit
 * reasons (appendix C) and the formats of exit qualifications (27.2.1).
 * Policy lives in arch/x86/vmx/. The numeric part is also included by
 * vmx_entry.S, so it is plain preprocessor constants without C suffixes. */
#ifndef XENCORE_X86_VMX_H
#define XENCORE_X86_VMX_H

/* ---- Capability MSRs (appendix A) ------------------------------------------ */

#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
/* MSR_IA32_VMX_PROCBASED_CTLS (0x482) is in x86/regs.h */
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
/* MSR_IA32_VMX_PROCBASED_CTLS2 (0x48b) and MSR_IA32_VMX_EPT_VPID_CAP (0x48c) too */
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

/* IA32_VMX_BASIC (A.1) */
#define VMX_BASIC_REVISION_MASK 0x7fffffff /* bits 30:0 */
#define VMX_BASIC_REGION_SIZE_SHIFT 32     /* bits 44:32: VMXON/VMCS region bytes */
#define VMX_BASIC_REGION_SIZE_MASK 0x1fff
#define VMX_BASIC_PHYS_32BIT_ONLY (1ULL << 48) /* regions must lie below 4 GiB */
#define VMX_BASIC_MEMORY_TYPE_SHIFT 50         /* bits 53:50: type for VMCS accesses */
#define VMX_BASIC_MEMORY_TYPE_MASK 0xf
#define VMX_BASIC_TRUE_CONTROLS (1ULL << 55) /* the TRUE_* control MSRs exist */

/* IA32_VMX_MISC (A.6) */
#define VMX_MISC_STORES_LMA (1ULL << 5) /* VM exits store EFER.LMA into "IA-32e mode guest" */

/* IA32_VMX_EPT_VPID_CAP (A.10). MSR_IA32_VMX_EPT_VPID_CAP and EPT_CAP_PAGE_1GB
 * (bit 17) are in x86/regs.h. */
#define VMX_EPT_CAP_WALK_LENGTH_4 (1ULL << 6)
#define VMX_EPT_CAP_MEMORY_WB (1ULL << 14)
#define VMX_EPT_CAP_PAGE_2MB (1ULL << 16)
#define VMX_EPT_CAP_PAGE_1GB (1ULL << 17)
#define VMX_EPT_CAP_INVEPT (1ULL << 20)
#define VMX_EPT_CAP_INVEPT_SINGLE (1ULL << 25)
#define VMX_EPT_CAP_INVEPT_ALL (1ULL << 26)
#define VMX_VPID_CAP_INVVPID (1ULL << 32)
#define VMX_VPID_CAP_INVVPID_SINGLE (1ULL << 41)
#define VMX_VPID_CAP_INVVPID_ALL (1ULL << 42)

/* Control MSRs (A.3-A.5): the low half are the allowed 0-settings (a 1 there
 * means the control must be 1), the high half the allowed 1-settings. */
#define VMX_CTLS_ALLOWED1_SHIFT 32

/* ---- VM-execution, exit and entry controls (24.6-24.8) -------------------- */

/* Pin-based VM-execution controls (table 24-5) */
#define VMX_PIN_EXTERNAL_INTERRUPT_EXITING (1U << 0)
#define VMX_PIN_NMI_EXITING (1U << 3)
#define VMX_PIN_VIRTUAL_NMIS (1U << 5)
#define VMX_PIN_PREEMPTION_TIMER (1U << 6)
#define VMX_PIN_POSTED_INTERRUPTS (1U << 7)

/* Primary processor-based VM-execution controls (table 24-6).
 * VMX_PROCBASED_SECONDARY (bit 31) is in x86/regs.h. */
#define VMX_PROC_INTERRUPT_WINDOW_EXITING (1U << 2)
#define VMX_PROC_TSC_OFFSETTING (1U << 3)
#define VMX_PROC_HLT_EXITING (1U << 7)
#define VMX_PROC_INVLPG_EXITING (1U << 9)
#define VMX_PROC_MWAIT_EXITING (1U << 10)
#define VMX_PROC_RDPMC_EXITING (1U << 11)
#define VMX_PROC_RDTSC_EXITING (1U << 12)
#define VMX_PROC_CR3_LOAD_EXITING (1U << 15)
#define VMX_PROC_CR3_STORE_EXITING (1U << 16)
#define VMX_PROC_CR8_LOAD_EXITING (1U << 19)
#define VMX_PROC_CR8_STORE_EXITING (1U << 20)
#define VMX_PROC_TPR_SHADOW (1U << 21)
#define VMX_PROC_NMI_WINDOW_EXITING (1U << 22)
#define VMX_PROC_MOV_DR_EXITING (1U << 23)
#define VMX_PROC_UNCONDITIONAL_IO_EXITING (1U << 24)
#define VMX_PROC_IO_BITMAPS (1U << 25)
#define VMX_PROC_MONITOR_TRAP_FLAG (1U << 27)
#define VMX_PROC_MSR_BITMAPS (1U << 28)
#define VMX_PROC_MONITOR_EXITING (1U << 29)
#define VMX_PROC_PAUSE_EXITING (1U << 30)
#define VMX_PROC_SECONDARY_CONTROLS (1U << 31)

/* Secondary processor-based VM-execution controls (table 24-7).
 * VMX_PROCBASED2_EPT (bit 1) is in x86/regs.h. */
#define VMX_PROC2_VIRTUALIZE_APIC_ACCESSES (1U << 0)
#define VMX_PROC2_ENABLE_EPT (1U << 1)
#define VMX_PROC2_DESCRIPTOR_TABLE_EXITING (1U << 2)
#define VMX_PROC2_ENABLE_RDTSCP (1U << 3)
#define VMX_PROC2_VIRTUALIZE_X2APIC (1U << 4)
#define VMX_PROC2_ENABLE_VPID (1U << 5)
#define VMX_PROC2_WBINVD_EXITING (1U << 6)
#define VMX_PROC2_UNRESTRICTED_GUEST (1U << 7)
#define VMX_PROC2_APIC_REGISTER_VIRTUALIZATION (1U << 8)
#define VMX_PROC2_VIRTUAL_INTERRUPT_DELIVERY (1U << 9)
#define VMX_PROC2_ENABLE_INVPCID (1U << 12)
#define VMX_PROC2_ENABLE_XSAVES (1U << 20)

/* VM-exit controls (table 24-11) */
#define VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS (1U << 2)
#define VMX_EXIT_CTL_HOST_ADDRESS_SPACE_SIZE (1U << 9) /* 64-bit host */
#define VMX_EXIT_CTL_LOAD_PERF_GLOBAL_CTRL (1U << 12)
#define VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT (1U << 15)
#define VMX_EXIT_CTL_SAVE_PAT (1U << 18)
#define VMX_EXIT_CTL_LOAD_PAT (1U << 19)
#define VMX_EXIT_CTL_SAVE_EFER (1U << 20)
#define VMX_EXIT_CTL_LOAD_EFER (1U << 21)
#define VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER (1U << 22)

/* VM-entry controls (table 24-13) */
#define VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS (1U << 2)
#define VMX_ENTRY_CTL_IA32E_MODE_GUEST (1U << 9)
#define VMX_ENTRY_CTL_SMM (1U << 10)
#define VMX_ENTRY_CTL_DEACTIVATE_DUAL_MONITOR (1U << 11)
#define VMX_ENTRY_CTL_LOAD_PERF_GLOBAL_CTRL (1U << 13)
#define VMX_ENTRY_CTL_LOAD_PAT (1U << 14)
#define VMX_ENTRY_CTL_LOAD_EFER (1U << 15)

/* ---- VMCS field encodings (appendix B) ------------------------------------- */

/* 16-bit control and guest/host state */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_ES_SELECTOR 0x0800
#define VMCS_GUEST_CS_SELECTOR 0x0802
#define VMCS_GUEST_SS_SELECTOR 0x0804
#define VMCS_GUEST_DS_SELECTOR 0x0806
#define VMCS_GUEST_FS_SELECTOR 0x0808
#define VMCS_GUEST_GS_SELECTOR 0x080a
#define VMCS_GUEST_LDTR_SELECTOR 0x080c
#define VMCS_GUEST_TR_SELECTOR 0x080e
#define VMCS_GUEST_INTERRUPT_STATUS 0x0810 /* RVI in 7:0, SVI in 15:8 */
#define VMCS_HOST_ES_SELECTOR 0x0c00
#define VMCS_HOST_CS_SELECTOR 0x0c02
#define VMCS_HOST_SS_SELECTOR 0x0c04
#define VMCS_HOST_DS_SELECTOR 0x0c06
#define VMCS_HOST_FS_SELECTOR 0x0c08
#define VMCS_HOST_GS_SELECTOR 0x0c0a
#define VMCS_HOST_TR_SELECTOR 0x0c0c

/* 64-bit control fields */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EXIT_MSR_STORE_ADDRESS 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDRESS 0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDRESS 0x200a
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_VIRTUAL_APIC_ADDRESS 0x2012
#define VMCS_EPT_POINTER 0x201a
#define VMCS_EOI_EXIT_BITMAP0 0x201c /* vectors 0-63; 1..3 follow every 2 */
#define VMCS_EOI_EXIT_BITMAP1 0x201e
#define VMCS_EOI_EXIT_BITMAP2 0x2020
#define VMCS_EOI_EXIT_BITMAP3 0x2022
#define VMCS_XSS_EXIT_BITMAP 0x202c
/* 64-bit read-only data */
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400
/* 64-bit guest state */
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_IA32_DEBUGCTL 0x2802
#define VMCS_GUEST_IA32_PAT 0x2804
#define VMCS_GUEST_IA32_EFER 0x2806
#define VMCS_GUEST_PDPTE0 0x280a
#define VMCS_GUEST_PDPTE1 0x280c
#define VMCS_GUEST_PDPTE2 0x280e
#define VMCS_GUEST_PDPTE3 0x2810
/* 64-bit host state */
#define VMCS_HOST_IA32_PAT 0x2c00
#define VMCS_HOST_IA32_EFER 0x2c02

/* 32-bit control fields */
#define VMCS_PIN_CONTROLS 0x4000
#define VMCS_PROC_CONTROLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PAGE_FAULT_ERROR_MASK 0x4006
#define VMCS_PAGE_FAULT_ERROR_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CONTROLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTERRUPTION_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VMCS_ENTRY_INSTRUCTION_LENGTH 0x401a
#define VMCS_TPR_THRESHOLD 0x401c
#define VMCS_PROC2_CONTROLS 0x401e
/* 32-bit read-only data */
#define VMCS_INSTRUCTION_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTERRUPTION_INFO 0x4404
#define VMCS_EXIT_INTERRUPTION_ERROR_CODE 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE 0x440a
#define VMCS_EXIT_INSTRUCTION_LENGTH 0x440c
#define VMCS_EXIT_INSTRUCTION_INFO 0x440e
/* 32-bit guest state */
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_CS_LIMIT 0x4802
#define VMCS_GUEST_SS_LIMIT 0x4804
#define VMCS_GUEST_DS_LIMIT 0x4806
#define VMCS_GUEST_FS_LIMIT 0x4808
#define VMCS_GUEST_GS_LIMIT 0x480a
#define VMCS_GUEST_LDTR_LIMIT 0x480c
#define VMCS_GUEST_TR_LIMIT 0x480e
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_ACCESS 0x4814
#define VMCS_GUEST_CS_ACCESS 0x4816
#define VMCS_GUEST_SS_ACCESS 0x4818
#define VMCS_GUEST_DS_ACCESS 0x481a
#define VMCS_GUEST_FS_ACCESS 0x481c
#define VMCS_GUEST_GS_ACCESS 0x481e
#define VMCS_GUEST_LDTR_ACCESS 0x4820
#define VMCS_GUEST_TR_ACCESS 0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY_STATE 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
/* 32-bit host state */
#define VMCS_HOST_SYSENTER_CS 0x4c00

/* Natural-width control fields */
#define VMCS_CR0_GUEST_HOST_MASK 0x6000
#define VMCS_CR4_GUEST_HOST_MASK 0x6002
#define VMCS_CR0_READ_SHADOW 0x6004
#define VMCS_CR4_READ_SHADOW 0x6006
/* Natural-width read-only data */
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDRESS 0x640a
/* Natural-width guest state */
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_CS_BASE 0x6808
#define VMCS_GUEST_SS_BASE 0x680a
#define VMCS_GUEST_DS_BASE 0x680c
#define VMCS_GUEST_FS_BASE 0x680e
#define VMCS_GUEST_GS_BASE 0x6810
#define VMCS_GUEST_LDTR_BASE 0x6812
#define VMCS_GUEST_TR_BASE 0x6814
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
/* Natural-width host state */
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

/* ---- Guest-state formats (24.4) -------------------------------------------- */

/* Segment access rights as the VMCS holds them (24.4.1, table 24-2) */
#define VMX_SEGMENT_TYPE_MASK 0xf
#define VMX_SEGMENT_TYPE_ACCESSED (1U << 0)
#define VMX_SEGMENT_TYPE_BUSY_TSS 0xb      /* busy 32-bit (or 64-bit) TSS */
#define VMX_SEGMENT_CODE_OR_DATA (1U << 4) /* S: not a system segment */
#define VMX_SEGMENT_DPL_SHIFT 5
#define VMX_SEGMENT_DPL_MASK 0x3
#define VMX_SEGMENT_PRESENT (1U << 7)
#define VMX_SEGMENT_LONG_MODE (1U << 13)   /* L: 64-bit code */
#define VMX_SEGMENT_DEFAULT_BIG (1U << 14) /* D/B: 32-bit */
#define VMX_SEGMENT_GRANULARITY (1U << 15)
#define VMX_SEGMENT_UNUSABLE (1U << 16)
#define VMX_SEGMENT_TYPE_CODE_READ_ACCESSED 0xb  /* execute/read, accessed */
#define VMX_SEGMENT_TYPE_DATA_WRITE_ACCESSED 0x3 /* read/write, accessed */

/* Interruptibility state (table 24-3) */
#define VMX_INTERRUPTIBILITY_STI (1U << 0)
#define VMX_INTERRUPTIBILITY_MOV_SS (1U << 1)
#define VMX_INTERRUPTIBILITY_SMI (1U << 2)
#define VMX_INTERRUPTIBILITY_NMI (1U << 3)

/* Guest interrupt status (24.4.2): requesting and servicing virtual interrupt */
#define VMX_GUEST_INTERRUPT_STATUS_RVI_MASK 0xffU
#define VMX_GUEST_INTERRUPT_STATUS_SVI_SHIFT 8

/* Activity state (24.4.2) */
#define VMX_ACTIVITY_ACTIVE 0

/* The VMCS link pointer when VMCS shadowing is not used (24.4.2) */
#define VMX_LINK_POINTER_NONE 0xffffffffffffffffULL

/* ---- Event information (24.8.3, 24.9.2, 24.9.3) --------------------------- */

/* VM-entry interruption information; the exit interruption and IDT-vectoring
 * information fields share the layout (bit 12 differs in meaning). */
#define VMX_INTERRUPTION_VECTOR_MASK 0xff
#define VMX_INTERRUPTION_TYPE_SHIFT 8
#define VMX_INTERRUPTION_TYPE_MASK 0x7
#define VMX_INTERRUPTION_TYPE_EXTERNAL 0
#define VMX_INTERRUPTION_TYPE_NMI 2
#define VMX_INTERRUPTION_TYPE_HARDWARE_EXCEPTION 3
#define VMX_INTERRUPTION_TYPE_SOFTWARE_INTERRUPT 4
#define VMX_INTERRUPTION_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION 5
#define VMX_INTERRUPTION_TYPE_SOFTWARE_EXCEPTION 6
#define VMX_INTERRUPTION_DELIVER_ERROR_CODE (1U << 11)
#define VMX_INTERRUPTION_NMI_UNBLOCKING (1U << 12) /* exit/vectoring info only */
#define VMX_INTERRUPTION_VALID (1U << 31)

/* ---- Exit reasons (appendix C) and the exit-reason field (24.9.1) ---------- */

#define VMX_EXIT_REASON_BASIC_MASK 0xffff
#define VMX_EXIT_REASON_ENTRY_FAILURE (1U << 31)

#define VMX_EXIT_REASON_EXCEPTION_OR_NMI 0
#define VMX_EXIT_REASON_EXTERNAL_INTERRUPT 1
#define VMX_EXIT_REASON_TRIPLE_FAULT 2
#define VMX_EXIT_REASON_INIT 3
#define VMX_EXIT_REASON_SIPI 4
#define VMX_EXIT_REASON_IO_SMI 5
#define VMX_EXIT_REASON_OTHER_SMI 6
#define VMX_EXIT_REASON_INTERRUPT_WINDOW 7
#define VMX_EXIT_REASON_NMI_WINDOW 8
#define VMX_EXIT_REASON_TASK_SWITCH 9
#define VMX_EXIT_REASON_CPUID 10
#define VMX_EXIT_REASON_GETSEC 11
#define VMX_EXIT_REASON_HLT 12
#define VMX_EXIT_REASON_INVD 13
#define VMX_EXIT_REASON_INVLPG 14
#define VMX_EXIT_REASON_RDPMC 15
#define VMX_EXIT_REASON_RDTSC 16
#define VMX_EXIT_REASON_RSM 17
#define VMX_EXIT_REASON_VMCALL 18
#define VMX_EXIT_REASON_VMCLEAR 19
#define VMX_EXIT_REASON_VMLAUNCH 20
#define VMX_EXIT_REASON_VMPTRLD 21
#define VMX_EXIT_REASON_VMPTRST 22
#define VMX_EXIT_REASON_VMREAD 23
#define VMX_EXIT_REASON_VMRESUME 24
#define VMX_EXIT_REASON_VMWRITE 25
#define VMX_EXIT_REASON_VMXOFF 26
#define VMX_EXIT_REASON_VMXON 27
#define VMX_EXIT_REASON_CR_ACCESS 28
#define VMX_EXIT_REASON_DR_ACCESS 29
#define VMX_EXIT_REASON_IO_INSTRUCTION 30
#define VMX_EXIT_REASON_RDMSR 31
#define VMX_EXIT_REASON_WRMSR 32
#define VMX_EXIT_REASON_INVALID_GUEST_STATE 33
#define VMX_EXIT_REASON_MSR_LOADING 34
#define VMX_EXIT_REASON_MWAIT 36
#define VMX_EXIT_REASON_MONITOR_TRAP_FLAG 37
#define VMX_EXIT_REASON_MONITOR 39
#define VMX_EXIT_REASON_PAUSE 40
#define VMX_EXIT_REASON_MACHINE_CHECK 41
#define VMX_EXIT_REASON_TPR_BELOW_THRESHOLD 43
#define VMX_EXIT_REASON_APIC_ACCESS 44
#define VMX_EXIT_REASON_VIRTUALIZED_EOI 45
#define VMX_EXIT_REASON_GDTR_IDTR_ACCESS 46
#define VMX_EXIT_REASON_LDTR_TR_ACCESS 47
#define VMX_EXIT_REASON_EPT_VIOLATION 48
#define VMX_EXIT_REASON_EPT_MISCONFIGURATION 49
#define VMX_EXIT_REASON_INVEPT 50
#define VMX_EXIT_REASON_RDTSCP 51
#define VMX_EXIT_REASON_PREEMPTION_TIMER 52
#define VMX_EXIT_REASON_INVVPID 53
#define VMX_EXIT_REASON_WBINVD 54
#define VMX_EXIT_REASON_XSETBV 55
#define VMX_EXIT_REASON_APIC_WRITE 56
#define VMX_EXIT_REASON_RDRAND 57
#define VMX_EXIT_REASON_INVPCID 58
#define VMX_EXIT_REASON_VMFUNC 59
#define VMX_EXIT_REASON_ENCLS 60
#define VMX_EXIT_REASON_RDSEED 61
#define VMX_EXIT_REASON_PML_FULL 62
#define VMX_EXIT_REASON_XSAVES 63
#define VMX_EXIT_REASON_XRSTORS 64

/* ---- Exit qualifications (27.2.1) ------------------------------------------ */

/* Control-register accesses (table 27-3) */
#define VMX_CR_QUAL_NUMBER_MASK 0xf
#define VMX_CR_QUAL_ACCESS_SHIFT 4
#define VMX_CR_QUAL_ACCESS_MASK 0x3
#define VMX_CR_ACCESS_MOV_TO_CR 0
#define VMX_CR_ACCESS_MOV_FROM_CR 1
#define VMX_CR_ACCESS_CLTS 2
#define VMX_CR_ACCESS_LMSW 3
#define VMX_CR_QUAL_GPR_SHIFT 8
#define VMX_CR_QUAL_GPR_MASK 0xf
#define VMX_CR_QUAL_LMSW_DATA_SHIFT 16
#define VMX_CR_QUAL_LMSW_DATA_MASK 0xffff

/* General-purpose register numbers in exit qualifications and instruction info */
#define VMX_GPR_RAX 0
#define VMX_GPR_RCX 1
#define VMX_GPR_RDX 2
#define VMX_GPR_RBX 3
#define VMX_GPR_RSP 4
#define VMX_GPR_RBP 5
#define VMX_GPR_RSI 6
#define VMX_GPR_RDI 7
#define VMX_GPR_R8 8
#define VMX_GPR_R9 9
#define VMX_GPR_R10 10
#define VMX_GPR_R11 11
#define VMX_GPR_R12 12
#define VMX_GPR_R13 13
#define VMX_GPR_R14 14
#define VMX_GPR_R15 15
#define VMX_GPR_COUNT 16

/* I/O instructions (table 27-5) */
#define VMX_IO_QUAL_SIZE_MASK 0x7 /* access size minus 1: 0, 1 or 3 */
#define VMX_IO_QUAL_IN (1U << 3)
#define VMX_IO_QUAL_STRING (1U << 4)
#define VMX_IO_QUAL_REP (1U << 5)
#define VMX_IO_QUAL_IMMEDIATE (1U << 6)
#define VMX_IO_QUAL_PORT_SHIFT 16
#define VMX_IO_QUAL_PORT_MASK 0xffff

/* EPT violations (table 27-7) */
#define VMX_EPT_QUAL_READ (1U << 0)
#define VMX_EPT_QUAL_WRITE (1U << 1)
#define VMX_EPT_QUAL_FETCH (1U << 2)
#define VMX_EPT_QUAL_READABLE (1U << 3)
#define VMX_EPT_QUAL_WRITABLE (1U << 4)
#define VMX_EPT_QUAL_EXECUTABLE (1U << 5)
#define VMX_EPT_QUAL_LINEAR_VALID (1U << 7)
#define VMX_EPT_QUAL_NMI_UNBLOCKING (1U << 12)

/* ---- VM-instruction errors (30.4) ------------------------------------------ */

#define VMX_ERROR_VMLAUNCH_NOT_CLEAR 4
#define VMX_ERROR_VMRESUME_NOT_LAUNCHED 5
#define VMX_ERROR_ENTRY_INVALID_CONTROLS 7
#define VMX_ERROR_ENTRY_INVALID_HOST_STATE 8
#define VMX_ERROR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS 26

/* ---- EPT (28.2) --------------------------------------------------------------- */

#define EPT_READ (1ULL << 0)
#define EPT_WRITE (1ULL << 1)
#define EPT_EXECUTE (1ULL << 2)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMORY_TYPE_SHIFT 3 /* leaves: bits 5:3 */
#define EPT_IGNORE_PAT (1ULL << 6)
#define EPT_LARGE_PAGE (1ULL << 7) /* a 2 MiB (PDE) or 1 GiB (PDPTE) leaf */
#define EPT_ADDRESS_MASK 0x000ffffffffff000ULL
#define EPT_MEMORY_TYPE_UC 0
#define EPT_MEMORY_TYPE_WB 6
#define EPT_LEVELS 4
#define EPT_ENTRIES_PER_TABLE 512
#define EPT_GUEST_PHYSICAL_BITS 48 /* what 4-level EPT translates */

/* EPTP (24.6.11) */
#define EPTP_MEMORY_TYPE_WB 6    /* bits 2:0: type for accesses to the EPT tables */
#define EPTP_WALK_LENGTH_SHIFT 3 /* bits 5:3: walk length minus 1 */

/* INVEPT / INVVPID types (30.3) */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2

#define VMX_VPID_MAX 0xffff /* VPIDs 1..0xffff name guests; 0 is the host */

/* ---- The instructions ------------------------------------------------------ */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

/* Each returns true on success (neither VMfailInvalid, CF, nor VMfailValid, ZF). */

static inline bool vmxon(uint64_t region_phys)
{
    bool ok;
    __asm__ volatile("vmxon %1" : "=@cca"(ok) : "m"(region_phys) : "cc", "memory");
    return ok;
}

static inline bool vmclear(uint64_t vmcs_phys)
{
    bool ok;
    __asm__ volatile("vmclear %1" : "=@cca"(ok) : "m"(vmcs_phys) : "cc", "memory");
    return ok;
}

static inline bool vmptrld(uint64_t vmcs_phys)
{
    bool ok;
    __asm__ volatile("vmptrld %1" : "=@cca"(ok) : "m"(vmcs_phys) : "cc", "memory");
    return ok;
}

/* The current VMCS, or VMX_LINK_POINTER_NONE if there is none. */
static inline uint64_t vmptrst(void)
{
    uint64_t phys;
    __asm__ volatile("vmptrst %0" : "=m"(phys)::"memory");
    return phys;
}

/* Reads and writes of the current VMCS. Unchecked: the field encodings are
 * constants known to exist when the features we require exist. */
static inline uint64_t vmread(uint64_t field)
{
    uint64_t value;
    __asm__ volatile("vmread %1, %0" : "=r"(value) : "r"(field) : "cc");
    return value;
}

static inline void vmwrite(uint64_t field, uint64_t value)
{
    __asm__ volatile("vmwrite %1, %0" ::"r"(field), "r"(value) : "cc");
}

/* Checked write, for set-up: false if the CPU refused the field or value. */
static inline bool vmwrite_checked(uint64_t field, uint64_t value)
{
    bool ok;
    __asm__ volatile("vmwrite %2, %1" : "=@cca"(ok) : "r"(field), "r"(value) : "cc");
    return ok;
}

struct invept_descriptor {
    uint64_t eptp;
    uint64_t reserved;
};

struct invvpid_descriptor {
    uint64_t vpid; /* bits 15:0; the rest must be zero */
    uint64_t linear_address;
};

static inline bool invept(uint64_t type, uint64_t eptp)
{
    struct invept_descriptor descriptor = {eptp, 0};
    bool ok;
    __asm__ volatile("invept %1, %2" : "=@cca"(ok) : "m"(descriptor), "r"(type) : "cc", "memory");
    return ok;
}

static inline bool invvpid(uint64_t type, uint16_t vpid)
{
    struct invvpid_descriptor descriptor = {vpid, 0};
    bool ok;
    __asm__ volatile("invvpid %1, %2" : "=@cca"(ok) : "m"(descriptor), "r"(type) : "cc", "memory");
    return ok;
}
#endif /* __ASSEMBLER__ */

#endif /* XENCORE_X86_VMX_H */
