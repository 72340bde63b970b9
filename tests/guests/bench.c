/* bench: the cost of the guest-visible operations that exit to the
 * hypervisor, in TSC ticks per operation. On the Bochs rig with ips=1e9 and
 * clock sync=none, a TSC tick is one emulated instruction, so the figures
 * are instructions per operation (guest and hypervisor together).
 *
 * Each operation runs BENCH_WARMUP times, then BENCH_ITERATIONS times
 * between two RDTSCs; the cost of an empty iteration of the same loop is
 * subtracted. Prints "bench: <operation> <n>" for hypercall (xen_version(0)
 * through the hypercall page), cpuid (leaf 0), rdmsr (0x1b) and yield
 * (sched_op yield through the page, nothing else to run); then, with vCPU 1
 * started (the domain has 2 vCPUs on one CPU):
 *   yield2: sched_op yield while vCPU 1 yields too, so each yield switches
 *           vCPUs: the ticks of the whole exchange over the yields both
 *           vCPUs made (vCPU 1 counts its own), i.e. one yield with a switch;
 *   evtchn-rtt: an event-channel round trip between the two vCPUs: vCPU 0
 *           sends on an IPI port bound to vCPU 1 and polls its own port;
 *           vCPU 1, blocked, takes the upcall and sends back from its handler.
 * Before that, the virtual x2APIC (vCPU 0 alone, interrupts on):
 *   lapic-timer: a TSC-deadline timer interrupt delivered and EOI'd: the
 *           ticks from the deadline to the handler's entry, plus its EOI;
 *   lapic-eoi: that EOI alone (WRMSR 0x80B in the handler);
 *   self-ipi: WRMSR to SELF_IPI (0x83F), the interrupt's delivery and the
 *           handler's EOI, back to the next write.
 * tests/bench/run-bench.sh reads them. */
#include "runtime/runtime.h"

const char guest_name[] = "bench";

#define BENCH_ITERATIONS 10000u
#define BENCH_WARMUP 200u
#define MSR_APIC_BASE 0x1b

static void *stub(unsigned int nr)
{
    return hypercall_page + nr * XEN_HYPERCALL_STUB_BYTES;
}

static inline long op_hypercall(void *stub_address, unsigned long a1, unsigned long a2)
{
    long result;
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    __asm__ volatile("call *%[stub]"
                     : "=a"(result), "+r"(rdi), "+r"(rsi)
                     : [stub] "r"(stub_address)
                     : "memory", "cc");
    return result;
}

static inline uint32_t op_cpuid(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return a;
}

static inline uint64_t op_rdmsr(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_APIC_BASE));
    return ((uint64_t)hi << 32) | lo;
}

enum bench_op { OP_EMPTY, OP_HYPERCALL, OP_CPUID, OP_RDMSR, OP_YIELD };

/* The TSC ticks BENCH_ITERATIONS operations take; *last gets one result. */
static uint64_t run(enum bench_op op, unsigned int iterations, long *last)
{
    void *version_stub = stub(HYPERVISOR_xen_version);
    void *sched_stub = stub(HYPERVISOR_sched_op);
    long result = 0;
    uint64_t start = rdtsc();
    switch (op) {
    case OP_EMPTY:
        for (unsigned int i = 0; i < iterations; i++) {
            __asm__ volatile("" : : : "memory");
        }
        break;
    case OP_HYPERCALL:
        for (unsigned int i = 0; i < iterations; i++) {
            result = op_hypercall(version_stub, XENVER_version, 0);
        }
        break;
    case OP_CPUID:
        for (unsigned int i = 0; i < iterations; i++) {
            result = op_cpuid();
        }
        break;
    case OP_RDMSR:
        for (unsigned int i = 0; i < iterations; i++) {
            result = (long)op_rdmsr();
        }
        break;
    case OP_YIELD:
        for (unsigned int i = 0; i < iterations; i++) {
            result = op_hypercall(sched_stub, SCHEDOP_yield, 0);
        }
        break;
    }
    uint64_t ticks = rdtsc() - start;
    *last = result;
    return ticks;
}

static uint64_t per_operation(enum bench_op op, uint64_t empty_ticks, long *last)
{
    run(op, BENCH_WARMUP, last);
    uint64_t ticks = run(op, BENCH_ITERATIONS, last);
    uint64_t net = ticks > empty_ticks ? ticks - empty_ticks : 0;
    return (net + BENCH_ITERATIONS / 2) / BENCH_ITERATIONS;
}

/* ---- The virtual x2APIC ---------------------------------------------------------- */

#define LAPIC_BENCH_ITERATIONS 2000u
#define LAPIC_SELF_IPI_VECTOR 0x40u
#define LAPIC_TIMER_VECTOR 0x41u
#define LAPIC_SPURIOUS_VECTOR 0xffu
/* The deadline's distance from its arming, in TSC ticks: more than the
 * WRMSR that arms it costs, so the timer really fires in the future. */
#define LAPIC_TIMER_AHEAD_TICKS 20000u
#define LAPIC_LOST_NS (100 * NS_PER_MS)

static volatile uint32_t lapic_handled;
static volatile uint64_t lapic_entry_tsc, lapic_eoi_ticks;

static void lapic_self_ipi_handler(unsigned int vector)
{
    (void)vector;
    lapic_eoi();
    lapic_handled++;
}

static void lapic_timer_handler(unsigned int vector)
{
    (void)vector;
    uint64_t entry = rdtsc();
    lapic_eoi();
    lapic_eoi_ticks = rdtsc() - entry;
    lapic_entry_tsc = entry;
    lapic_handled++;
}

/* With interrupts on: until the handler ran @count times in all, or a
 * lost interrupt has been waited for long enough. */
static bool lapic_wait_handled(uint32_t count)
{
    if (lapic_handled >= count) {
        return true;
    }
    uint64_t give_up = system_time_ns() + LAPIC_LOST_NS;
    while (lapic_handled < count && system_time_ns() < give_up) {
        __asm__ volatile("pause");
    }
    return lapic_handled >= count;
}

static uint64_t lapic_self_ipi_loop(unsigned int count, bool *lost)
{
    lapic_handled = 0;
    uint64_t start = rdtsc();
    __asm__ volatile("sti" : : : "memory");
    for (unsigned int i = 0; i < count && !*lost; i++) {
        lapic_self_ipi(LAPIC_SELF_IPI_VECTOR);
        *lost = !lapic_wait_handled(i + 1);
    }
    __asm__ volatile("cli" : : : "memory");
    return rdtsc() - start;
}

static void bench_lapic(uint64_t empty_ticks)
{
    uint64_t svr;
    if (safe_rdmsr(X2APIC_SVR, &svr) != NO_FAULT) {
        check(false, "x2APIC MSRs readable (RDMSR 0x80F)");
        return;
    }
    if (shared_info_map() == NULL) {
        return;
    }
    wrmsr(X2APIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
    interrupt_set_handler(LAPIC_SELF_IPI_VECTOR, lapic_self_ipi_handler);
    interrupt_set_handler(LAPIC_TIMER_VECTOR, lapic_timer_handler);

    /* Self-IPIs: each write's interrupt is handled before the next write. */
    bool lost = false;
    lapic_self_ipi_loop(BENCH_WARMUP, &lost);
    uint64_t ticks = lapic_self_ipi_loop(LAPIC_BENCH_ITERATIONS, &lost);
    if (check(!lost, "every self-IPI was delivered")) {
        uint64_t empty = empty_ticks * LAPIC_BENCH_ITERATIONS / BENCH_ITERATIONS;
        uint64_t net = ticks > empty ? ticks - empty : 0;
        printf("bench: self-ipi %lu\n",
               (unsigned long)((net + LAPIC_BENCH_ITERATIONS / 2) / LAPIC_BENCH_ITERATIONS));
    }

    /* TSC-deadline timer: deadline to handler entry, plus the EOI. */
    if (!check(cpuid(1, 0).ecx & LAPIC_CPUID1_ECX_TSC_DEADLINE, "TSC-deadline timer offered")) {
        return;
    }
    wrmsr(X2APIC_LVT_TIMER, LAPIC_TIMER_VECTOR | LAPIC_LVT_TIMER_TSC_DEADLINE);
    uint64_t latency = 0, eoi = 0;
    unsigned int early = 0;
    lapic_handled = 0;
    __asm__ volatile("sti" : : : "memory");
    for (unsigned int i = 0; i < BENCH_WARMUP + LAPIC_BENCH_ITERATIONS && !lost; i++) {
        uint64_t deadline = rdtsc() + LAPIC_TIMER_AHEAD_TICKS;
        wrmsr(LAPIC_MSR_TSC_DEADLINE, deadline);
        lost = !lapic_wait_handled(i + 1);
        if (i >= BENCH_WARMUP && !lost) {
            if (lapic_entry_tsc < deadline) {
                early++;
            } else {
                latency += lapic_entry_tsc - deadline;
            }
            eoi += lapic_eoi_ticks;
        }
    }
    __asm__ volatile("cli" : : : "memory");
    wrmsr(X2APIC_LVT_TIMER, LAPIC_TIMER_VECTOR | LAPIC_LVT_MASKED);
    if (check(!lost, "every TSC-deadline interrupt was delivered")) {
        check_eq_int("no TSC-deadline interrupt before its deadline", 0, early);
        uint64_t total = latency + eoi + LAPIC_BENCH_ITERATIONS / 2;
        printf("bench: lapic-timer %lu\n", (unsigned long)(total / LAPIC_BENCH_ITERATIONS));
        printf("bench: lapic-eoi %lu\n",
               (unsigned long)((eoi + LAPIC_BENCH_ITERATIONS / 2) / LAPIC_BENCH_ITERATIONS));
    }
}

/* ---- Two vCPUs ------------------------------------------------------------------ */

enum partner_mode { PARTNER_IDLE, PARTNER_YIELD, PARTNER_EVENTS, PARTNER_STOP };
static volatile enum partner_mode partner_mode;
static volatile uint64_t partner_yields;
static uint32_t port_to_vcpu0, port_to_vcpu1;

static void partner_reply(uint32_t port)
{
    (void)port;
    evtchn_send_port(port_to_vcpu0);
}

static void partner(unsigned int id)
{
    (void)id;
    upcall_setup();
    for (;;) {
        switch (partner_mode) {
        case PARTNER_IDLE:
            sched_op(SCHEDOP_yield, NULL);
            break;
        case PARTNER_YIELD:
            partner_yields++;
            sched_op(SCHEDOP_yield, NULL);
            break;
        case PARTNER_EVENTS:
            wait_for_event(); /* the handler answers */
            break;
        case PARTNER_STOP:
            return;
        }
    }
}

static void bench_two_vcpus(void)
{
    if (shared_info_map() == NULL || !check_eq_int("vCPU 1 started", 0, vcpu_start(1, partner))) {
        return;
    }
    void *sched_stub = stub(HYPERVISOR_sched_op);
    partner_mode = PARTNER_YIELD;
    for (unsigned int i = 0; i < BENCH_WARMUP; i++) {
        op_hypercall(sched_stub, SCHEDOP_yield, 0);
    }
    uint64_t partner_before = partner_yields;
    uint64_t start = rdtsc();
    for (unsigned int i = 0; i < BENCH_ITERATIONS; i++) {
        op_hypercall(sched_stub, SCHEDOP_yield, 0);
    }
    uint64_t ticks = rdtsc() - start;
    uint64_t partner_count = partner_yields - partner_before;
    uint64_t yields = BENCH_ITERATIONS + partner_count;
    printf("bench: yield2 %lu\n", (unsigned long)((ticks + yields / 2) / yields));
    printf("bench: vCPU 1 yielded %lu times while vCPU 0 yielded %u times\n",
           (unsigned long)partner_count, BENCH_ITERATIONS);
    check(partner_count >= BENCH_ITERATIONS / 2, "yield with 2 vCPUs switches to the other");

    partner_mode = PARTNER_IDLE;
    if (!check_eq_int("IPI port for vCPU 0", 0, evtchn_bind_ipi_port(0, &port_to_vcpu0)) ||
        !check_eq_int("IPI port for vCPU 1", 0, evtchn_bind_ipi_port(1, &port_to_vcpu1))) {
        return;
    }
    evtchn_mask(port_to_vcpu0); /* vCPU 0 polls it */
    evtchn_set_handler(port_to_vcpu1, partner_reply);
    partner_mode = PARTNER_EVENTS;
    uint64_t round_trips = 0;
    /* A generous bound for the whole loop: a lost event fails, not hangs. */
    uint64_t give_up = system_time_ns() + 60 * NS_PER_S;
    bool lost = false;
    start = 0;
    for (unsigned int i = 0; i < BENCH_WARMUP + BENCH_ITERATIONS && !lost; i++) {
        if (i == BENCH_WARMUP) {
            start = rdtsc();
        }
        evtchn_send_port(port_to_vcpu1);
        while (!evtchn_pending(port_to_vcpu0) && !lost) {
            sched_poll_ports(&port_to_vcpu0, 1, give_up);
            lost = !evtchn_pending(port_to_vcpu0) && system_time_ns() >= give_up;
        }
        evtchn_clear_pending(port_to_vcpu0);
        round_trips += !lost;
    }
    ticks = rdtsc() - start;
    printf("bench: evtchn-rtt %lu\n",
           (unsigned long)((ticks + BENCH_ITERATIONS / 2) / BENCH_ITERATIONS));
    check_eq_int("every event came back", BENCH_WARMUP + BENCH_ITERATIONS, (int64_t)round_trips);
    check(evtchn_event_count(port_to_vcpu1) >= BENCH_ITERATIONS,
          "vCPU 1 took the events in its upcall");
    partner_mode = PARTNER_STOP;
    evtchn_send_port(port_to_vcpu1);
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    long last;
    run(OP_EMPTY, BENCH_WARMUP, &last);
    uint64_t empty = run(OP_EMPTY, BENCH_ITERATIONS, &last);
    printf("bench: empty-loop %lu\n",
           (unsigned long)((empty + BENCH_ITERATIONS / 2) / BENCH_ITERATIONS));

    uint64_t n = per_operation(OP_HYPERCALL, empty, &last);
    printf("bench: hypercall %lu\n", (unsigned long)n);
    check(last > 0, "xen_version(0) through the page returned a version");

    n = per_operation(OP_CPUID, empty, &last);
    printf("bench: cpuid %lu\n", (unsigned long)n);
    check(last > 0, "cpuid leaf 0 returned a highest leaf");

    n = per_operation(OP_RDMSR, empty, &last);
    printf("bench: rdmsr %lu\n", (unsigned long)n);
    check_eq_hex("rdmsr 0x1b", 0xfee00d00u, (uint64_t)last);

    n = per_operation(OP_YIELD, empty, &last);
    printf("bench: yield %lu\n", (unsigned long)n);
    check_eq_int("sched_op yield returned 0", 0, last);

    bench_lapic(empty);
    bench_two_vcpus();
}
