/* The arch contract in Linux user space, for unit tests.
 *
 * Console output is kept in a buffer tests can inspect (and echoed to stderr
 * when XENCORE_HOST_ECHO is set). "Physical" addresses are host pointers.
 * There is one CPU; the things only real hardware can do (start CPUs, power
 * off) end the test with a message, so a test that reaches them by mistake
 * fails loudly. Time is a counter tests advance. */
#include "arch/arch.h"
#include "arch_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char console[1 << 16];
static size_t console_length;
static uint64_t now_ns;
static uint64_t timer_deadline;

void arch_console_init(const struct xencore_board_console *c)
{
    (void)c;
}

void arch_console_write(const char *text, size_t length)
{
    if (getenv("XENCORE_HOST_ECHO"))
        fwrite(text, 1, length, stderr);
    size_t room = sizeof(console) - 1 - console_length;
    size_t n = length < room ? length : room;
    memcpy(console + console_length, text, n);
    console_length += n;
    console[console_length] = '\0';
}

const char *host_console_text(void)
{
    return console;
}

void host_console_clear(void)
{
    console_length = 0;
    console[0] = '\0';
}

void arch_early_init(void)
{
}

unsigned int arch_this_cpu(void)
{
    return 0;
}

void arch_cpu_relax(void)
{
}

unsigned long arch_irq_save(void)
{
    return 0;
}

void arch_irq_restore(unsigned long state)
{
    (void)state;
}

void arch_irq_enable(void)
{
}

void arch_wait_for_interrupt(void)
{
    host_fatal("arch_wait_for_interrupt: nothing can wake a host test");
}

void arch_halt_this_cpu(void)
{
    host_fatal("arch_halt_this_cpu");
}

void *arch_phys_to_virt(uint64_t phys)
{
    return (void *)(uintptr_t)phys;
}

void arch_paging_init(const struct xencore_boot_info *info)
{
    (void)info;
}

void arch_platform_init(const struct xencore_boot_info *info, const struct arch_options *options)
{
    (void)info;
    (void)options;
}

unsigned int arch_cpus_enumerate(uint32_t *arch_ids, unsigned int max, unsigned int *found)
{
    *found = 1;
    if (max)
        arch_ids[0] = 0;
    return max ? 1 : 0;
}

int arch_cpu_start(unsigned int cpu, uint32_t arch_id, void *stack_top)
{
    (void)cpu;
    (void)arch_id;
    (void)stack_top;
    return -1;
}

uint64_t arch_now_ns(void)
{
    return now_ns;
}

void host_advance_time(uint64_t ns)
{
    now_ns += ns;
    if (timer_deadline && now_ns >= timer_deadline) {
        timer_deadline = 0;
        core_timer_interrupt();
    }
}

void arch_timer_arm(uint64_t deadline_ns)
{
    timer_deadline = deadline_ns ? deadline_ns : 1;
}

void arch_send_ipi(unsigned int cpu)
{
    (void)cpu;
}

void arch_stop_other_cpus(void)
{
}

void arch_describe(char *buffer, size_t size)
{
    snprintf(buffer, size, "host");
}

void arch_poweroff(void)
{
    host_fatal("arch_poweroff");
}

void arch_reboot(void)
{
    host_fatal("arch_reboot");
}

void host_fatal(const char *what)
{
    fprintf(stderr, "host arch: %s\nconsole so far:\n%s\n", what, console);
    abort();
}
