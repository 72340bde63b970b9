/* A vCPU start state given by a guest (VCPUOP_initialise), checked the way
 * the CPU would check it on entry and turned into one complete register
 * image both back ends install the same way.
 *
 * The check is pure (no CPU access): what the machine allows comes in as
 * struct hvm_cpu_facts, so the host unit tests run it too. */
#ifndef XENCORE_X86_VCPU_CONTEXT_H
#define XENCORE_X86_VCPU_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include <xencore/abi/guest.h>

/* Segment attributes in the 12-bit packed form: descriptor bits 47:40 in
 * bits 7:0 and bits 55:52 in bits 11:8. It is SVM's VMCB format and the
 * format of the _ar fields of Xen's vcpu_hvm_x86_32. */
#define SEG_AR_TYPE_MASK 0xfU
#define SEG_AR_TYPE_ACCESSED 0x1U   /* code or data: descriptor used */
#define SEG_AR_TYPE_WRITABLE 0x2U   /* data: writable; code: readable */
#define SEG_AR_TYPE_CONFORMING 0x4U /* code only */
#define SEG_AR_TYPE_CODE 0x8U
#define SEG_AR_TYPE_TSS_BUSY 0xbU /* 32-bit busy TSS (64-bit busy TSS in long mode) */
#define SEG_AR_S (1U << 4)        /* code or data, not system */
#define SEG_AR_DPL_SHIFT 5
#define SEG_AR_DPL_MASK 0x3U
#define SEG_AR_P (1U << 7)
#define SEG_AR_AVL (1U << 8)
#define SEG_AR_L (1U << 9) /* 64-bit code */
#define SEG_AR_DB (1U << 10)
#define SEG_AR_G (1U << 11)
#define SEG_AR_DEFINED 0xfffU
#define SEG_LIMIT_BYTE_GRANULAR_MAX 0xfffffU /* G = 0: limits up to 1 MiB - 1 */
#define SEG_LIMIT_PAGE_LOW_BITS 0xfffU       /* G = 1: the low 12 bits read as ones */

/* The segment registers of a start state, in this order. */
enum hvm_segment_index {
    HVM_SEG_ES,
    HVM_SEG_CS,
    HVM_SEG_SS,
    HVM_SEG_DS,
    HVM_SEG_FS,
    HVM_SEG_GS,
    HVM_SEG_TR,
    HVM_SEG_LDTR,
    HVM_SEG_COUNT,
};

/* One segment register: its hidden part. attr == 0 means unusable (a null
 * selector was loaded). */
struct hvm_segment {
    uint16_t selector;
    uint16_t attr;  /* SEG_AR_* */
    uint32_t limit; /* in bytes - 1, expanded by G */
    uint64_t base;
};

/* A complete start state: everything not here starts as after INIT (no
 * descriptor tables, DR7 = 0x400, nothing pending, x87/SSE at reset). */
struct hvm_start_state {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t rip, rflags;
    uint64_t cr0, cr3, cr4;
    uint64_t efer; /* what the guest reads, LMA included */
    struct hvm_segment segments[HVM_SEG_COUNT];
};

/* What the machine lets a guest have. */
struct hvm_cpu_facts {
    uint64_t cr4_allowed;   /* CR4 bits a guest may set */
    bool nx;                /* EFER.NXE allowed */
    unsigned int phys_bits; /* MAXPHYADDR: CR3 bits above it are reserved */
};

/* Checks @ctx and fills *@out. Returns 0, or -XC_EINVAL with *@why naming
 * the first problem (a static string); *@out is then unspecified. */
int hvm_vcpu_context_check(const struct vcpu_hvm_context *ctx, const struct hvm_cpu_facts *facts,
                           struct hvm_start_state *out, const char **why);

/* The PVH entry state (GUEST-ABI.md) as a start state: 32-bit protected
 * mode, paging off, flat 4 GiB code and data segments, a busy TSS, EIP =
 * @entry, EBX = @ebx, every other register zero. */
void hvm_pvh_start_state(struct hvm_start_state *out, uint32_t entry, uint32_t ebx);

#endif /* XENCORE_X86_VCPU_CONTEXT_H */
