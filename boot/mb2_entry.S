/* The reference boot stub's first instructions: the multiboot2 header, then
 * the switch from the loader's 32-bit protected mode to 64-bit mode.
 *
 * The layout libxencore expects when xencore_start() is called: the low
 * 4 GiB identity-mapped, the image at XENCORE_VIRT_OFFSET + its physical
 * address (see xencore.ld). Both come from the static tables below, with
 * 2 MiB pages. The boot CPU keeps this stub's stack for good. */
#include "multiboot2.h"

#define IMAGE_VIRT_OFFSET 0xffffffff80000000
#define COM1 0x3f8
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define PTE_PRESENT_WRITE 0x3
#define PTE_LARGE 0x80
#define CPUID_EXT1_EDX_LM (1 << 29)
#define BOOT_STACK_BYTES 16384

/* ---- Multiboot2 header: must lie in the image's first 32 KiB. */
    .section .boot.header, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    .balign 8
    .word MB2_HEADER_TAG_ENTRY_ADDRESS, 0
    .long 12
    .long xencore_boot_entry
    .balign 8
    .word MB2_HEADER_TAG_MODULE_ALIGN, 0 /* page-aligned modules */
    .long 8
    .balign 8
    .word MB2_HEADER_TAG_END, 0
    .long 8
mb2_header_end:

/* ---- 32-bit entry: EAX = loader magic, EBX = information address. */
    .section .boot.text, "ax"
    .code32
    .globl xencore_boot_entry
xencore_boot_entry:
    cli
    cld
    movl %eax, %edi
    movl %ebx, %esi
    movl $(boot_stack_top - IMAGE_VIRT_OFFSET), %esp

    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $CPUID_EXT1_EDX_LM, %edx
    jz no_long_mode

    /* Four page directories of 2 MiB pages map the low 4 GiB. */
    movl $boot_pd, %ebx
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_PRESENT_WRITE | PTE_LARGE), %eax
    movl %eax, (%ebx, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax /* bits 32+ of the address: i >> 11 */
    movl %eax, 4(%ebx, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 1b
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $(boot_pd + PTE_PRESENT_WRITE), %eax
    movl %eax, boot_pdpt_low(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jb 2b
    movl $(boot_pdpt_low + PTE_PRESENT_WRITE), boot_pml4
    movl $(boot_pdpt_high + PTE_PRESENT_WRITE), boot_pml4 + 511 * 8
    /* 0xffffffff80000000 is PDPT entry 510: the first 2 GiB again. */
    movl $(boot_pd + PTE_PRESENT_WRITE), boot_pdpt_high + 510 * 8
    movl $(boot_pd + 4096 + PTE_PRESENT_WRITE), boot_pdpt_high + 511 * 8

    movl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    lgdt boot_gdtr
    ljmp $0x08, $boot_entry64

no_long_mode:
    movl $no_long_mode_message, %esi
3:  lodsb
    testb %al, %al
    jz 5f
    movw $(COM1 + 5), %dx
4:  inb %dx, %al
    testb $0x20, %al
    jz 4b
    movb -1(%esi), %al
    movw $COM1, %dx
    outb %al, %dx
    jmp 3b
5:  hlt
    jmp 5b

    .code64
boot_entry64:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $boot_stack_top, %rsp
    movl %edi, %edi /* upper halves are undefined after the mode switch */
    movl %esi, %esi
    movabsq $mb2_main, %rax
    call *%rax
6:  hlt
    jmp 6b

    .section .boot.data, "aw"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff /* 0x10: data */
boot_gdtr:
    .word 3 * 8 - 1
    .long boot_gdt
no_long_mode_message:
    .asciz "xencore: this CPU cannot run 64-bit code; halted\r\n"

    .section .boot.page_tables, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_pd:
    .skip 4 * 4096

    .bss
    .balign 16
boot_stack:
    .skip BOOT_STACK_BYTES
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
