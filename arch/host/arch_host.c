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

/* ---- Virtualization, faked for tests of the core's policy ---------------- */
/* A flat p2m: gfn -> mfn for the first HOST_P2M_FRAMES frames, plus a record of
 * each arch_p2m_map call so tests can check the page sizes chosen. "Host
 * frames" are pointers (see arch_phys_to_virt), so guest memory is real. */

#include <xencore/abi/guest.h>

#define HOST_P2M_FRAMES (1u << 20)

static uint32_t p2m_orders = 1u | (1u << 9) | (1u << 18);
static int64_t *p2m_table;
static struct host_p2m_call p2m_calls[4096];
static unsigned int p2m_call_count;

void host_set_p2m_orders(uint32_t orders)
{
    p2m_orders = orders;
}

unsigned int host_p2m_calls(const struct host_p2m_call **calls)
{
    *calls = p2m_calls;
    return p2m_call_count;
}

void host_p2m_reset(void)
{
    free(p2m_table);
    p2m_table = NULL;
    p2m_call_count = 0;
}

int arch_virt_init(void)
{
    return 0;
}

int arch_virt_cpu_init(void)
{
    return 0;
}

const char *arch_virt_name(void)
{
    return "host";
}

uint32_t arch_p2m_orders(void)
{
    return p2m_orders;
}

int arch_domain_init(struct domain *d)
{
    (void)d;
    return 0;
}

void arch_domain_teardown(struct domain *d)
{
    (void)d;
}

int arch_p2m_map(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order)
{
    (void)d;
    if (!p2m_table) {
        p2m_table = malloc(HOST_P2M_FRAMES * sizeof(*p2m_table));
        for (unsigned int i = 0; i < HOST_P2M_FRAMES; i++)
            p2m_table[i] = -1;
    }
    if (p2m_call_count < sizeof(p2m_calls) / sizeof(p2m_calls[0]))
        p2m_calls[p2m_call_count++] = (struct host_p2m_call){ gfn, mfn, order };
    for (uint64_t i = 0; i < (1ULL << order) && gfn + i < HOST_P2M_FRAMES; i++)
        p2m_table[gfn + i] = (int64_t)(mfn + i);
    return 0;
}

int64_t arch_p2m_lookup(struct domain *d, uint64_t gfn)
{
    (void)d;
    return p2m_table && gfn < HOST_P2M_FRAMES ? p2m_table[gfn] : -1;
}

int arch_vcpu_init(struct vcpu *v)
{
    (void)v;
    return 0;
}

void arch_vcpu_teardown(struct vcpu *v)
{
    (void)v;
}

static uint32_t pvh_entry, pvh_ebx;

void arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t ebx)
{
    (void)v;
    pvh_entry = entry;
    pvh_ebx = ebx;
}

void host_pvh_entry(uint32_t *entry, uint32_t *ebx)
{
    *entry = pvh_entry;
    *ebx = pvh_ebx;
}

void arch_vcpu_run(struct vcpu *v)
{
    (void)v;
    host_fatal("arch_vcpu_run: host tests run no guests");
}

void arch_cpu_kick(unsigned int cpu)
{
    (void)cpu;
}

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t length)
{
    (void)v;
    (void)dst;
    (void)gva;
    (void)length;
    return -14; /* EFAULT: host tests have no guest address spaces */
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t length)
{
    (void)v;
    (void)gva;
    (void)src;
    (void)length;
    return -14;
}

void arch_fill_vcpu_time(struct vcpu_time_info *time)
{
    time->tsc_timestamp = now_ns;
    time->system_time = now_ns;
    time->tsc_to_system_mul = 1u << 31;
    time->tsc_shift = 1;
    time->flags = 1;
}

/* ---- Issue 4 additions (the simulator extends these) ---------------------- */

int arch_vcpu_set_context(struct vcpu *v, const struct vcpu_hvm_context *ctx)
{
    (void)v;
    (void)ctx;
    return 0;
}

void arch_wallclock_at_boot(uint64_t *sec, uint32_t *nsec)
{
    *sec = 1700000000; /* a fixed instant, so tests can check the arithmetic */
    *nsec = 0;
}

void arch_cpu_topology(unsigned int cpu, uint32_t *socket, uint32_t *llc)
{
    *socket = cpu / 8; /* the host arch models sockets of 8 CPUs */
    *llc = cpu / 4;    /* and L3 caches shared by 4 */
}
