/* The test guests' PVH entry, exception entry and ring-3 round trip.
 *
 * The hypervisor enters pvh_start32 in 32-bit protected mode with paging off
 * and EBX = the guest-physical address of struct hvm_start_info (the ELF
 * note that names this address is in runtime.c). Here we build identity page
 * tables for the first 4 GiB with 2 MiB pages (U=1 everywhere, so ring-3
 * tests may run any code; the first GiB is what the guests use, the rest
 * lets the outside-RAM test reach beyond RAM through a valid mapping), turn
 * on PAE, EFER.LME (and NXE when the CPU has NX), paging, load a 64-bit GDT
 * and jump to 64-bit code, which calls runtime_start() in runtime.c.
 *
 * The guest is linked and loaded at 1 MiB and runs identity-mapped, so every
 * address is both virtual and physical and fits in 32 bits. */

#define CR0_PE 0x00000001
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define EFER_NXE 0x00000800
#define CPUID_EXT_LEAF 0x80000001
#define CPUID_EXT_EDX_NX (1 << 20)

#define PTE_PRESENT 0x001
#define PTE_WRITE 0x002
#define PTE_USER 0x004
#define PTE_LARGE 0x080 /* 2 MiB page in a page directory */
#define PAGE_SIZE 4096
#define IDENTITY_GIB 4  /* page directories, one per GiB */
#define PD_ENTRIES 512

/* GDT selectors (runtime.c builds the TSS descriptor at GDT_TSS). */
#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_USER_DS 0x18
#define GDT_USER_CS 0x20
#define RPL_USER 3

/* Vectors that push an error code: 8 10 11 12 13 14 17 21 29 30. */
#define ERROR_CODE_VECTORS 0x60227d00

        .section .text.entry32, "ax"
        .code32
        .globl pvh_start32
pvh_start32:
        cli
        cld
        movl    %ebx, pvh_start_info
        movl    $boot_stack_top, %esp

        /* Page tables: PML4[0] -> PDPT, PDPT[0..3] -> 4 page directories,
         * each mapping 1 GiB with 2 MiB pages. Everything else zero. */
        movl    $page_tables, %edi
        xorl    %eax, %eax
        movl    $((2 + IDENTITY_GIB) * PAGE_SIZE / 4), %ecx
        rep stosl

        movl    $pdpt, %eax
        orl     $(PTE_PRESENT | PTE_WRITE | PTE_USER), %eax
        movl    %eax, pml4

        xorl    %ecx, %ecx
1:      movl    %ecx, %eax
        shll    $12, %eax
        addl    $page_directories, %eax
        orl     $(PTE_PRESENT | PTE_WRITE | PTE_USER), %eax
        movl    %eax, pdpt(, %ecx, 8)
        incl    %ecx
        cmpl    $IDENTITY_GIB, %ecx
        jb      1b

        xorl    %ecx, %ecx
2:      movl    %ecx, %eax
        shll    $21, %eax
        orl     $(PTE_PRESENT | PTE_WRITE | PTE_USER | PTE_LARGE), %eax
        movl    %eax, page_directories(, %ecx, 8)
        incl    %ecx
        cmpl    $(IDENTITY_GIB * PD_ENTRIES), %ecx
        jb      2b

        /* NXE if the CPU offers NX (the guests exercise the EFER write). */
        xorl    %esi, %esi
        movl    $0x80000000, %eax
        cpuid
        cmpl    $CPUID_EXT_LEAF, %eax
        jb      3f
        movl    $CPUID_EXT_LEAF, %eax
        cpuid
        testl   $CPUID_EXT_EDX_NX, %edx
        jz      3f
        movl    $EFER_NXE, %esi
3:
        movl    $pml4, %eax
        movl    %eax, %cr3
        movl    %cr4, %eax
        orl     $CR4_PAE, %eax
        movl    %eax, %cr4
        movl    $MSR_EFER, %ecx
        rdmsr
        orl     $EFER_LME, %eax
        orl     %esi, %eax
        wrmsr
        movl    %cr0, %eax
        orl     $(CR0_PG | CR0_WP | CR0_PE), %eax
        movl    %eax, %cr0

        lgdt    gdt_descriptor
        ljmp    $GDT_KERNEL_CS, $start64

        .code64
        .text
start64:
        movl    $GDT_KERNEL_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        movq    $boot_stack_top, %rsp
        xorl    %ebp, %ebp
        movl    pvh_start_info(%rip), %edi
        call    runtime_start
4:      cli
        hlt
        jmp     4b

/* ---- Exceptions ---------------------------------------------------------------
 * Each stub pushes a zero where the CPU pushes no error code, then the
 * vector, so exception_common always sees the same frame (struct
 * exception_frame in runtime.c). */
        .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .p2align 4
exception_stub_\vec:
        .if ((ERROR_CODE_VECTORS >> \vec) & 1) == 0
        pushq   $0
        .endif
        pushq   $\vec
        jmp     exception_common
        .endr

exception_common:
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rbp
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        cld
        movq    %rsp, %rdi
        call    runtime_exception
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rbp
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rbx
        popq    %rax
        addq    $16, %rsp       /* vector and error code */
        iretq

        .section .rodata
        .p2align 3
        .globl exception_stub_table
exception_stub_table:
        .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   exception_stub_\vec
        .endr

/* ---- Ring 3 round trip -----------------------------------------------------------
 * run_in_user_mode(fn) saves the callee-saved registers and RSP, then irets
 * to fn at CPL 3 on user_stack. fn ends with user_mode_exit(), an int $0x80
 * through a DPL-3 gate; that lands on the TSS's RSP0 stack in
 * user_return_entry, which takes the saved RSP back and returns to
 * run_in_user_mode's caller. Interrupts stay off throughout. */
        .text
        .globl run_in_user_mode
run_in_user_mode:
        pushq   %rbx
        pushq   %rbp
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, user_saved_rsp(%rip)
        pushq   $(GDT_USER_DS | RPL_USER)
        leaq    user_stack_top - 8(%rip), %rax  /* as if called: RSP+8 16-byte aligned */
        pushq   %rax
        pushq   $0x2                            /* RFLAGS: IF clear */
        pushq   $(GDT_USER_CS | RPL_USER)
        pushq   %rdi
        iretq

        .globl user_return_entry
user_return_entry:
        movl    $GDT_KERNEL_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movq    user_saved_rsp(%rip), %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbp
        popq    %rbx
        ret

        .globl user_mode_exit
user_mode_exit:
        int     $0x80
        ud2

/* ---- Secondary vCPUs -----------------------------------------------------------
 * VCPUOP_initialise (smp.c) starts a vCPU here in 64-bit mode with RDI = its
 * id, RSI = the function to run and RSP = its stack. The hypervisor's flat
 * segments have no selectors of ours: load the GDT, the data segments, and
 * CS through a far return. */
        .text
        .globl ap_start64
ap_start64:
        lgdt    gdt_descriptor(%rip)
        movl    $GDT_KERNEL_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        pushq   $GDT_KERNEL_CS
        leaq    1f(%rip), %rax
        pushq   %rax
        lretq
1:      xorl    %ebp, %ebp
        call    runtime_ap_start
2:      cli
        hlt
        jmp     2b

/* ---- The event-channel upcall ---------------------------------------------------
 * An interrupt gate on UPCALL_VECTOR (events.c): saves the registers a C
 * call may clobber and calls runtime_upcall(). The CPU aligned RSP to 16 and
 * pushed 5 quadwords; 9 more make it 16-byte aligned again at the call. No
 * EOI: Xen's callback vector does not go through the local APIC. */
        .globl upcall_entry
upcall_entry:
        pushq   %rax
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        cld
        call    runtime_upcall
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rax
        iretq

/* ---- External interrupts 32-255 ------------------------------------------------
 * One stub per vector pushes the vector and joins interrupt_common, which
 * saves the registers a C call may clobber and calls runtime_interrupt()
 * (runtime.c), the dispatcher to the handlers guests hook. Whether to EOI
 * is the handler's business: the dispatcher does not know where the vector
 * came from. runtime.c points every vector but the ring-3 return's at these
 * (upcall_setup() then takes UPCALL_VECTOR for upcall_entry) and finds
 * vector v's stub at interrupt_stubs + (v - 32) * INTERRUPT_STUB_BYTES: the
 * .org makes the assembler refuse a stub that outgrows its slot. The CPU
 * aligned RSP to 16 and pushed 5 quadwords; the vector and 9 registers make
 * 15, so one more quadword keeps the call 16-byte aligned. */
#define INTERRUPT_STUB_BYTES 16
        .altmacro
        .macro  INTERRUPT_STUB vector
        .org    interrupt_stubs + (\vector - 32) * INTERRUPT_STUB_BYTES
        pushq   $\vector
        jmp     interrupt_common
        .endm

        .text
        .p2align 4
        .globl interrupt_stubs
interrupt_stubs:
        .set    vec, 32
        .rept   224
        INTERRUPT_STUB %vec
        .set    vec, vec + 1
        .endr
        .noaltmacro

interrupt_common:
        pushq   %rax
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        movq    72(%rsp), %rdi          /* the vector */
        subq    $8, %rsp
        cld
        call    runtime_interrupt
        addq    $8, %rsp
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rax
        addq    $8, %rsp                /* the vector */
        iretq

/* ---- Tables and stacks --------------------------------------------------------- */
        .data
        .p2align 4
        .globl gdt
gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08 kernel code, 64-bit */
        .quad   0x00cf92000000ffff      /* 0x10 kernel data */
        .quad   0x00cff2000000ffff      /* 0x18 user data, DPL 3 */
        .quad   0x00affa000000ffff      /* 0x20 user code, 64-bit, DPL 3 */
        .globl gdt_tss
gdt_tss:
        .quad   0, 0                    /* 0x28 TSS, filled in by runtime.c */
gdt_end:
        .p2align 3
gdt_descriptor:
        .word   gdt_end - gdt - 1
        .quad   gdt

        .bss
        .p2align 12
page_tables:
pml4:   .skip   PAGE_SIZE
pdpt:   .skip   PAGE_SIZE
page_directories:
        .skip   IDENTITY_GIB * PAGE_SIZE
        .p2align 4
boot_stack:
        .skip   16384
boot_stack_top:
user_stack:
        .skip   8192
user_stack_top:
        .globl kernel_stack_top
kernel_stack:                           /* the TSS's RSP0: entries from ring 3 */
        .skip   8192
kernel_stack_top:
        .p2align 3
user_saved_rsp:
        .skip   8
        .globl pvh_start_info
pvh_start_info:
        .skip   4

        .section .note.GNU-stack, "", @progbits
