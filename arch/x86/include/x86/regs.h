/* Architectural register bits and MSR numbers, named where they are defined
 * (Intel SDM vol. 3, AMD APM vol. 2). */
#ifndef XENCORE_X86_REGS_H
#define XENCORE_X86_REGS_H

/* RFLAGS */
#define X86_RFLAGS_IF (1UL << 9)

/* CR0 */
#define X86_CR0_PE (1UL << 0)
#define X86_CR0_MP (1UL << 1)
#define X86_CR0_TS (1UL << 3)
#define X86_CR0_ET (1UL << 4)
#define X86_CR0_NE (1UL << 5)
#define X86_CR0_WP (1UL << 16)
#define X86_CR0_NW (1UL << 29)
#define X86_CR0_CD (1UL << 30)
#define X86_CR0_PG (1UL << 31)
#define X86_CR0_DEFINED 0xe005003fULL /* PE MP EM TS ET NE WP AM NW CD PG */

/* CR4 */
#define X86_CR4_PSE (1UL << 4)
#define X86_CR4_PAE (1UL << 5)
#define X86_CR4_PGE (1UL << 7)
#define X86_CR4_OSFXSR (1UL << 9)
#define X86_CR4_PCIDE (1UL << 17)
#define X86_CR4_OSXSAVE (1UL << 18)

/* CPUID leaf 1 ECX / EDX */
#define CPUID1_ECX_VMX (1U << 5)
#define CPUID1_ECX_X2APIC (1U << 21)
#define CPUID1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID1_ECX_XSAVE (1U << 26)
#define CPUID1_EDX_APIC (1U << 9)
/* CPUID 0x80000001 ECX / EDX */
#define CPUID_EXT1_ECX_SVM (1U << 2)
#define CPUID_EXT1_EDX_NX (1U << 20)
#define CPUID_EXT1_EDX_PAGE1GB (1U << 26)
#define CPUID_EXT1_EDX_LM (1U << 29)
/* CPUID 0x8000000A EDX */
#define CPUID_SVM_EDX_NPT (1U << 0)

/* MSRs */
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define FEATURE_CONTROL_LOCKED (1ULL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)
#define MSR_IA32_APIC_BASE 0x0000001b
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10) /* x2APIC mode */
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ULL
#define MSR_IA32_TSC_DEADLINE 0x000006e0
#define MSR_IA32_VMX_PROCBASED_CTLS 0x00000482
#define VMX_PROCBASED_SECONDARY (1U << 31)
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x0000048b
#define VMX_PROCBASED2_EPT (1U << 1)
#define MSR_IA32_VMX_EPT_VPID_CAP 0x0000048c
#define EPT_CAP_PAGE_1GB (1ULL << 17)
#define MSR_EFER 0xc0000080
#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103
#define MSR_PAT 0x277
#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS (1ULL << 4)

#endif /* XENCORE_X86_REGS_H */
