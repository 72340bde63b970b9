/* CPU bring-up and the check that each CPU is really usable.
 *
 * CPUs are started one at a time (the arch start-up path shares one low-memory
 * trampoline). A CPU counts as online only once it has shown that the two
 * things every later layer needs work on it: its one-shot timer fires, and an
 * IPI from the boot CPU reaches it. A CPU that fails is reported and left out,
 * so the boot summary never claims a CPU the schedulers could not use. */
#include "core/cpus.h"

#include <stdbool.h>
#include <xencore/config.h>

#include "arch/arch.h"
#include "core/timer.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "mm/mm.h"
#include "sched/sched.h"

#define CPU_STACK_ORDER 2                  /* 16 KiB, XENCORE_STACK_BYTES */
#define SELFTEST_TIMER_DELAY_NS 1000000ULL /* 1 ms */
#define SELFTEST_TIMEOUT_NS 2000000000ULL  /* 2 s of hypervisor time */

_Static_assert((ARCH_PAGE_SIZE << CPU_STACK_ORDER) == XENCORE_STACK_BYTES,
               "CPU_STACK_ORDER must match XENCORE_STACK_BYTES");

struct cpu_state {
    uint32_t arch_id;
    bool started;        /* reached core_cpu_online() */
    bool virt_ready;     /* can run guests */
    bool timer_fired;    /* its self-test timer interrupt arrived */
    uint32_t ipis_seen;  /* IPIs received */
};

static struct cpu_state cpu_state[XENCORE_MAX_CPUS];
static unsigned int found_count;
static unsigned int online_count;

unsigned int cpus_found(void)
{
    return found_count;
}

unsigned int cpus_online(void)
{
    return online_count;
}

/* Both interrupts run the CPU's expired timers: the timer interrupt because
 * one is due, the IPI because another CPU may have armed an earlier one here
 * (timer.c), which this re-programs the hardware for. */
void core_timer_interrupt(void)
{
    unsigned int cpu = arch_this_cpu();
    __atomic_store_n(&cpu_state[cpu].timer_fired, true, __ATOMIC_RELEASE);
    timers_run(cpu);
}

void core_ipi_interrupt(void)
{
    unsigned int cpu = arch_this_cpu();
    __atomic_fetch_add(&cpu_state[cpu].ipis_seen, 1, __ATOMIC_RELEASE);
    timers_run(cpu);
}

static void arm_selftest_timer(void)
{
    arch_timer_arm(arch_now_ns() + SELFTEST_TIMER_DELAY_NS);
}

_Noreturn void core_cpu_online(unsigned int cpu)
{
    cpu_state[cpu].virt_ready = arch_virt_name() && arch_virt_cpu_init() == 0;
    __atomic_store_n(&cpu_state[cpu].started, true, __ATOMIC_RELEASE);
    arm_selftest_timer();
    schedule_loop(); /* runs guests once the boot CPU hands this CPU to the scheduler */
}

/* A CPU that passed its checks joins the scheduler if it can run guests. */
static void cpu_admit(unsigned int cpu)
{
    online_count++;
    if (cpu_state[cpu].virt_ready)
        sched_cpu_add(cpu);
}

static bool wait_for(bool (*done)(unsigned int cpu), unsigned int cpu)
{
    uint64_t deadline = arch_now_ns() + SELFTEST_TIMEOUT_NS;
    while (!done(cpu)) {
        if (arch_now_ns() > deadline)
            return false;
        arch_cpu_relax();
    }
    return true;
}

static bool timer_done(unsigned int cpu)
{
    return __atomic_load_n(&cpu_state[cpu].timer_fired, __ATOMIC_ACQUIRE);
}

static bool ipi_done(unsigned int cpu)
{
    return __atomic_load_n(&cpu_state[cpu].ipis_seen, __ATOMIC_ACQUIRE) > 0;
}

static bool check_cpu(unsigned int cpu)
{
    if (!wait_for(timer_done, cpu)) {
        printk("xencore: cpu %u (apic id %u): its timer never fired; leaving it out\n", cpu,
               cpu_state[cpu].arch_id);
        return false;
    }
    if (cpu != 0) {
        arch_send_ipi(cpu);
        if (!wait_for(ipi_done, cpu)) {
            printk("xencore: cpu %u (apic id %u): no IPI reached it; leaving it out\n", cpu,
                   cpu_state[cpu].arch_id);
            return false;
        }
    }
    return true;
}

void cpus_bring_up(unsigned int maxcpus)
{
    static uint32_t ids[XENCORE_MAX_CPUS];
    unsigned int limit = maxcpus ? maxcpus : XENCORE_MAX_CPUS;

    unsigned int startable = arch_cpus_enumerate(ids, XENCORE_MAX_CPUS, &found_count);
    unsigned int usable = startable < limit ? startable : limit;
    if (found_count > XENCORE_MAX_CPUS)
        printk("xencore: %u CPUs found, this build manages %u (XENCORE_MAX_CPUS)\n", found_count,
               XENCORE_MAX_CPUS);
    if (usable < startable)
        printk("xencore: starting %u of %u CPUs (maxcpus=%u)\n", usable, startable, limit);

    /* The boot CPU checks itself with interrupts on, then starts the others. */
    cpu_state[0].arch_id = ids[0];
    cpu_state[0].started = true;
    cpu_state[0].virt_ready = arch_virt_init() == 0;
    arch_irq_enable();
    arm_selftest_timer();
    if (check_cpu(0))
        cpu_admit(0);

    for (unsigned int cpu = 1; cpu < usable; cpu++) {
        cpu_state[cpu].arch_id = ids[cpu];
        uint64_t stack = mm_alloc_boot_pages(CPU_STACK_ORDER);
        void *stack_top = (char *)arch_phys_to_virt(stack) + XENCORE_STACK_BYTES;
        int rc = arch_cpu_start(cpu, ids[cpu], stack_top);
        if (rc) {
            printk("xencore: cpu %u (apic id %u) did not start (%d); leaving it out\n", cpu,
                   ids[cpu], rc);
            continue;
        }
        if (check_cpu(cpu))
            cpu_admit(cpu);
    }
}
