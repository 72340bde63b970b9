/* Descriptor tables: one IDT shared by all CPUs; a GDT, a TSS and IST stacks
 * for each. The boot CPU's come from static storage, so exceptions are
 * reported before the frame allocator exists. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "lib/string.h"
#include "x86/insn.h"
#include "x86/percpu.h"
#include "x86/regs.h"
#include "x86/traps.h"

#define GDT_CODE64 0x00af9a000000ffffULL /* present, DPL0, execute/read, L=1 */
#define GDT_DATA 0x00cf92000000ffffULL   /* present, DPL0, read/write, 4 GiB */
#define GDT_TSS_TYPE_AVAILABLE 0x89ULL   /* present, 64-bit TSS (available) */

#define IDT_GATE_INTERRUPT 0x8e /* present, DPL0, 64-bit interrupt gate */
#define IDT_STUB_BYTES 16       /* each stub in trap_entry.S is padded to this */

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct descriptor_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern char x86_trap_stubs[];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct x86_percpu bsp_percpu __attribute__((aligned(64)));
static struct x86_percpu *percpu_table[XENCORE_MAX_CPUS];

static void idt_build(void)
{
    for (unsigned int v = 0; v < 256; v++) {
        uint64_t target = (uint64_t)(uintptr_t)(x86_trap_stubs + v * IDT_STUB_BYTES);
        uint8_t ist = v == X86_VECTOR_NMI             ? X86_IST_NMI
                      : v == X86_VECTOR_DOUBLE_FAULT  ? X86_IST_DOUBLE_FAULT
                      : v == X86_VECTOR_MACHINE_CHECK ? X86_IST_MACHINE_CHECK
                                                      : 0;
        idt[v] = (struct idt_gate){
            .offset_low = (uint16_t)target,
            .selector = X86_SEL_CODE64,
            .ist = ist,
            .type = IDT_GATE_INTERRUPT,
            .offset_mid = (uint16_t)(target >> 16),
            .offset_high = (uint32_t)(target >> 32),
        };
    }
}

void x86_cpu_tables_load(struct x86_percpu *pc, unsigned int cpu, uint32_t apic_id)
{
    pc->self = pc;
    pc->cpu = cpu;
    pc->apic_id = apic_id;
    for (unsigned int i = 0; i < X86_IST_COUNT; i++)
        pc->tss.ist[i] = (uint64_t)(uintptr_t)(pc->ist_stacks[i] + X86_IST_STACK_BYTES);
    pc->tss.iomap_base = sizeof(pc->tss); /* no I/O bitmap */

    uint64_t base = (uint64_t)(uintptr_t)&pc->tss;
    uint64_t limit = sizeof(pc->tss) - 1;
    pc->gdt[0] = 0;
    pc->gdt[X86_SEL_CODE64 / 8] = GDT_CODE64;
    pc->gdt[X86_SEL_DATA / 8] = GDT_DATA;
    pc->gdt[X86_SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                               (GDT_TSS_TYPE_AVAILABLE << 40) | (((limit >> 16) & 0xf) << 48) |
                               (((base >> 24) & 0xff) << 56);
    pc->gdt[X86_SEL_TSS / 8 + 1] = base >> 32;

    struct descriptor_pointer gdtr = { sizeof(pc->gdt) - 1, (uint64_t)(uintptr_t)pc->gdt };
    struct descriptor_pointer idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%ss\n\t"
                     "mov %3, %%fs\n\t"
                     "mov %3, %%gs\n\t"
                     "ltr %w4\n\t"
                     "lidt %5"
                     :
                     : "m"(gdtr), "i"(X86_SEL_CODE64), "r"(X86_SEL_DATA), "r"(0),
                       "r"(X86_SEL_TSS), "m"(idtr)
                     : "rax", "memory");
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)pc);
    if (cpu < XENCORE_MAX_CPUS)
        percpu_table[cpu] = pc;
}

void x86_percpu_register(unsigned int cpu, struct x86_percpu *pc)
{
    if (cpu < XENCORE_MAX_CPUS)
        percpu_table[cpu] = pc;
}

struct x86_percpu *x86_percpu_of(unsigned int cpu)
{
    return cpu < XENCORE_MAX_CPUS ? percpu_table[cpu] : NULL;
}

static uint64_t efer_nx;

void x86_cpu_features_enable(void)
{
    write_cr0(read_cr0() | X86_CR0_WP | X86_CR0_NE | X86_CR0_MP);
    uint64_t cr4 = read_cr4() | X86_CR4_PGE;
    if (cpuid(1).ecx & CPUID1_ECX_XSAVE)
        cr4 |= X86_CR4_OSXSAVE; /* to save and restore guests' vector state */
    write_cr4(cr4);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | efer_nx);
}

void arch_early_init(void)
{
    if (cpuid(0x80000000).eax >= 0x80000001 && (cpuid(0x80000001).edx & CPUID_EXT1_EDX_NX))
        efer_nx = EFER_NXE;
    idt_build();
    x86_cpu_tables_load(&bsp_percpu, 0, 0);
    x86_cpu_features_enable();
}

bool x86_has_nx(void)
{
    return efer_nx != 0;
}

unsigned int arch_this_cpu(void)
{
    unsigned int cpu;
    __asm__ volatile("movl %%gs:8, %0" : "=r"(cpu));
    return cpu;
}
