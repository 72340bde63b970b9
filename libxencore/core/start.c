/* xencore_start(): the order in which the hypervisor takes over a machine.
 *
 * Console first, so every later failure can be reported; then descriptor
 * tables, so a fault is a readable report rather than a silent reset; then the
 * boot information is checked before anything relies on it; memory; our own
 * page tables; the platform (firmware tables, APIC, time); the other CPUs.
 * The summary line is printed only when all of that is done, and is the
 * contract tests and people rely on: see doc/boot-summary.md. */
#include <xencore/xencore.h>

#include "arch/arch.h"
#include "core/boot_check.h"
#include "core/cpus.h"
#include "core/manifest.h"
#include "core/options.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/frame_alloc.h"
#include "mm/mm.h"
#include "sched/cpupool.h"
#include "sched/sched.h"

/* Our own copy: the stub's memory is not ours to keep. */
static struct xencore_boot_info boot_info;
static struct core_options options;

static void print_ready_line(void)
{
    char platform[160];
    arch_describe(platform, sizeof(platform));
    printk("xencore: ready cpus=%u/%u %s\n", cpus_online(), cpus_found(), platform);
}

_Noreturn void xencore_start(const struct xencore_boot_info *info, const struct xencore_board *board)
{
    static const struct xencore_board no_board = { 0 };
    if (!board)
        board = &no_board;
    arch_early_init();
    arch_console_init(&board->console);
    printk("\nxencore %s on board '%s'\n", XENCORE_VERSION_STRING,
           board->name ? board->name : "unnamed");
    if (!info)
        panic("xencore_start() was given no boot information");
    memcpy(&boot_info, info, sizeof(boot_info));
    /* The checks below rely on terminated strings; terminate them ourselves. */
    boot_info.loader_name[sizeof(boot_info.loader_name) - 1] = '\0';
    boot_info.loader_error[sizeof(boot_info.loader_error) - 1] = '\0';

    options_defaults(&options);
    options_parse(&options, board->default_cmdline, "board defaults");
    char message[256];
    if (boot_info_check(&boot_info, message, sizeof(message)))
        panic("%s", message);
    options_parse(&options, boot_info.cmdline, "command line");
    panic_set_reboot(!options.noreboot);
    printk("xencore: loader '%s', command line '%s', %u memory ranges, %u modules\n",
           boot_info.loader_name, boot_info.cmdline, boot_info.memmap_entries,
           boot_info.module_count);

    mm_init(&boot_info);
    arch_paging_init(&boot_info);
    mm_enter_own_page_tables(&boot_info);

    /* Before the CPUs come up: they join Pool-0, made with these. */
    if (options.sched && sched_find_by_id(options.sched))
        sched_default = sched_find_by_id(options.sched);
    sched_credit2_runqueue = options.credit2_runqueue;
    sched_ratelimit_us = options.sched_ratelimit_us;

    struct arch_options arch_options = { .allow_x2apic = options.allow_x2apic };
    arch_platform_init(&boot_info, &arch_options);
    cpus_bring_up(options.maxcpus);
    print_ready_line();
    cpupool_print(0); /* which scheduler Pool-0 runs, on which CPUs */

    manifest_create_boot_pools(&boot_info); /* pools' scheduler state is not domain memory */
    if (options.poweroff) /* before the boot domains: it notes the free memory */
        schedule_poweroff_when_idle();
    manifest_start_boot_domains(&boot_info);
    schedule_loop();
}
