/* What happens when the CPU delivers a vector to the hypervisor.
 *
 * An exception in hypervisor code is a bug: the report names the CPU, the
 * exception, the error code and every register, then that CPU halts (the
 * others go on, so the report can be read and a watchdog can act). NMIs are
 * how a panicking CPU stops the others. The timer and IPI vectors go to the
 * core. */
#include "x86/traps.h"

#include "arch/arch.h"
#include "lib/printk.h"
#include "x86/apic.h"
#include "x86/insn.h"
#include "x86/regs.h"

static const char *const exception_names[X86_EXCEPTION_COUNT] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
    "coprocessor overrun", "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
    "#GP general protection", "#PF page fault", "reserved 15", "#MF x87 error",
    "#AC alignment check", "#MC machine check", "#XM SIMD error", "#VE virtualization",
    "#CP control protection", "reserved 22", "reserved 23", "reserved 24", "reserved 25",
    "reserved 26", "reserved 27", "#HV injection", "#VC VMM communication", "#SX security",
    "reserved 31",
};

static volatile bool stopping;

static void report(const struct x86_trap_frame *f)
{
    unsigned int cpu = arch_this_cpu();
    printk_unlocked("\nxencore: cpu %u: exception %s (vector %llu) error 0x%llx\n", cpu,
                    exception_names[f->vector], (unsigned long long)f->vector,
                    (unsigned long long)f->error_code);
    printk_unlocked("  rip %016llx  cs %04llx  rflags %016llx\n", (unsigned long long)f->rip,
                    (unsigned long long)f->cs, (unsigned long long)f->rflags);
    printk_unlocked("  rsp %016llx  ss %04llx  cr2 %016llx  cr3 %016llx\n",
                    (unsigned long long)f->rsp, (unsigned long long)f->ss,
                    (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
    printk_unlocked("  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n",
                    (unsigned long long)f->rax, (unsigned long long)f->rbx,
                    (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    printk_unlocked("  rsi %016llx  rdi %016llx  rbp %016llx  r8  %016llx\n",
                    (unsigned long long)f->rsi, (unsigned long long)f->rdi,
                    (unsigned long long)f->rbp, (unsigned long long)f->r8);
    printk_unlocked("  r9  %016llx  r10 %016llx  r11 %016llx  r12 %016llx\n",
                    (unsigned long long)f->r9, (unsigned long long)f->r10,
                    (unsigned long long)f->r11, (unsigned long long)f->r12);
    printk_unlocked("  r13 %016llx  r14 %016llx  r15 %016llx\n", (unsigned long long)f->r13,
                    (unsigned long long)f->r14, (unsigned long long)f->r15);
    printk_unlocked("xencore: cpu %u halted\n", cpu);
}

void x86_trap_dispatch(struct x86_trap_frame *frame)
{
    uint64_t vector = frame->vector;

    if (vector == X86_VECTOR_NMI && stopping)
        arch_halt_this_cpu();
    if (vector < X86_EXCEPTION_COUNT) {
        report(frame);
        arch_halt_this_cpu();
    }
    switch (vector) {
    case X86_VECTOR_TIMER:
        apic_eoi();
        core_timer_interrupt();
        break;
    case X86_VECTOR_IPI:
        apic_eoi();
        core_ipi_interrupt();
        break;
    case X86_VECTOR_SPURIOUS: /* no EOI for the spurious vector */
        break;
    default:
        printk("xencore: cpu %u: unexpected interrupt vector 0x%llx\n", arch_this_cpu(),
               (unsigned long long)vector);
        apic_eoi();
        break;
    }
}

void arch_stop_other_cpus(void)
{
    stopping = true;
    apic_send_nmi_all_but_self();
}

void arch_halt_this_cpu(void)
{
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

void arch_cpu_relax(void)
{
    pause();
}

unsigned long arch_irq_save(void)
{
    unsigned long flags = read_flags();
    cli();
    return flags;
}

void arch_irq_restore(unsigned long state)
{
    if (state & X86_RFLAGS_IF)
        sti();
}

void arch_irq_enable(void)
{
    sti();
}

void arch_wait_for_interrupt(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}
