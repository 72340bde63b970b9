/* Entry stubs for all 256 vectors. Each stub pushes a zero where the CPU pushes
 * no error code, then its vector, and joins trap_common, which saves the
 * general registers as a struct x86_trap_frame and calls x86_trap_dispatch().
 * Stubs are padded to 16 bytes so the IDT can compute their addresses. */
    .altmacro
    .text

/* Vectors for which the CPU pushes an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX. */
.macro trap_stub n
    .balign 16
    .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
        pushq $0
    .endif
    pushq $\n
    jmp trap_common
.endm

    .balign 16
    .globl x86_trap_stubs
x86_trap_stubs:
    .set vector, 0
    .rept 256
        trap_stub %vector
        .set vector, vector + 1
    .endr

trap_common:
    cld
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    call x86_trap_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

    .section .note.GNU-stack, "", @progbits
