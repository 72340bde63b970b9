/* VM entry and exit.
 *
 * vmx_enter(gprs, host_rsp, launched) saves the callee-saved registers and
 * the gprs pointer on this stack, makes sure HOST_RSP names the stack as it
 * is now (a VMWRITE only when it moved: a vCPU that stays on one CPU and one
 * call path writes it once), loads every guest GPR and executes VMLAUNCH or
 * VMRESUME.
 *
 * The VM exit lands on vmx_exit_entry (HOST_RIP) with RSP = HOST_RSP, where
 * the gprs pointer is. The guest GPRs are stored, then vmx_exit_handle(vx)
 * (gprs is at offset 0 of struct vmx_vcpu) deals with the exit. If it says
 * the guest may go straight back in, the GPRs are loaded again and VMRESUME
 * runs from this same frame: the common exit costs no unwinding and no
 * return to the run loop. Otherwise vmx_enter returns VMX_ENTER_EXITED to the
 * run loop, which reads what to do in the vCPU.
 *
 * If VMLAUNCH/VMRESUME fails the CPU falls through with the guest GPRs
 * loaded and CF or ZF set: the frame is unwound and the failure kind
 * returned. Interrupts are off throughout (the caller's job); a VM exit
 * leaves RFLAGS = 2, so they stay off until the exit handler decides. The
 * frame keeps RSP 16-byte aligned at HOST_RSP, as the call below needs. */
#include "x86/hvm_gprs.h"
#include "x86/vmx.h"
#include "vmx_internal.h"

    .text

/* Loads every guest GPR from the struct hvm_gprs at %rdi, %rdi last.
 * MOV leaves the flags alone, so a test before it still decides after. */
.macro load_guest_gprs
    movq HVM_GPR_RAX(%rdi), %rax
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
.endm

    .globl vmx_enter
    .type vmx_enter, @function
vmx_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                      /* gprs: at HOST_RSP for the exit path */

    cmpq %rsp, (%rsi)
    je 1f
    movq %rsp, (%rsi)
    movl $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax
1:
    testb %dl, %dl                  /* launched? (the loads below keep the flags) */
    load_guest_gprs
    jnz 2f
    vmlaunch
    jmp 3f
2:
    vmresume
3:
    /* Only reached when the instruction failed. MOV keeps the flags. */
    movl $VMX_ENTER_FAIL_VALID, %eax
    jz 4f
    movl $VMX_ENTER_FAIL_INVALID, %eax
4:
    addq $8, %rsp                   /* the gprs pointer */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size vmx_enter, . - vmx_enter

    .globl vmx_exit_entry
    .type vmx_exit_entry, @function
vmx_exit_entry:
    pushq %rdi                      /* the guest's RDI; 8(%rsp) is gprs */
    movq 8(%rsp), %rdi
    movq %rax, HVM_GPR_RAX(%rdi)
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
    popq HVM_GPR_RDI(%rdi)         /* RSP is HOST_RSP again */

    call vmx_exit_handle            /* (struct vmx_vcpu *) in RDI; true: resume */
    movq (%rsp), %rdi
    testb %al, %al
    jz 5f
    load_guest_gprs
    vmresume
    jmp 3b                          /* failed: report it like a failed entry */
5:
    movl $VMX_ENTER_EXITED, %eax
    jmp 4b                          /* vmx_enter's epilogue: the frame is its */
    .size vmx_exit_entry, . - vmx_exit_entry

    .section .note.GNU-stack, "", @progbits
