/* Hypercalls and instructions that are expected to fault.
 *
 * Hypercall convention (64-bit): RAX = number, arguments in RDI, RSI, RDX,
 * R10, R8; the result comes back in RAX. The C prototypes take
 * (nr, a1, ..., a5) in the SysV registers, so each entry moves them over.
 *
 * The safe_* functions arm fault_fixup_rip with their recovery label before
 * the instruction. If it faults, runtime_exception() resumes at the label
 * with RAX = the vector and disarms; otherwise the function disarms itself
 * and returns -1 (NO_FAULT). */

        .text

/* long hypercall_page_call(nr, a1, a2, a3, a4, a5): call slot nr of the page. */
        .globl hypercall_page_call
hypercall_page_call:
        movq    %rdi, %rax
        shlq    $5, %rax                /* 32 bytes per slot */
        leaq    hypercall_page(%rip), %r11
        addq    %rax, %r11
        movq    %rsi, %rdi
        movq    %rdx, %rsi
        movq    %rcx, %rdx
        movq    %r8, %r10
        movq    %r9, %r8
        call    *%r11
        ret

        .macro  DIRECT_HYPERCALL name, insn
        .globl  \name
\name:
        movq    %rdi, %rax
        movq    %rsi, %rdi
        movq    %rdx, %rsi
        movq    %rcx, %rdx
        movq    %r8, %r10
        movq    %r9, %r8
        \insn
        ret
        .endm

        DIRECT_HYPERCALL hypercall_vmcall, vmcall
        DIRECT_HYPERCALL hypercall_vmmcall, vmmcall

/* int safe_rdmsr(uint32_t msr, uint64_t *value) */
        .globl safe_rdmsr
safe_rdmsr:
        leaq    1f(%rip), %rax
        movq    %rax, fault_fixup_rip(%rip)
        movl    %edi, %ecx
        rdmsr
        movq    $0, fault_fixup_rip(%rip)
        shlq    $32, %rdx
        movl    %eax, %eax
        orq     %rdx, %rax
        movq    %rax, (%rsi)
        movl    $-1, %eax
1:      ret

/* int safe_wrmsr(uint32_t msr, uint64_t value) */
        .globl safe_wrmsr
safe_wrmsr:
        leaq    1f(%rip), %rax
        movq    %rax, fault_fixup_rip(%rip)
        movl    %edi, %ecx
        movl    %esi, %eax
        movq    %rsi, %rdx
        shrq    $32, %rdx
        wrmsr
        movq    $0, fault_fixup_rip(%rip)
        movl    $-1, %eax
1:      ret

/* int safe_xsetbv(uint32_t xcr, uint64_t value) */
        .globl safe_xsetbv
safe_xsetbv:
        leaq    1f(%rip), %rax
        movq    %rax, fault_fixup_rip(%rip)
        movl    %edi, %ecx
        movl    %esi, %eax
        movq    %rsi, %rdx
        shrq    $32, %rdx
        xsetbv
        movq    $0, fault_fixup_rip(%rip)
        movl    $-1, %eax
1:      ret

/* int safe_read64(const volatile void *address, uint64_t *value) */
        .globl safe_read64
safe_read64:
        leaq    1f(%rip), %rax
        movq    %rax, fault_fixup_rip(%rip)
        movq    (%rdi), %rax
        movq    $0, fault_fixup_rip(%rip)
        movq    %rax, (%rsi)
        movl    $-1, %eax
1:      ret

/* int safe_hypercall_insn(bool amd, nr, a1, a2, long *result) */
        .globl safe_hypercall_insn
safe_hypercall_insn:
        pushq   %r8
        leaq    2f(%rip), %rax
        movq    %rax, fault_fixup_rip(%rip)
        movzbl  %dil, %r9d              /* bool: only the low byte is defined */
        movq    %rsi, %rax
        movq    %rdx, %rdi
        movq    %rcx, %rsi
        testl   %r9d, %r9d
        jnz     1f
        vmcall
        jmp     3f
1:      vmmcall
3:      movq    $0, fault_fixup_rip(%rip)
        popq    %r8
        movq    %rax, (%r8)
        movl    $-1, %eax
        ret
2:      popq    %r8
        ret

        .section .note.GNU-stack, "", @progbits
