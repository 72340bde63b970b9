/* The arch contract in Linux user space, for unit tests and the scheduler
 * simulator (tests/sim).
 *
 * Console output is kept in a buffer tests can inspect (and echoed to stderr
 * when XENCORE_HOST_ECHO is set). "Physical" addresses are host pointers.
 * The things only real hardware can do (start CPUs, power off) end the test
 * with a message, so a test that reaches them by mistake fails loudly.
 *
 * CPUs are virtual and there is one thread: the test or the simulator says
 * which CPU is "this" one (host_set_this_cpu) and calls into the core as that
 * CPU. Time is a nanosecond counter the test moves. Each CPU has its own
 * one-shot timer deadline; interrupts are never delivered behind the caller's
 * back: host_advance_time() fires the timers that fall due, or a simulator
 * asks for the earliest deadline and fires it itself (host_fire_timer).
 * IPIs and kicks are only recorded, per CPU, and handed out in the order they
 * were sent (host_deliver_ipi / host_next_kick): a core call made as one CPU
 * never re-enters the core as another, so no lock is ever taken twice. */
#include "arch/arch.h"
#include "arch_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xencore/config.h>

static char console[1 << 16];
static size_t console_length;
static uint64_t now_ns;

static unsigned int cpu_count = 1;
static unsigned int this_cpu;

/* Armed deadlines, 0 meaning unarmed; the earliest one is cached (valid
 * unless earliest_stale) so a simulator with hundreds of CPUs does not scan
 * them all at every event. */
static uint64_t timer_deadline[XENCORE_MAX_CPUS];
static uint64_t earliest_deadline;
static unsigned int earliest_cpu;
static bool earliest_stale;

/* A FIFO of the CPUs with an undelivered IPI / kick, each CPU once. */
struct cpu_fifo {
    unsigned int cpus[XENCORE_MAX_CPUS];
    bool queued[XENCORE_MAX_CPUS];
    unsigned int head, count;
};
static struct cpu_fifo pending_ipis, pending_kicks;
static uint64_t ipis_sent[XENCORE_MAX_CPUS];
static uint64_t kicks_sent[XENCORE_MAX_CPUS];

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
    return this_cpu;
}

void host_set_cpu_count(unsigned int count)
{
    if (count < 1 || count > XENCORE_MAX_CPUS)
        host_fatal("host_set_cpu_count: out of range");
    cpu_count = count;
}

unsigned int host_cpu_count(void)
{
    return cpu_count;
}

void host_set_this_cpu(unsigned int cpu)
{
    if (cpu >= cpu_count)
        host_fatal("host_set_this_cpu: no such CPU");
    this_cpu = cpu;
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
    *found = cpu_count;
    unsigned int n = cpu_count < max ? cpu_count : max;
    for (unsigned int i = 0; i < n; i++)
        arch_ids[i] = i;
    return n;
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

void host_set_time(uint64_t ns)
{
    if (ns < now_ns)
        host_fatal("host_set_time: time never goes back");
    now_ns = ns;
}

static void find_earliest(void)
{
    earliest_deadline = 0;
    for (unsigned int cpu = 0; cpu < cpu_count; cpu++) {
        uint64_t d = timer_deadline[cpu];
        if (d && (!earliest_deadline || d < earliest_deadline)) {
            earliest_deadline = d;
            earliest_cpu = cpu;
        }
    }
    earliest_stale = false;
}

uint64_t host_next_deadline(unsigned int *cpu)
{
    if (earliest_stale)
        find_earliest();
    if (!earliest_deadline)
        return HOST_NO_DEADLINE;
    if (cpu)
        *cpu = earliest_cpu;
    return earliest_deadline;
}

uint64_t host_timer_deadline(unsigned int cpu)
{
    return cpu < cpu_count && timer_deadline[cpu] ? timer_deadline[cpu] : HOST_NO_DEADLINE;
}

static void set_deadline(unsigned int cpu, uint64_t deadline)
{
    timer_deadline[cpu] = deadline;
    if (earliest_stale)
        return;
    if (deadline && (!earliest_deadline || deadline < earliest_deadline)) {
        earliest_deadline = deadline;
        earliest_cpu = cpu;
    } else if (cpu == earliest_cpu && earliest_deadline) {
        earliest_stale = true; /* the earliest moved later or went away */
    }
}

void host_fire_timer(unsigned int cpu)
{
    if (cpu >= cpu_count)
        host_fatal("host_fire_timer: no such CPU");
    unsigned int caller = this_cpu;
    set_deadline(cpu, 0);
    this_cpu = cpu;
    core_timer_interrupt();
    this_cpu = caller;
}

void host_advance_time(uint64_t ns)
{
    now_ns += ns;
    unsigned int cpu = 0;
    while (host_next_deadline(&cpu) <= now_ns)
        host_fire_timer(cpu);
}

void arch_timer_arm(uint64_t deadline_ns)
{
    set_deadline(this_cpu, deadline_ns ? deadline_ns : 1);
}

static void fifo_push(struct cpu_fifo *f, unsigned int cpu)
{
    if (f->queued[cpu])
        return;
    f->queued[cpu] = true;
    f->cpus[(f->head + f->count) % XENCORE_MAX_CPUS] = cpu;
    f->count++;
}

static int fifo_pop(struct cpu_fifo *f)
{
    if (!f->count)
        return -1;
    unsigned int cpu = f->cpus[f->head];
    f->head = (f->head + 1) % XENCORE_MAX_CPUS;
    f->count--;
    f->queued[cpu] = false;
    return (int)cpu;
}

void arch_send_ipi(unsigned int cpu)
{
    if (cpu >= cpu_count)
        host_fatal("arch_send_ipi: no such CPU");
    ipis_sent[cpu]++;
    fifo_push(&pending_ipis, cpu);
}

bool host_deliver_ipi(void)
{
    int cpu = fifo_pop(&pending_ipis);
    if (cpu < 0)
        return false;
    unsigned int caller = this_cpu;
    this_cpu = (unsigned int)cpu;
    core_ipi_interrupt();
    this_cpu = caller;
    return true;
}

void arch_cpu_kick(unsigned int cpu)
{
    if (cpu >= cpu_count)
        host_fatal("arch_cpu_kick: no such CPU");
    kicks_sent[cpu]++;
    fifo_push(&pending_kicks, cpu);
}

int host_next_kick(void)
{
    return fifo_pop(&pending_kicks);
}

bool host_kick_pending(unsigned int cpu)
{
    return cpu < XENCORE_MAX_CPUS && pending_kicks.queued[cpu];
}

uint64_t host_ipis_sent(unsigned int cpu)
{
    return cpu < XENCORE_MAX_CPUS ? ipis_sent[cpu] : 0;
}

uint64_t host_kicks_sent(unsigned int cpu)
{
    return cpu < XENCORE_MAX_CPUS ? kicks_sent[cpu] : 0;
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

/* The host arch has no interrupt controller of its own: only events wake. */
bool arch_vcpu_interrupt_pending(struct vcpu *v)
{
    (void)v;
    return false;
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
