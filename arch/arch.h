/*
 * The arch contract: the one internal header between libxencore/ and arch/.
 *
 * libxencore/ is arch-neutral and is built twice: for the hypervisor against
 * arch/x86, and for the host (unit tests, simulator) against arch/host. Both
 * implement exactly the functions in the first part of this file. The second
 * part lists the few entry points the core offers to arch code: things an
 * interrupt or a newly started CPU must call. Arch code may also use the
 * freestanding library in libxencore/lib/ (printing, strings, locks, panic)
 * and the frame allocator; never domain or scheduler internals.
 *
 * CPU numbers ("cpu") are dense indices 0..XENCORE_MAX_CPUS-1 chosen by the
 * core, 0 being the boot CPU. Hardware ids ("arch_id", the APIC ID on x86) are
 * 32-bit and sparse.
 */
#ifndef XENCORE_ARCH_H
#define XENCORE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/board.h>
#include <xencore/boot_info.h>

#define ARCH_PAGE_SHIFT 12
#define ARCH_PAGE_SIZE (1UL << ARCH_PAGE_SHIFT)

/* ---- Provided by arch/ ---------------------------------------------- */

/* Console: polled output, safe from any context including panic. */
void arch_console_init(const struct xencore_board_console *console);
void arch_console_write(const char *text, size_t length);

/* Options from the command line that the arch layer honours. */
struct arch_options {
    bool allow_x2apic; /* use x2APIC mode when the CPU has it */
};

/* First thing on the boot CPU, after the console: descriptor tables and
 * exception reporting, from static storage (no allocator yet). */
void arch_early_init(void);

/* This CPU. */
unsigned int arch_this_cpu(void);
void arch_cpu_relax(void);
unsigned long arch_irq_save(void);          /* disables interrupts, returns prior state */
void arch_irq_restore(unsigned long state);
void arch_irq_enable(void);
void arch_wait_for_interrupt(void);        /* enable interrupts and sleep until one arrives */
_Noreturn void arch_halt_this_cpu(void);   /* interrupts off, halted for good */

/* Memory. Before arch_paging_init() only the low 4 GiB are reachable. */
void *arch_phys_to_virt(uint64_t phys);
void arch_paging_init(const struct xencore_boot_info *info);

/* Platform: firmware tables, interrupt controller, time. Panics with a
 * message naming the problem when the platform cannot be used. */
void arch_platform_init(const struct xencore_boot_info *info, const struct arch_options *options);

/* The CPUs the hypervisor can start: writes the hardware ids of at most @max to
 * @arch_ids, boot CPU first, and returns how many. *@found receives the number of
 * CPUs the firmware lists as enabled, startable or not. */
unsigned int arch_cpus_enumerate(uint32_t *arch_ids, unsigned int max, unsigned int *found);

/* Start CPU @cpu (hardware id @arch_id) on a stack whose top is @stack_top. Returns
 * 0 once it runs core_cpu_online(), or a negative errno if it never showed up. */
int arch_cpu_start(unsigned int cpu, uint32_t arch_id, void *stack_top);

/* Time: nanoseconds since boot, monotonic, the same on every CPU. */
uint64_t arch_now_ns(void);
/* Arm this CPU's one-shot timer; core_timer_interrupt() runs at or after @deadline_ns. */
void arch_timer_arm(uint64_t deadline_ns);

/* Inter-processor interrupts; the target runs core_ipi_interrupt(). */
void arch_send_ipi(unsigned int cpu);
/* Stop every other CPU (panic path): they halt with interrupts off. */
void arch_stop_other_cpus(void);

/* One line describing what the platform offers, for the boot summary. */
void arch_describe(char *buffer, size_t size);

_Noreturn void arch_poweroff(void);
_Noreturn void arch_reboot(void);

/* ---- Provided by libxencore/ to arch/ ----------------------------------- */

/* Runs on a freshly started CPU once it can take interrupts; never returns. */
_Noreturn void core_cpu_online(unsigned int cpu);
/* This CPU's one-shot timer fired (interrupts off). */
void core_timer_interrupt(void);
/* Another CPU sent this one an IPI (interrupts off). */
void core_ipi_interrupt(void);

#endif /* XENCORE_ARCH_H */
