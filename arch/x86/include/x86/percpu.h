/* Per-CPU state of the x86 layer, found through the GS base.
 *
 * Each CPU has its own GDT (its TSS descriptor differs), TSS, and the stacks
 * the TSS names for NMI, #DF and #MC: those three must run on a known-good
 * stack whatever the interrupted code did to RSP. */
#ifndef XENCORE_X86_PERCPU_H
#define XENCORE_X86_PERCPU_H

#include <stdint.h>

#define X86_IST_STACK_BYTES 4096
#define X86_IST_NMI 1
#define X86_IST_DOUBLE_FAULT 2
#define X86_IST_MACHINE_CHECK 3
#define X86_IST_COUNT 3

#define X86_GDT_ENTRIES 8
#define X86_SEL_CODE64 0x08
#define X86_SEL_DATA 0x10
#define X86_SEL_TSS 0x20

struct x86_tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct x86_percpu {
    struct x86_percpu *self; /* must stay first: %gs:0 */
    unsigned int cpu;        /* must stay at offset 8: arch_this_cpu() */
    uint32_t apic_id;
    uint64_t gdt[X86_GDT_ENTRIES];
    struct x86_tss tss;
    uint8_t ist_stacks[X86_IST_COUNT][X86_IST_STACK_BYTES] __attribute__((aligned(16)));
};

_Static_assert(__builtin_offsetof(struct x86_percpu, cpu) == 8, "arch_this_cpu() reads %gs:8");

static inline struct x86_percpu *this_percpu(void)
{
    struct x86_percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* Loads GDT, TSS, IDT and GS base for @pc on the calling CPU. */
void x86_cpu_tables_load(struct x86_percpu *pc, unsigned int cpu, uint32_t apic_id);
/* Records @pc as the per-CPU block of @cpu before that CPU starts. */
void x86_percpu_register(unsigned int cpu, struct x86_percpu *pc);
/* Entered by a started CPU from the trampoline, on its own stack. */
_Noreturn void x86_ap_main(unsigned int cpu);
/* The per-CPU block of @cpu, or NULL if that CPU was never set up. */
struct x86_percpu *x86_percpu_of(unsigned int cpu);
/* Sets the control-register and EFER bits every CPU runs with. */
void x86_cpu_features_enable(void);

#endif /* XENCORE_X86_PERCPU_H */
