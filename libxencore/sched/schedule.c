/* Each CPU's scheduling loop and the calls into the active policy.
 *
 * A CPU with nothing to run sleeps in arch_wait_for_interrupt(); anything
 * that may give it work (a wake-up, an unpause, a new vCPU) sets its
 * reschedule flag and kicks it with an IPI. The flag is read with interrupts
 * off right before sleeping, so a kick is never lost. */
#include "sched/sched.h"

#include <xencore/config.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/printk.h"
#include "mm/frame_alloc.h"

static const struct scheduler_ops *sched = &sched_null_ops;
static bool reschedule[XENCORE_MAX_CPUS];
static bool poweroff_when_idle;
static uint64_t free_frames_at_start;

void sched_cpu_add(unsigned int cpu)
{
    sched->cpu_add(cpu);
}

void sched_vcpu_insert(struct vcpu *v)
{
    sched->vcpu_insert(v);
}

void sched_vcpu_remove(struct vcpu *v)
{
    sched->vcpu_remove(v);
}

void sched_vcpu_wake(struct vcpu *v)
{
    sched->wake(v);
}

void sched_vcpu_yield(struct vcpu *v)
{
    sched->yield(v);
}

void sched_request_reschedule(unsigned int cpu)
{
    __atomic_store_n(&reschedule[cpu], true, __ATOMIC_RELEASE);
    arch_cpu_kick(cpu);
}

bool core_cpu_should_reschedule(void)
{
    return __atomic_load_n(&reschedule[arch_this_cpu()], __ATOMIC_ACQUIRE);
}

void schedule_poweroff_when_idle(void)
{
    free_frames_at_start = frame_alloc_free_frames(&host_frames);
    poweroff_when_idle = true;
}

static void maybe_power_off(void)
{
    if (!poweroff_when_idle || arch_this_cpu() != 0 || domain_count() != 0)
        return;
    printk("xencore: no domains left: %llu KiB free, %llu KiB free before any domain was built\n",
           (unsigned long long)(frame_alloc_free_frames(&host_frames) * (ARCH_PAGE_SIZE / 1024)),
           (unsigned long long)(free_frames_at_start * (ARCH_PAGE_SIZE / 1024)));
    printk("xencore: powering off\n");
    arch_poweroff();
}

_Noreturn void schedule_loop(void)
{
    unsigned int cpu = arch_this_cpu();
    for (;;) {
        domain_reap();
        maybe_power_off();
        unsigned long flags = arch_irq_save();
        __atomic_store_n(&reschedule[cpu], false, __ATOMIC_RELEASE);
        struct vcpu *v = sched->pick(cpu);
        if (!v) {
            if (!__atomic_load_n(&reschedule[cpu], __ATOMIC_ACQUIRE))
                arch_wait_for_interrupt(); /* returns with interrupts on */
            arch_irq_restore(flags);
            continue;
        }
        arch_irq_restore(flags);
        arch_vcpu_run(v);
        __atomic_store_n(&v->is_running, false, __ATOMIC_RELEASE);
    }
}
