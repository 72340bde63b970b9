/* Where a started CPU begins: 16-bit real mode at the page the SIPI names.
 *
 * The code is copied to a low page at boot and must not depend on where that
 * is: it finds its own base from CS and patches the GDT pointer and the two far
 * jumps before using them. It goes real -> protected -> long mode on the small
 * trampoline page tables (identity-mapped first GiB plus the hypervisor's upper
 * half), then jumps to x86_ap_entry64 on the stack the boot CPU chose. The
 * parameter block at the end is filled in by smp.c (struct trampoline_params). */
#include "x86/trampoline.h"

#define CR0_PE 0x00000001
#define CR0_MP 0x00000002
#define CR0_NE 0x00000020
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define CR4_PGE 0x00000080
#define MSR_EFER 0xc0000080

#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18
#define OFF(label) (label - x86_trampoline_start)

    .section .rodata
    .balign 16
    .globl x86_trampoline_start
    .code16
x86_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    movzwl %ax, %ebx
    shll $4, %ebx
    leal OFF(tramp_gdt)(%ebx), %eax
    movl %eax, OFF(tramp_gdtr) + 2
    leal OFF(tramp_32)(%ebx), %eax
    movl %eax, OFF(tramp_far32)
    leal OFF(tramp_64)(%ebx), %eax
    movl %eax, OFF(tramp_far64)
    lgdtl OFF(tramp_gdtr)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl *OFF(tramp_far32)

    .code32
tramp_32:
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $(CR4_PAE | CR4_PGE), %eax
    movl %eax, %cr4
    movl OFF(x86_trampoline_params) + TRAMPOLINE_CR3(%ebx), %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl OFF(x86_trampoline_params) + TRAMPOLINE_EFER(%ebx), %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_WP | CR0_NE | CR0_MP), %eax
    movl %eax, %cr0
    ljmpl *OFF(tramp_far64)(%ebx)

    .code64
tramp_64:
    movq OFF(x86_trampoline_params) + TRAMPOLINE_STACK(%rbx), %rsp
    movq OFF(x86_trampoline_params) + TRAMPOLINE_CPU(%rbx), %rdi
    movq OFF(x86_trampoline_params) + TRAMPOLINE_ROOT(%rbx), %rsi
    movq OFF(x86_trampoline_params) + TRAMPOLINE_ENTRY(%rbx), %rax
    jmp *%rax

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* SEL_CODE32: 32-bit code, 4 GiB */
    .quad 0x00cf92000000ffff /* SEL_DATA: data, 4 GiB */
    .quad 0x00af9a000000ffff /* SEL_CODE64: 64-bit code */
tramp_gdtr:
    .word 4 * 8 - 1
    .long 0
tramp_far32:
    .long 0
    .word SEL_CODE32
tramp_far64:
    .long 0
    .word SEL_CODE64

    .balign 8
    .globl x86_trampoline_params
x86_trampoline_params:
    .fill TRAMPOLINE_PARAMS_BYTES, 1, 0
    .globl x86_trampoline_end
x86_trampoline_end:

/* Runs in the upper half, still on the trampoline tables: switch to the real
 * ones (the identity map disappears, which no longer matters) and enter C. */
    .text
    .code64
    .globl x86_ap_entry64
x86_ap_entry64:
    movq %rsi, %cr3
    xorl %ebp, %ebp
    call x86_ap_main
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
