/* panic(): the one way the hypervisor gives up. The first CPU to panic wins;
 * others that panic meanwhile just halt, so the message is never garbled. The
 * default is to reset the machine, as an appliance should come back by itself;
 * `noreboot` on the command line keeps it halted for a person to read. */
#include "lib/panic.h"

#include <stdarg.h>

#include "arch/arch.h"
#include "lib/printk.h"
#include "lib/string.h"

static bool panic_reboot = true;
static int panic_owner = -1;

void panic_set_reboot(bool reboot)
{
    panic_reboot = reboot;
}

void panic(const char *fmt, ...)
{
    char message[256];
    int me = (int)arch_this_cpu();
    int expected = -1;

    arch_irq_save();
    if (!__atomic_compare_exchange_n(&panic_owner, &expected, me, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        arch_halt_this_cpu();

    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);

    arch_stop_other_cpus();
    printk_unlocked("\nxencore: PANIC on cpu %d: %s\n", me, message);
    if (panic_reboot) {
        printk_unlocked("xencore: resetting the machine (boot with 'noreboot' to halt)\n");
        arch_reboot();
    }
    printk_unlocked("xencore: halted\n");
    arch_halt_this_cpu();
}
