/* Entering an SVM guest and coming back from #VMEXIT.
 *
 * void svm_vmrun(struct hvm_gprs *gprs, uint64_t vmcb_phys, uint64_t host_vmcb_phys)
 *
 * Called with interrupts disabled. VMRUN saves and restores only part of the
 * host's state (RIP, RSP, RAX, RFLAGS, CR0/3/4, EFER, GDTR, IDTR, CS, SS, DS,
 * ES); the rest - FS, GS (and so the per-CPU pointer in GS base), TR, LDTR,
 * KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK and the SYSENTER MSRs - is what
 * VMLOAD/VMSAVE move. So: VMLOAD the guest's from its VMCB, VMRUN, VMSAVE the
 * guest's back, VMLOAD the host's from this CPU's host VMCB. Between VMRUN
 * and that last VMLOAD nothing may touch %gs, which still holds the guest's
 * base; GIF is clear throughout, so no interrupt or NMI can arrive there.
 *
 * Interrupts: the VMCB sets V_INTR_MASKING, so while the guest runs, physical
 * interrupts are masked by the host's RFLAGS.IF as it was at VMRUN (not by
 * the guest's). We set IF after CLGI: nothing is delivered in the host while
 * GIF is clear, but an interrupt arriving in guest mode causes #VMEXIT(INTR).
 * After #VMEXIT we clear IF before STGI, so a pending interrupt waits for the
 * C code (which lets it in with sti; nop; cli); an NMI is taken at STGI.
 */
#include "x86/hvm_gprs.h"
#include "x86/svm.h"

    .text
    .globl svm_vmrun
    .type svm_vmrun, @function
svm_vmrun:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx                      /* host VMCB, for after #VMEXIT */
    pushq %rdi                      /* the guest's registers */
    movq %rsi, %rax                 /* VMLOAD, VMRUN and VMSAVE take rAX */

    clgi
    sti                             /* HIF = 1 for the guest; GIF = 0 holds them */
    vmload %rax
    movq HVM_GPR_RBX(%rdi), %rbx
    movq HVM_GPR_RCX(%rdi), %rcx
    movq HVM_GPR_RDX(%rdi), %rdx
    movq HVM_GPR_RSI(%rdi), %rsi
    movq HVM_GPR_RBP(%rdi), %rbp
    movq HVM_GPR_R8(%rdi), %r8
    movq HVM_GPR_R9(%rdi), %r9
    movq HVM_GPR_R10(%rdi), %r10
    movq HVM_GPR_R11(%rdi), %r11
    movq HVM_GPR_R12(%rdi), %r12
    movq HVM_GPR_R13(%rdi), %r13
    movq HVM_GPR_R14(%rdi), %r14
    movq HVM_GPR_R15(%rdi), %r15
    movq HVM_GPR_RDI(%rdi), %rdi

    vmrun %rax                      /* guest RAX comes from the VMCB */

    /* #VMEXIT: RAX, RSP, RFLAGS (IF set) are the host's again, GIF = 0. */
    vmsave %rax
    pushq %rdi                      /* the guest's RDI */
    movq 8(%rsp), %rdi              /* the guest's registers */
    movq %rbx, HVM_GPR_RBX(%rdi)
    movq %rcx, HVM_GPR_RCX(%rdi)
    movq %rdx, HVM_GPR_RDX(%rdi)
    movq %rsi, HVM_GPR_RSI(%rdi)
    movq %rbp, HVM_GPR_RBP(%rdi)
    movq %r8, HVM_GPR_R8(%rdi)
    movq %r9, HVM_GPR_R9(%rdi)
    movq %r10, HVM_GPR_R10(%rdi)
    movq %r11, HVM_GPR_R11(%rdi)
    movq %r12, HVM_GPR_R12(%rdi)
    movq %r13, HVM_GPR_R13(%rdi)
    movq %r14, HVM_GPR_R14(%rdi)
    movq %r15, HVM_GPR_R15(%rdi)
    popq HVM_GPR_RDI(%rdi)
    addq $8, %rsp                   /* the gprs pointer */
    popq %rax                       /* host VMCB */
    vmload %rax                     /* host FS, GS, TR, LDTR and syscall MSRs */
    cli
    stgi

    /* Leave no guest values in the registers the caller may not overwrite. */
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size svm_vmrun, . - svm_vmrun

    .section .note.GNU-stack, "", @progbits
