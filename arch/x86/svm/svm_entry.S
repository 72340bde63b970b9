/* Entering an SVM guest and coming back from #VMEXIT.
 *
 * void svm_enter(struct svm_vcpu *sv, uint64_t vmcb_phys, uint64_t host_vmcb_phys)
 *
 * Called with interrupts disabled. VMRUN saves and restores only part of the
 * host's state (RIP, RSP, RAX, RFLAGS, CR0/3/4, EFER, GDTR, IDTR, CS, SS, DS,
 * ES); the rest - FS, GS (and so the per-CPU pointer in GS base), TR, LDTR,
 * KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK and the SYSENTER MSRs - is what
 * VMLOAD/VMSAVE move. So: VMLOAD the guest's from its VMCB, VMRUN, VMSAVE the
 * guest's back, VMLOAD the host's from this CPU's host VMCB. Between VMRUN
 * and that last VMLOAD nothing may touch %gs, which still holds the guest's
 * base; GIF is clear throughout, so no interrupt or NMI can arrive there.
 * Every #VMEXIT takes that path before any C code runs, so the C exit
 * handler always sees the host's GS base (the per-CPU pointer) and no guest
 * value ever stays in the host's FS/GS/TR/LDTR or syscall MSRs.
 *
 * Fast resume: after the host state is back, svm_exit_handle(sv) (gprs is at
 * offset 0 of struct svm_vcpu) deals with the exit on this same frame. When
 * it answers true the guest goes straight back in: CLGI, VMLOAD, the GPRs,
 * VMRUN, without unwinding to the run loop. When it answers false, svm_enter
 * returns to the run loop, which reads what to do next in the vCPU and makes
 * the full checks (runnable, reschedule, ASID, p2m generation).
 *
 * Interrupts: the VMCB sets V_INTR_MASKING, so while the guest runs, physical
 * interrupts are masked by the host's RFLAGS.IF as it was at VMRUN (not by
 * the guest's). We set IF after CLGI: nothing is delivered in the host while
 * GIF is clear, but an interrupt arriving in guest mode causes #VMEXIT(INTR).
 * After #VMEXIT we clear IF before STGI, so a pending interrupt waits for the
 * C code (which lets it in with sti; nop; cli); an NMI is taken at STGI.
 *
 * Frame while the guest runs (RSP 16-byte aligned for the call):
 *   0(%rsp) the svm_vcpu (its gprs), 8(%rsp) the guest VMCB, 16(%rsp) the
 *   host VMCB, then the callee-saved registers. RAX holds the guest VMCB
 *   across VMRUN (the CPU restores the host's RAX at #VMEXIT). */
#include "x86/hvm_gprs.h"
#include "x86/svm.h"
#include "svm_internal.h"

#define FRAME_GPRS 0
#define FRAME_VMCB 8
#define FRAME_HOST_VMCB 16
#define FRAME_BYTES 24

    .text
    .globl svm_enter
    .type svm_enter, @function
svm_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx                      /* host VMCB, for after #VMEXIT */
    pushq %rsi                      /* guest VMCB, for the fast resume */
    pushq %rdi                      /* the guest's registers */

    /* Entry with every GPR from gprs: from the run loop, and after the
     * general exit path (whose handlers may have written any of them). */
1:
    movq HVM_GPR_RBP(%rdi), %rbp
    movq HVM_GPR_R12(%rdi), %r12
    movq HVM_GPR_R13(%rdi), %r13
    movq HVM_GPR_R14(%rdi), %r14
    movq HVM_GPR_R15(%rdi), %r15
    /* Entry after the hot path: RBP and R12-R15 still hold the guest's. */
2:
    movq FRAME_VMCB(%rsp), %rax     /* VMLOAD, VMRUN and VMSAVE take rAX */
    clgi
    sti                             /* HIF = 1 for the guest; GIF = 0 holds them */
    vmload %rax
    movq HVM_GPR_RBX(%rdi), %rbx
    movq HVM_GPR_RCX(%rdi), %rcx
    movq HVM_GPR_RDX(%rdi), %rdx
    movq HVM_GPR_RSI(%rdi), %rsi
    movq HVM_GPR_R8(%rdi), %r8
    movq HVM_GPR_R9(%rdi), %r9
    movq HVM_GPR_R10(%rdi), %r10
    movq HVM_GPR_R11(%rdi), %r11
    movq HVM_GPR_RDI(%rdi), %rdi

    vmrun %rax                      /* guest RAX comes from the VMCB */

    /* #VMEXIT: RAX, RSP, RFLAGS (IF set) are the host's again, GIF = 0. */
    vmsave %rax
    pushq %rdi                      /* the guest's RDI */
    movq 8+FRAME_GPRS(%rsp), %rdi   /* the guest's registers */
    movq %rbx, HVM_GPR_RBX(%rdi)
    movq %rcx, HVM_GPR_RCX(%rdi)
    movq %rdx, HVM_GPR_RDX(%rdi)
    movq %rsi, HVM_GPR_RSI(%rdi)
    movq %r8, HVM_GPR_R8(%rdi)
    movq %r9, HVM_GPR_R9(%rdi)
    movq %r10, HVM_GPR_R10(%rdi)
    movq %r11, HVM_GPR_R11(%rdi)
    popq HVM_GPR_RDI(%rdi)
    movq FRAME_HOST_VMCB(%rsp), %rax
    vmload %rax                     /* host FS, GS, TR, LDTR and syscall MSRs */
    cli
    stgi

    /* RBP and R12-R15 stay in the CPU: callee-saved, so the C code keeps
     * them for us. The hot path neither reads nor writes them. */
    call svm_exit_hot               /* (struct svm_vcpu *) in RDI */
    movq FRAME_GPRS(%rsp), %rdi
    testl %eax, %eax
    jz 2b                           /* SVM_EXIT_RESUME */

    /* Anything else first completes gprs: the general path and the run
     * loop read and write all of it. */
    movq %rbp, HVM_GPR_RBP(%rdi)
    movq %r12, HVM_GPR_R12(%rdi)
    movq %r13, HVM_GPR_R13(%rdi)
    movq %r14, HVM_GPR_R14(%rdi)
    movq %r15, HVM_GPR_R15(%rdi)
    cmpl $SVM_EXIT_TO_RUN_LOOP, %eax
    je 3f
    call svm_exit_general           /* SVM_EXIT_GENERAL: true = resume */
    movq FRAME_GPRS(%rsp), %rdi
    testb %al, %al
    jnz 1b
3:
    /* Back to the run loop. Leave no guest values in the registers the
     * caller may not overwrite (the callee-saved ones still hold the guest's
     * and are replaced by the pops). */
    addq $FRAME_BYTES, %rsp
    xorl %eax, %eax
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
    .size svm_enter, . - svm_enter

    .section .note.GNU-stack, "", @progbits
