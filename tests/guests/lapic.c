/* lapic: the virtual x2APIC as a guest sees it, checked against the SDM.
 *
 * Why a guest: the register model has host unit tests, but only a guest
 * sees the whole path (MSR exits or APIC-register virtualization, the
 * injection of what the model says is pending, EOI exits or virtual-interrupt
 * delivery, HLT wake-ups, IPIs crossing CPUs), and that path differs between
 * VMX with and without APIC virtualization and SVM. So every section runs
 * the same on each rig:
 *
 *   identity   APIC base MSR (x2APIC on), ID = vCPU id, version, LDR from
 *              the id, SVR reset value and software enable, on every vCPU;
 *   faults     #GP for reserved registers, reads of write-only and writes of
 *              read-only registers, reserved bits, non-zero EOI/ESR writes,
 *              and a refused write changes nothing;
 *   timer      one-shot (divide 1 and 16), TMCCT counting down, periodic,
 *              TSC-deadline, disarming, masking, HLT woken by the timer;
 *   priority   self-IPIs: the higher class first, TPR holding a class,
 *              a handler without EOI blocking its class and those below,
 *              ISR/IRR/PPR as the SDM says, the error register;
 *   ipi        (vcpus=N >= 2) fixed IPIs by physical id, shorthands,
 *              broadcast, logical cluster/bitmap, lowest priority, NMI,
 *              replies from other vCPUs, a destination that does not exist;
 *   coexist    the event-channel upcall and a LAPIC interrupt pending at
 *              once, many times: both handlers run, none is lost, the upcall
 *              needs no EOI and leaves nothing in service.
 *
 * Time: the APIC timer counts at 1 GHz before the divider (1 count per ns
 * with divide 1); the guest measures with its pvclock, the hypervisor's
 * system time. An interrupt must never come before its deadline; how late it
 * may be depends on the rig (Bochs runs guest time per instruction, QEMU
 * without -icount on a loaded host is coarse), so the bounds come from the
 * command line (and nothing is printed between arming a timer and its
 * interrupt: a console line costs milliseconds of guest time on Bochs):
 *   vcpus=N (1)  timer_us (2000)  late_us (5000)  period_us (1000)
 *   periods (20)  rounds (100)  nmi=0|1 (1)
 * Each section ends with "lapic: <section>: P passed, F failed" and the
 * guest with "lapic: summary ..." before the runtime's report. */
#include "runtime/runtime.h"

const char guest_name[] = "lapic";

#define VECTOR_GP 13
#define NMI_VECTOR 2

/* Vectors, chosen in different priority classes (class = vector >> 4). */
#define SPURIOUS_VECTOR 0xffu
#define TIMER_VECTOR 0x38u
#define COEXIST_VECTOR 0x90u
#define LOW_VECTOR 0x31u
#define IPI_FIXED_VECTOR 0xa0u
#define IPI_ALL_VECTOR 0xa1u
#define IPI_ALL_BUT_SELF_VECTOR 0xa2u
#define IPI_BROADCAST_VECTOR 0xa4u
#define IPI_LOGICAL_VECTOR 0xa5u
#define IPI_PING_VECTOR 0xa6u
#define IPI_PONG_VECTOR 0xa7u
#define IPI_NOWHERE_VECTOR 0xa8u
#define IPI_LOWEST_VECTOR 0xa9u
#define IPI_TIMER_START_VECTOR 0xaau
#define AP_TIMER_VECTOR 0x3au
#define ILLEGAL_VECTOR 3u

#define VERSION_EXPECTED 0x50014u
#define SVR_RESET 0xffu
#define APIC_BASE_ADDRESS 0xfee00000ull
#define APIC_BASE_ADDRESS_MASK 0xfffff000ull
#define LOGICAL_CLUSTER_SHIFT 16
#define IDS_PER_CLUSTER 16
#define REGISTERS_PER_BITMAP 8 /* ISR, TMR, IRR: 8 x 32 bits */
#define MAX_PERIODS 64u
#define TSC_DEADLINE_ROUNDS 3u
#define PERCENT 100
#define PERIOD_TOLERANCE_PERCENT 3
#define READY_TIMEOUT_NS (10 * NS_PER_S)

/* ---- Parameters ------------------------------------------------------------------- */

static unsigned int vcpu_count;
static uint64_t timer_ns, late_ns, period_ns, hold_ns, quiet_ns, lost_ns;
static unsigned int periods, rounds;
static bool test_nmi;

/* ---- Section tally ------------------------------------------------------------------ */

#define MAX_SECTIONS 8
static const char *section_names[MAX_SECTIONS];
static unsigned int section_failures[MAX_SECTIONS];
static unsigned int section_count;
static unsigned int passed_here, failed_here; /* the current section, all vCPUs */

static bool tally(bool ok)
{
    __atomic_fetch_add(ok ? &passed_here : &failed_here, 1, __ATOMIC_SEQ_CST);
    return ok;
}

static bool expect(bool condition, const char *what)
{
    return tally(check(condition, what));
}

static bool expect_eq_hex(const char *what, uint64_t expected, uint64_t got)
{
    return tally(check_eq_hex(what, expected, got));
}

static bool expect_eq_int(const char *what, int64_t expected, int64_t got)
{
    return tally(check_eq_int(what, expected, got));
}

/* "<what>: <got> in [lo, hi]" as one check line, so the log shows the figure. */
static bool expect_within(const char *what, int64_t low, int64_t high, int64_t got)
{
    char text[160];
    snprintf(text, sizeof(text), "%s: %ld in [%ld, %ld]", what, (long)got, (long)low, (long)high);
    return expect(got >= low && got <= high, text);
}

static void section_begin(const char *name)
{
    passed_here = failed_here = 0;
    if (section_count < MAX_SECTIONS) {
        section_names[section_count] = name;
    }
    printf("lapic: --- %s\n", name);
}

static void section_end(void)
{
    if (section_count < MAX_SECTIONS) {
        printf("lapic: %s: %u passed, %u failed\n", section_names[section_count], passed_here,
               failed_here);
        section_failures[section_count++] = failed_here;
    }
}

static void print_summary(void)
{
    char line[256];
    size_t n = (size_t)snprintf(line, sizeof(line), "lapic: summary vcpus=%u:", vcpu_count);
    for (unsigned int i = 0; i < section_count && n < sizeof(line); i++) {
        if (section_failures[i] == 0) {
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s ok", section_names[i]);
        } else {
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s FAILED(%u)", section_names[i],
                                  section_failures[i]);
        }
    }
    printf("%s\n", line);
}

/* ---- What the handlers record -------------------------------------------------------- */

static volatile uint32_t hits[GUEST_MAX_VCPUS][256];
static volatile uint32_t nmi_hits[GUEST_MAX_VCPUS];
static volatile bool no_eoi[256];
/* vCPU 0 only: the order vectors arrived in, and when the last of each came. */
static volatile uint8_t arrival_order[32];
static volatile unsigned int arrivals;
static volatile uint64_t entry_ns[256];
static volatile uint64_t entry_tsc[256];
static volatile uint64_t timer_times_ns[MAX_PERIODS];
static volatile unsigned int timer_times;
/* vCPU 0: what the handler of probe_vector saw of its own vector. */
static volatile int probe_vector = -1;
static volatile bool probe_isr, probe_irr;
static volatile uint64_t probe_ppr;

static void on_interrupt(unsigned int vector)
{
    uint64_t tsc = rdtsc();
    unsigned int id = this_vcpu_id();
    if (id == 0) {
        uint64_t now = system_time_ns();
        entry_tsc[vector] = tsc;
        entry_ns[vector] = now;
        if (arrivals < ARRAY_SIZE(arrival_order)) {
            arrival_order[arrivals] = (uint8_t)vector;
        }
        arrivals++;
        if (vector == TIMER_VECTOR && timer_times < MAX_PERIODS) {
            timer_times_ns[timer_times++] = now;
        }
        if ((int)vector == probe_vector) {
            probe_isr = lapic_vector_bit(X2APIC_ISR0, (uint8_t)vector);
            probe_irr = lapic_vector_bit(X2APIC_IRR0, (uint8_t)vector);
            probe_ppr = rdmsr(X2APIC_PPR);
        }
    }
    hits[id][vector]++;
    if (!no_eoi[vector]) {
        lapic_eoi();
    }
}

/* Another vCPU's answer: an IPI back to vCPU 0, sent from the handler. */
static void on_ping(unsigned int vector)
{
    hits[this_vcpu_id()][vector]++;
    lapic_send_ipi(0, IPI_PONG_VECTOR);
    lapic_eoi();
}

/* Another vCPU arms its own one-shot timer when asked to. */
static volatile uint64_t ap_armed_ns[GUEST_MAX_VCPUS], ap_fired_ns[GUEST_MAX_VCPUS];

static void on_timer_start(unsigned int vector)
{
    unsigned int id = this_vcpu_id();
    hits[id][vector]++;
    wrmsr(X2APIC_LVT_TIMER, AP_TIMER_VECTOR | LAPIC_LVT_TIMER_ONESHOT);
    wrmsr(X2APIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
    ap_armed_ns[id] = system_time_ns();
    wrmsr(X2APIC_TIMER_INITIAL, (uint32_t)timer_ns);
    lapic_eoi();
}

static void on_ap_timer(unsigned int vector)
{
    unsigned int id = this_vcpu_id();
    ap_fired_ns[id] = system_time_ns();
    hits[id][vector]++;
    lapic_eoi();
}

static void on_nmi(void)
{
    nmi_hits[this_vcpu_id()]++;
}

/* ---- Waiting ------------------------------------------------------------------------ */

/* Interrupts on until hits[@vcpu][@vector] reaches @target or system time
 * reaches @give_up_ns. */
static bool wait_hits(unsigned int vcpu, unsigned int vector, uint32_t target, uint64_t give_up_ns)
{
    __asm__ volatile("sti" : : : "memory");
    while (hits[vcpu][vector] < target && system_time_ns() < give_up_ns) {
        __asm__ volatile("pause");
    }
    __asm__ volatile("cli" : : : "memory");
    return hits[vcpu][vector] >= target;
}

/* Interrupts on for @ns of system time. */
static void interrupts_on_for(uint64_t ns)
{
    __asm__ volatile("sti" : : : "memory");
    spin_until_ns(system_time_ns() + ns);
    __asm__ volatile("cli" : : : "memory");
}

static void reset_arrivals(void)
{
    arrivals = 0;
    for (unsigned int i = 0; i < ARRAY_SIZE(arrival_order); i++) {
        arrival_order[i] = 0;
    }
}

static bool bitmap_empty(uint32_t first)
{
    for (unsigned int i = 0; i < REGISTERS_PER_BITMAP; i++) {
        if (rdmsr(first + i) != 0) {
            return false;
        }
    }
    return true;
}

/* ---- Identity (every vCPU) ------------------------------------------------------------ */

static uint32_t expected_ldr(unsigned int id)
{
    return (id / IDS_PER_CLUSTER) << LOGICAL_CLUSTER_SHIFT | 1u << (id % IDS_PER_CLUSTER);
}

/* Checks what a vCPU sees of its own APIC at reset, then software-enables it. */
static void identity_checks(unsigned int id)
{
    char what[112];
    uint64_t base = rdmsr(LAPIC_MSR_APIC_BASE);
    snprintf(what, sizeof(what), "vcpu %u: APIC base 0x%lx: enabled, x2APIC mode, at 0xfee00000",
             id, (unsigned long)base);
    expect((base & (LAPIC_BASE_ENABLE | LAPIC_BASE_X2APIC)) ==
                   (LAPIC_BASE_ENABLE | LAPIC_BASE_X2APIC) &&
               (base & APIC_BASE_ADDRESS_MASK) == APIC_BASE_ADDRESS,
           what);
    snprintf(what, sizeof(what), "vcpu %u: APIC base BSP bit set on vCPU 0 only", id);
    expect(((base & LAPIC_BASE_BSP) != 0) == (id == 0), what);
    snprintf(what, sizeof(what), "vcpu %u: x2APIC ID (0x802) is the vCPU id", id);
    expect_eq_int(what, id, (int64_t)rdmsr(X2APIC_ID));
    snprintf(what, sizeof(what), "vcpu %u: version (0x803)", id);
    expect_eq_hex(what, VERSION_EXPECTED, rdmsr(X2APIC_VERSION));
    snprintf(what, sizeof(what), "vcpu %u: LDR (0x80d) = cluster id>>4, bit id&15", id);
    expect_eq_hex(what, expected_ldr(id), rdmsr(X2APIC_LDR));
    snprintf(what, sizeof(what), "vcpu %u: SVR at reset: software-disabled, vector 0xff", id);
    expect_eq_hex(what, SVR_RESET, rdmsr(X2APIC_SVR));
    snprintf(what, sizeof(what), "vcpu %u: LVT timer at reset: masked", id);
    expect_eq_hex(what, LAPIC_LVT_MASKED, rdmsr(X2APIC_LVT_TIMER));
    snprintf(what, sizeof(what), "vcpu %u: TPR and PPR at reset are 0", id);
    expect(rdmsr(X2APIC_TPR) == 0 && rdmsr(X2APIC_PPR) == 0, what);
    snprintf(what, sizeof(what), "vcpu %u: ISR and IRR at reset are empty", id);
    expect(bitmap_empty(X2APIC_ISR0) && bitmap_empty(X2APIC_IRR0), what);
    /* Software-disabled, the LVT mask bits stay set (SDM 11.4.7.2). */
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR);
    snprintf(what, sizeof(what), "vcpu %u: software-disabled, unmasking the LVT timer is ignored",
             id);
    expect_eq_hex(what, TIMER_VECTOR | LAPIC_LVT_MASKED, rdmsr(X2APIC_LVT_TIMER));
    wrmsr(X2APIC_SVR, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
    snprintf(what, sizeof(what), "vcpu %u: SVR software-enabled with spurious vector 0xff", id);
    expect_eq_hex(what, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR, rdmsr(X2APIC_SVR));
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR);
    wrmsr(X2APIC_SVR, SVR_RESET);
    snprintf(what, sizeof(what), "vcpu %u: software-disabling masks the LVT timer", id);
    expect_eq_hex(what, TIMER_VECTOR | LAPIC_LVT_MASKED, rdmsr(X2APIC_LVT_TIMER));
    wrmsr(X2APIC_SVR, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
}

/* ---- Faults (vCPU 0: the safe_* fix-up is vCPU 0's) ------------------------------------ */

static void expect_gp_read(uint32_t msr, const char *name)
{
    char what[112];
    uint64_t value = 0;
    int vector = safe_rdmsr(msr, &value);
    snprintf(what, sizeof(what), "RDMSR 0x%x (%s) raises #GP (-1: it read 0x%lx)", msr, name,
             (unsigned long)value);
    expect_eq_int(what, VECTOR_GP, vector);
}

static void expect_gp_write(uint32_t msr, uint64_t value, const char *name)
{
    char what[112];
    snprintf(what, sizeof(what), "WRMSR 0x%x <- 0x%lx (%s) raises #GP", msr, (unsigned long)value,
             name);
    expect_eq_int(what, VECTOR_GP, safe_wrmsr(msr, value));
}

static void expect_readable(uint32_t msr, const char *name)
{
    char what[96];
    uint64_t value;
    snprintf(what, sizeof(what), "RDMSR 0x%x (%s) does not fault", msr, name);
    expect_eq_int(what, NO_FAULT, safe_rdmsr(msr, &value));
}

static void fault_checks(void)
{
    /* Reserved registers: both directions fault. */
    static const uint32_t reserved[] = {0x801, 0x804, 0x805, 0x806, 0x807, 0x809, 0x80c,
                                        0x80e, 0x829, 0x82a, 0x82b, 0x82c, 0x82d, 0x82e,
                                        0x831, 0x83a, 0x83b, 0x83c, 0x83d, 0x840, 0x8ff};
    for (unsigned int i = 0; i < ARRAY_SIZE(reserved); i++) {
        expect_gp_read(reserved[i], "reserved");
        expect_gp_write(reserved[i], 0, "reserved");
    }
    /* Write-only registers. */
    expect_gp_read(X2APIC_EOI, "EOI, write-only");
    expect_gp_read(X2APIC_SELF_IPI, "SELF_IPI, write-only");
    /* Read-only registers, even written with what they hold. */
    expect_gp_write(X2APIC_ID, rdmsr(X2APIC_ID), "ID, read-only");
    expect_gp_write(X2APIC_VERSION, rdmsr(X2APIC_VERSION), "version, read-only");
    expect_gp_write(X2APIC_PPR, 0, "PPR, read-only");
    expect_gp_write(X2APIC_LDR, rdmsr(X2APIC_LDR), "LDR, read-only");
    expect_gp_write(X2APIC_TIMER_CURRENT, 0, "TMCCT, read-only");
    for (unsigned int i = 0; i < REGISTERS_PER_BITMAP; i++) {
        expect_gp_write(X2APIC_ISR0 + i, 0, "ISR, read-only");
        expect_gp_write(X2APIC_TMR0 + i, 0, "TMR, read-only");
        expect_gp_write(X2APIC_IRR0 + i, 0, "IRR, read-only");
    }
    expect_readable(X2APIC_ISR0 + REGISTERS_PER_BITMAP - 1, "ISR bits 224-255");
    expect_readable(X2APIC_IRR0 + REGISTERS_PER_BITMAP - 1, "IRR bits 224-255");
    expect_readable(X2APIC_ESR, "ESR");
    expect_readable(LAPIC_MSR_TSC_DEADLINE, "IA32_TSC_DEADLINE");

    /* Reserved bits, and nothing changes when they are refused. */
    wrmsr(X2APIC_TPR, 0x20);
    expect_gp_write(X2APIC_TPR, 0x100, "TPR bit 8");
    expect_gp_write(X2APIC_TPR, 1ull << 32, "TPR bit 32");
    expect_eq_hex("TPR unchanged by the refused writes", 0x20, rdmsr(X2APIC_TPR));
    wrmsr(X2APIC_TPR, 0);
    uint64_t svr = rdmsr(X2APIC_SVR);
    expect_gp_write(X2APIC_SVR, svr | 1u << 10, "SVR bit 10");
    expect_gp_write(X2APIC_SVR, svr | 1u << 13, "SVR bit 13");
    expect_gp_write(X2APIC_SVR, svr | 1ull << 32, "SVR bit 32");
    expect_eq_hex("SVR unchanged by the refused writes", svr, rdmsr(X2APIC_SVR));
    uint64_t lvt = rdmsr(X2APIC_LVT_TIMER);
    expect_gp_write(X2APIC_LVT_TIMER, TIMER_VECTOR | 1u << 19, "LVT timer bit 19");
    expect_gp_write(X2APIC_LVT_TIMER, TIMER_VECTOR | 1ull << 32, "LVT timer bit 32");
    expect_eq_hex("LVT timer unchanged by the refused writes", lvt, rdmsr(X2APIC_LVT_TIMER));
    wrmsr(X2APIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_16);
    expect_gp_write(X2APIC_TIMER_DIVIDE, 0x4, "TDCR bit 2");
    expect_gp_write(X2APIC_TIMER_DIVIDE, 0x10, "TDCR bit 4");
    expect_eq_hex("TDCR unchanged by the refused writes", LAPIC_TIMER_DIVIDE_16,
                  rdmsr(X2APIC_TIMER_DIVIDE));
    uint64_t self = (uint64_t)rdmsr(X2APIC_ID) << 32;
    expect_gp_write(X2APIC_ICR, self | 1u << 20 | 0x8a, "ICR bit 20");
    expect_gp_write(X2APIC_ICR, self | 1u << 16 | 0x8a, "ICR bit 16");
    expect_gp_write(X2APIC_SELF_IPI, 0x18a, "SELF_IPI bit 8");
    expect(!lapic_vector_bit(X2APIC_IRR0, 0x8a) && !lapic_vector_bit(X2APIC_ISR0, 0x8a),
           "no IPI sent by the refused ICR and SELF_IPI writes");
    expect_gp_write(X2APIC_EOI, 1, "EOI non-zero");
    expect_gp_write(X2APIC_ESR, 1, "ESR non-zero");
    expect_eq_int("EOI with 0 (nothing in service) is accepted", NO_FAULT,
                  safe_wrmsr(X2APIC_EOI, 0));
    expect_eq_int("ESR with 0 is accepted", NO_FAULT, safe_wrmsr(X2APIC_ESR, 0));
}

/* ---- Timer (vCPU 0) --------------------------------------------------------------------- */

static void timer_one_shot(uint32_t divide_code, uint32_t divisor)
{
    char what[128];
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_ONESHOT);
    wrmsr(X2APIC_TIMER_DIVIDE, divide_code);
    uint32_t initial = (uint32_t)(timer_ns / divisor);
    uint32_t before = hits[0][TIMER_VECTOR];
    uint64_t start = system_time_ns();
    wrmsr(X2APIC_TIMER_INITIAL, initial);
    uint64_t current = rdmsr(X2APIC_TIMER_CURRENT);
    uint64_t deadline = start + (uint64_t)initial * divisor;
    bool arrived = wait_hits(0, TIMER_VECTOR, before + 1, deadline + lost_ns);
    int64_t late = (int64_t)(entry_ns[TIMER_VECTOR] - deadline);
    printf("lapic: one-shot, divide %u, %u counts: interrupt %ld ns after the deadline\n", divisor,
           initial, arrived ? (long)late : -1L);
    snprintf(what, sizeof(what), "one-shot divide %u: TMCCT right after arming", divisor);
    expect_within(what, 1, initial, (int64_t)current);
    snprintf(what, sizeof(what), "one-shot divide %u: the interrupt arrived", divisor);
    if (expect(arrived, what)) {
        snprintf(what, sizeof(what), "one-shot divide %u: ns after the deadline", divisor);
        expect_within(what, 0, (int64_t)late_ns, late);
    }
    snprintf(what, sizeof(what), "one-shot divide %u: TMCCT reads 0 once expired", divisor);
    expect_eq_int(what, 0, (int64_t)rdmsr(X2APIC_TIMER_CURRENT));
    interrupts_on_for(quiet_ns);
    snprintf(what, sizeof(what), "one-shot divide %u: exactly one interrupt", divisor);
    expect_eq_int(what, before + 1, hits[0][TIMER_VECTOR]);
}

static void timer_counts_down(void)
{
    const uint32_t initial = 0xffffffffu; /* about 4.3 s with divide 1 */
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_ONESHOT);
    wrmsr(X2APIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
    wrmsr(X2APIC_TIMER_INITIAL, initial);
    uint64_t t1 = system_time_ns();
    uint64_t c1 = rdmsr(X2APIC_TIMER_CURRENT);
    uint64_t t2 = system_time_ns();
    spin_until_ns(t2 + timer_ns / 2);
    uint64_t t3 = system_time_ns();
    uint64_t c2 = rdmsr(X2APIC_TIMER_CURRENT);
    uint64_t t4 = system_time_ns();
    expect(c2 < c1 && c1 < initial, "TMCCT counts down");
    /* The decrease lies between the time between the reads' ends and their
     * starts (1 count per ns), give or take 1% and 2 us of rounding. */
    int64_t decrease = (int64_t)(c1 - c2);
    int64_t slack = (int64_t)((t4 - t1) / PERCENT + 2 * NS_PER_US);
    expect_within("TMCCT decrease over a measured interval (1 count per ns)",
                  (int64_t)(t3 - t2) - slack, (int64_t)(t4 - t1) + slack, decrease);
    uint32_t before = hits[0][TIMER_VECTOR];
    wrmsr(X2APIC_TIMER_INITIAL, 0);
    expect_eq_int("TMICT 0 stops the timer: TMCCT reads 0", 0,
                  (int64_t)rdmsr(X2APIC_TIMER_CURRENT));
    interrupts_on_for(quiet_ns);
    expect_eq_int("a stopped timer raises no interrupt", before, hits[0][TIMER_VECTOR]);
}

static void timer_periodic(void)
{
    char what[128];
    uint32_t before = hits[0][TIMER_VECTOR];
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_PERIODIC);
    wrmsr(X2APIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
    timer_times = 0;
    uint64_t start = system_time_ns();
    wrmsr(X2APIC_TIMER_INITIAL, (uint32_t)period_ns);
    bool all = wait_hits(0, TIMER_VECTOR, before + periods, start + periods * period_ns + lost_ns);
    wrmsr(X2APIC_TIMER_INITIAL, 0);
    unsigned int n = timer_times;
    snprintf(what, sizeof(what), "periodic: %u interrupts arrived", periods);
    if (!expect(all && n >= periods, what)) {
        return;
    }
    /* Interrupt k (from 1) is due at start + k * period: never before it. */
    int64_t min_late = INT64_MAX, max_late = INT64_MIN;
    for (unsigned int k = 1; k <= n && k <= periods; k++) {
        int64_t late = (int64_t)(timer_times_ns[k - 1] - (start + k * period_ns));
        min_late = late < min_late ? late : min_late;
        max_late = late > max_late ? late : max_late;
    }
    uint64_t average = (timer_times_ns[periods - 1] - timer_times_ns[0]) / (periods - 1);
    printf("lapic: periodic %lu ns: average period %lu ns, lateness %ld..%ld ns\n",
           (unsigned long)period_ns, (unsigned long)average, (long)min_late, (long)max_late);
    expect_within("periodic: earliest interrupt, ns after its due time", 0, (int64_t)late_ns,
                  min_late);
    expect_within("periodic: latest interrupt, ns after its due time (no drift)", 0,
                  (int64_t)late_ns, max_late);
    /* A few percent, plus what the measured jitter of the first and last
     * interrupt can make of an average over periods - 1 intervals. */
    int64_t tolerance = (int64_t)(period_ns * PERIOD_TOLERANCE_PERCENT / PERCENT) +
                        (max_late - min_late) / (int64_t)(periods - 1);
    expect_within("periodic: average period, ns", (int64_t)period_ns - tolerance,
                  (int64_t)period_ns + tolerance, (int64_t)average);
    uint32_t stopped = hits[0][TIMER_VECTOR];
    interrupts_on_for(2 * period_ns + late_ns);
    expect_eq_int("periodic: TMICT 0 stops it", stopped, hits[0][TIMER_VECTOR]);
}

/* Arms a TSC deadline @round-dependent time ahead; it must come once, on time. */
static void tsc_deadline_once(unsigned int round)
{
    char what[128];
    uint32_t before = hits[0][TIMER_VECTOR];
    uint64_t ahead_ns = timer_ns * (round + 1) / TSC_DEADLINE_ROUNDS;
    uint64_t deadline = rdtsc() + ns_to_tsc_ticks(ahead_ns);
    wrmsr(LAPIC_MSR_TSC_DEADLINE, deadline);
    uint64_t armed = rdmsr(LAPIC_MSR_TSC_DEADLINE);
    /* Nothing printed until it arrived: a console line takes milliseconds
     * of guest time on Bochs, and the interrupt would wait for it. */
    bool arrived = wait_hits(0, TIMER_VECTOR, before + 1, system_time_ns() + ahead_ns + lost_ns);
    snprintf(what, sizeof(what), "TSC-deadline %u: IA32_TSC_DEADLINE reads back while armed",
             round);
    expect_eq_hex(what, deadline, armed);
    snprintf(what, sizeof(what), "TSC-deadline %u: the interrupt arrived", round);
    if (expect(arrived, what)) {
        int64_t ticks = (int64_t)(entry_tsc[TIMER_VECTOR] - deadline);
        int64_t late = ticks < 0 ? -(int64_t)tsc_ticks_to_ns((uint64_t)-ticks)
                                 : (int64_t)tsc_ticks_to_ns((uint64_t)ticks);
        printf("lapic: TSC-deadline %u, %lu ns ahead: interrupt %ld TSC ticks (%ld ns) after "
               "the deadline\n",
               round, (unsigned long)ahead_ns, (long)ticks, (long)late);
        snprintf(what, sizeof(what), "TSC-deadline %u: TSC ticks after the deadline", round);
        expect_within(what, 0, INT64_MAX, ticks);
        snprintf(what, sizeof(what), "TSC-deadline %u: ns after the deadline", round);
        expect_within(what, 0, (int64_t)late_ns, late);
    }
    snprintf(what, sizeof(what), "TSC-deadline %u: the MSR reads 0 once the timer fired", round);
    expect_eq_int(what, 0, (int64_t)rdmsr(LAPIC_MSR_TSC_DEADLINE));
    interrupts_on_for(quiet_ns);
    snprintf(what, sizeof(what), "TSC-deadline %u: exactly one interrupt", round);
    expect_eq_int(what, before + 1, hits[0][TIMER_VECTOR]);
}

static void timer_tsc_deadline(void)
{
    char what[128];
    struct cpuid_result leaf1 = cpuid(1, 0);
    if (!expect(leaf1.ecx & LAPIC_CPUID1_ECX_TSC_DEADLINE,
                "CPUID.1:ECX[24] offers the TSC-deadline timer")) {
        return;
    }
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_TSC_DEADLINE);
    expect_eq_hex("LVT timer in TSC-deadline mode reads back",
                  TIMER_VECTOR | LAPIC_LVT_TIMER_TSC_DEADLINE, rdmsr(X2APIC_LVT_TIMER));
    /* TMICT is ignored in this mode, TMCCT reads 0. */
    wrmsr(X2APIC_TIMER_INITIAL, (uint32_t)timer_ns);
    expect_eq_int("TSC-deadline mode: TMCCT reads 0 after a TMICT write", 0,
                  (int64_t)rdmsr(X2APIC_TIMER_CURRENT));

    for (unsigned int i = 0; i < TSC_DEADLINE_ROUNDS; i++) {
        tsc_deadline_once(i);
    }

    /* Writing 0 disarms. */
    uint32_t before = hits[0][TIMER_VECTOR];
    wrmsr(LAPIC_MSR_TSC_DEADLINE, rdtsc() + ns_to_tsc_ticks(timer_ns));
    wrmsr(LAPIC_MSR_TSC_DEADLINE, 0);
    expect_eq_int("TSC-deadline: writing 0 reads back 0", 0,
                  (int64_t)rdmsr(LAPIC_MSR_TSC_DEADLINE));
    interrupts_on_for(timer_ns + quiet_ns);
    expect_eq_int("TSC-deadline: writing 0 disarms (no interrupt)", before, hits[0][TIMER_VECTOR]);

    /* A deadline already past fires at once. */
    before = hits[0][TIMER_VECTOR];
    uint64_t now = system_time_ns();
    wrmsr(LAPIC_MSR_TSC_DEADLINE, rdtsc() - 1);
    bool arrived = wait_hits(0, TIMER_VECTOR, before + 1, now + lost_ns);
    if (expect(arrived, "TSC-deadline in the past: the interrupt arrived")) {
        expect_within("TSC-deadline in the past: ns until it arrived", 0, (int64_t)late_ns,
                      (int64_t)(entry_ns[TIMER_VECTOR] - now));
    }

    /* Leaving the mode disarms, and other modes ignore the MSR. */
    before = hits[0][TIMER_VECTOR];
    wrmsr(LAPIC_MSR_TSC_DEADLINE, rdtsc() + ns_to_tsc_ticks(timer_ns));
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_ONESHOT);
    wrmsr(LAPIC_MSR_TSC_DEADLINE, rdtsc() + ns_to_tsc_ticks(timer_ns));
    snprintf(what, sizeof(what), "one-shot mode: IA32_TSC_DEADLINE reads 0, writes ignored");
    expect_eq_int(what, 0, (int64_t)rdmsr(LAPIC_MSR_TSC_DEADLINE));
    interrupts_on_for(timer_ns + quiet_ns);
    expect_eq_int("changing the timer mode disarms a TSC deadline (no interrupt)", before,
                  hits[0][TIMER_VECTOR]);
}

static void timer_masked(void)
{
    uint32_t before = hits[0][TIMER_VECTOR];
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_ONESHOT | LAPIC_LVT_MASKED);
    wrmsr(X2APIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
    wrmsr(X2APIC_TIMER_INITIAL, (uint32_t)timer_ns);
    uint64_t current = rdmsr(X2APIC_TIMER_CURRENT);
    expect_within("masked LVT: the count still runs (TMCCT)", 1, (int64_t)timer_ns,
                  (int64_t)current);
    interrupts_on_for(timer_ns + quiet_ns);
    expect_eq_int("masked LVT: no interrupt", before, hits[0][TIMER_VECTOR]);
    expect_eq_int("masked LVT: TMCCT reads 0 once expired", 0,
                  (int64_t)rdmsr(X2APIC_TIMER_CURRENT));
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_MASKED);
}

/* HLT with the timer armed: the timer interrupt ends the halt. A VIRQ_TIMER
 * one-shot well after it is the safety net, so a lost wake-up fails. */
static void timer_wakes_hlt(void)
{
    uint32_t before = hits[0][TIMER_VECTOR];
    wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_ONESHOT);
    wrmsr(X2APIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
    uint64_t start = system_time_ns();
    uint64_t safety = start + timer_ns + lost_ns;
    singleshot_timer_set(0, safety, 0);
    wrmsr(X2APIC_TIMER_INITIAL, (uint32_t)timer_ns);
    while (hits[0][TIMER_VECTOR] == before && system_time_ns() < safety) {
        halt_for_event();
    }
    vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    if (expect(hits[0][TIMER_VECTOR] == before + 1, "HLT: the LAPIC timer interrupt woke it")) {
        int64_t late = (int64_t)(entry_ns[TIMER_VECTOR] - (start + timer_ns));
        printf("lapic: HLT woken %ld ns after the timer's deadline\n", (long)late);
        expect_within("HLT: ns after the deadline", 0, (int64_t)late_ns, late);
    }
}

/* ---- EOI and priority (vCPU 0, self-IPIs) ---------------------------------------------- */

static bool order_is(const uint8_t *expected, unsigned int count)
{
    if (arrivals != count) {
        return false;
    }
    for (unsigned int i = 0; i < count; i++) {
        if (arrival_order[i] != expected[i]) {
            return false;
        }
    }
    return true;
}

static void expect_order(const char *what, const uint8_t *expected, unsigned int count)
{
    char text[160];
    size_t n = (size_t)snprintf(text, sizeof(text), "%s: arrived", what);
    for (unsigned int i = 0; i < arrivals && i < ARRAY_SIZE(arrival_order) && n < sizeof(text);
         i++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, " 0x%x", arrival_order[i]);
    }
    expect(order_is(expected, count), text);
}

/* Two pending vectors: the higher one is delivered first. */
static void priority_pair(uint8_t low, uint8_t high, const char *what)
{
    char text[112];
    reset_arrivals();
    lapic_self_ipi(low);
    lapic_self_ipi(high);
    snprintf(text, sizeof(text), "%s: both in IRR, not in service before delivery", what);
    expect(lapic_vector_bit(X2APIC_IRR0, low) && lapic_vector_bit(X2APIC_IRR0, high) &&
               !lapic_vector_bit(X2APIC_ISR0, low) && !lapic_vector_bit(X2APIC_ISR0, high),
           text);
    probe_vector = high;
    wait_hits(0, low, hits[0][low] + 1, system_time_ns() + lost_ns);
    probe_vector = -1;
    const uint8_t expected[] = {high, low};
    snprintf(text, sizeof(text), "%s: the higher vector first", what);
    expect_order(text, expected, 2);
    snprintf(text, sizeof(text), "%s: in its handler, 0x%x is in ISR, not in IRR, PPR 0x%x", what,
             high, high & 0xf0);
    expect(probe_isr && !probe_irr && probe_ppr == (high & 0xf0u), text);
}

static void priority_checks(void)
{
    char what[112];
    static const uint8_t vectors[] = {0x41, 0x45, 0x4c, 0x4f, 0x50, 0x60, 0x65, 0x70, 0x8a};
    for (unsigned int i = 0; i < ARRAY_SIZE(vectors); i++) {
        interrupt_set_handler(vectors[i], on_interrupt);
    }
    priority_pair(0x45, 0x8a, "classes 4 and 8");
    priority_pair(0x41, 0x4c, "two vectors of class 4");

    /* TPR holds a class and those below it. */
    wrmsr(X2APIC_TPR, 0x50);
    expect_eq_hex("PPR = TPR 0x50 with nothing in service", 0x50, rdmsr(X2APIC_PPR));
    reset_arrivals();
    lapic_self_ipi(0x45);
    lapic_self_ipi(0x50);
    lapic_self_ipi(0x60);
    wait_hits(0, 0x60, hits[0][0x60] + 1, system_time_ns() + lost_ns);
    interrupts_on_for(hold_ns);
    const uint8_t only_60[] = {0x60};
    expect_order("TPR 0x50: only 0x60 is delivered", only_60, 1);
    expect(lapic_vector_bit(X2APIC_IRR0, 0x45) && lapic_vector_bit(X2APIC_IRR0, 0x50),
           "TPR 0x50: 0x45 and 0x50 stay in IRR");
    wrmsr(X2APIC_TPR, 0x4f);
    interrupts_on_for(hold_ns);
    const uint8_t then_50[] = {0x60, 0x50};
    expect_order("TPR lowered to 0x4f: 0x50 follows, 0x45 still held", then_50, 2);
    wrmsr(X2APIC_TPR, 0);
    wait_hits(0, 0x45, hits[0][0x45] + 1, system_time_ns() + lost_ns);
    const uint8_t then_45[] = {0x60, 0x50, 0x45};
    expect_order("TPR lowered to 0: 0x45 follows", then_45, 3);
    expect(bitmap_empty(X2APIC_IRR0), "IRR empty again");

    /* A handler that sends no EOI keeps its vector in service. */
    no_eoi[0x60] = true;
    reset_arrivals();
    lapic_self_ipi(0x60);
    wait_hits(0, 0x60, hits[0][0x60] + 1, system_time_ns() + lost_ns);
    expect(lapic_vector_bit(X2APIC_ISR0, 0x60), "without EOI: 0x60 stays in ISR");
    expect_eq_hex("PPR = 0x60 with 0x60 in service and TPR 0", 0x60, rdmsr(X2APIC_PPR));
    static const struct {
        uint32_t tpr, ppr;
    } ppr_cases[] = {{0x30, 0x60}, {0x5f, 0x60}, {0x65, 0x65}, {0x75, 0x75}};
    for (unsigned int i = 0; i < ARRAY_SIZE(ppr_cases); i++) {
        wrmsr(X2APIC_TPR, ppr_cases[i].tpr);
        snprintf(what, sizeof(what), "PPR with TPR 0x%x and 0x60 in service", ppr_cases[i].tpr);
        expect_eq_hex(what, ppr_cases[i].ppr, rdmsr(X2APIC_PPR));
    }
    wrmsr(X2APIC_TPR, 0);
    lapic_self_ipi(0x65);
    lapic_self_ipi(0x50);
    interrupts_on_for(hold_ns);
    lapic_self_ipi(0x70);
    wait_hits(0, 0x70, hits[0][0x70] + 1, system_time_ns() + lost_ns);
    interrupts_on_for(hold_ns);
    const uint8_t nested[] = {0x60, 0x70};
    expect_order("0x60 in service: 0x65 and 0x50 held, 0x70 nests", nested, 2);
    expect_eq_hex("after 0x70's EOI, PPR is 0x60 again", 0x60, rdmsr(X2APIC_PPR));
    no_eoi[0x60] = false;
    lapic_eoi();
    wait_hits(0, 0x50, hits[0][0x50] + 1, system_time_ns() + lost_ns);
    const uint8_t released[] = {0x60, 0x70, 0x65, 0x50};
    expect_order("EOI for 0x60 releases 0x65, then 0x50", released, 4);
    expect(bitmap_empty(X2APIC_ISR0) && bitmap_empty(X2APIC_IRR0) && rdmsr(X2APIC_PPR) == 0,
           "ISR and IRR empty, PPR 0 at the end");
    expect(bitmap_empty(X2APIC_TMR0), "TMR empty (every interrupt was edge-triggered)");

    /* Self-IPIs through ICR: the self shorthand and our own id. */
    uint32_t before = hits[0][0x4f];
    lapic_send_ipi(0, LAPIC_ICR_SELF | 0x4f);
    wait_hits(0, 0x4f, before + 1, system_time_ns() + lost_ns);
    lapic_send_ipi((uint32_t)rdmsr(X2APIC_ID), 0x4f);
    wait_hits(0, 0x4f, before + 2, system_time_ns() + lost_ns);
    interrupts_on_for(hold_ns);
    expect_eq_int("ICR self shorthand and ICR to our own id: one interrupt each", before + 2,
                  hits[0][0x4f]);
    expect_eq_hex("ICR reads back the last command (64 bits)", rdmsr(X2APIC_ID) << 32 | 0x4f,
                  rdmsr(X2APIC_ICR));

    /* CR8 is TPR[7:4], both ways. */
    uint64_t cr8 = 5;
    __asm__ volatile("movq %0, %%cr8" : : "r"(cr8) : "memory");
    expect_eq_hex("MOV to CR8 5: TPR reads 0x50", 0x50, rdmsr(X2APIC_TPR));
    wrmsr(X2APIC_TPR, 0x7c);
    __asm__ volatile("movq %%cr8, %0" : "=r"(cr8));
    expect_eq_hex("TPR 0x7c: MOV from CR8 reads 7", 7, cr8);
    wrmsr(X2APIC_TPR, 0);

    /* The error register: an illegal vector shows once ESR is written. */
    wrmsr(X2APIC_ESR, 0);
    expect_eq_hex("ESR is 0 after a write with no error since", 0, rdmsr(X2APIC_ESR));
    lapic_send_ipi((uint32_t)rdmsr(X2APIC_ID), ILLEGAL_VECTOR);
    interrupts_on_for(hold_ns); /* a delivered vector 3 would crash the guest (#BP gate) */
    uint64_t unlatched = rdmsr(X2APIC_ESR);
    wrmsr(X2APIC_ESR, 0);
    uint64_t esr = rdmsr(X2APIC_ESR);
    snprintf(what, sizeof(what),
             "IPI with vector 3: ESR 0x%lx after a write has 'send illegal "
             "vector' (0x20)",
             (unsigned long)esr);
    expect(esr & LAPIC_ESR_SEND_ILLEGAL_VECTOR, what);
    expect_eq_hex("ESR shows nothing new before it is written", 0, unlatched);
    wrmsr(X2APIC_ESR, 0);
    expect_eq_hex("the next ESR write clears it", 0, rdmsr(X2APIC_ESR));
}

/* ---- IPIs between vCPUs --------------------------------------------------------------- */

static volatile bool ready[GUEST_MAX_VCPUS];

static void secondary(unsigned int id)
{
    identity_checks(id);
    __atomic_store_n(&ready[id], true, __ATOMIC_SEQ_CST);
    /* Halted with interrupts on: only IPIs wake it. */
    for (;;) {
        __asm__ volatile("sti; hlt; cli" : : : "memory");
    }
}

/* Sends @command to @destination and checks that exactly the vCPUs in
 * @targets (bit per vCPU) got @vector once. */
static void expect_ipi_reaches(const char *what, uint32_t destination, uint32_t command,
                               uint8_t vector, uint32_t targets)
{
    uint32_t before[GUEST_MAX_VCPUS];
    for (unsigned int id = 0; id < vcpu_count; id++) {
        before[id] = hits[id][vector];
    }
    lapic_send_ipi(destination, command | vector);
    uint64_t give_up = system_time_ns() + lost_ns;
    for (unsigned int id = 0; id < vcpu_count; id++) {
        if (targets & (1u << id)) {
            wait_hits(id, vector, before[id] + 1, give_up);
        }
    }
    interrupts_on_for(hold_ns); /* time for a stray copy to show up */
    uint32_t got = 0;
    bool once = true;
    for (unsigned int id = 0; id < vcpu_count; id++) {
        uint32_t n = hits[id][vector] - before[id];
        got |= n != 0 ? 1u << id : 0;
        once = once && n <= 1;
    }
    char text[160];
    snprintf(text, sizeof(text), "%s: vCPUs 0x%x got it (expected 0x%x)%s", what, got, targets,
             once ? "" : ", some more than once");
    expect(got == targets && once, text);
}

static uint32_t lowest_hits(void)
{
    uint32_t sum = 0;
    for (unsigned int id = 0; id < vcpu_count; id++) {
        sum += hits[id][IPI_LOWEST_VECTOR];
    }
    return sum;
}

/* Lowest priority to the logical bits of @targets: exactly one of them. */
static void expect_lowest_priority(uint32_t targets)
{
    uint32_t before = lowest_hits();
    lapic_send_ipi(targets, LAPIC_ICR_LOGICAL | LAPIC_ICR_LOWEST | IPI_LOWEST_VECTOR);
    uint64_t give_up = system_time_ns() + lost_ns;
    __asm__ volatile("sti" : : : "memory");
    while (lowest_hits() == before && system_time_ns() < give_up) {
        __asm__ volatile("pause");
    }
    __asm__ volatile("cli" : : : "memory");
    interrupts_on_for(hold_ns);
    expect_eq_int("lowest priority to all vCPUs' logical bits: delivered to one of them, once", 1,
                  (int64_t)(lowest_hits() - before));
}

static void ipi_checks(void)
{
    char what[112];
    static const uint8_t vectors[] = {
        IPI_FIXED_VECTOR,   IPI_ALL_VECTOR,  IPI_ALL_BUT_SELF_VECTOR, IPI_BROADCAST_VECTOR,
        IPI_LOGICAL_VECTOR, IPI_PONG_VECTOR, IPI_NOWHERE_VECTOR,      IPI_LOWEST_VECTOR};
    for (unsigned int i = 0; i < ARRAY_SIZE(vectors); i++) {
        interrupt_set_handler(vectors[i], on_interrupt);
    }
    interrupt_set_handler(IPI_PING_VECTOR, on_ping);
    interrupt_set_handler(IPI_TIMER_START_VECTOR, on_timer_start);
    interrupt_set_handler(AP_TIMER_VECTOR, on_ap_timer);
    nmi_set_handler(on_nmi);
    for (unsigned int id = 1; id < vcpu_count; id++) {
        snprintf(what, sizeof(what), "vcpu %u initialised and started", id);
        expect_eq_int(what, 0, vcpu_start(id, secondary));
    }
    uint64_t give_up = system_time_ns() + READY_TIMEOUT_NS;
    for (unsigned int id = 1; id < vcpu_count; id++) {
        while (!__atomic_load_n(&ready[id], __ATOMIC_SEQ_CST) && system_time_ns() < give_up) {
            sched_op(SCHEDOP_yield, NULL);
        }
        snprintf(what, sizeof(what), "vcpu %u reported in", id);
        if (!expect(ready[id], what)) {
            return;
        }
    }
    uint32_t everyone = (1u << vcpu_count) - 1;
    for (unsigned int id = 0; id < vcpu_count; id++) {
        snprintf(what, sizeof(what), "fixed IPI to x2APIC id %u", id);
        expect_ipi_reaches(what, id, 0, IPI_FIXED_VECTOR, 1u << id);
    }
    expect_ipi_reaches("shorthand all-including-self", 0, LAPIC_ICR_ALL, IPI_ALL_VECTOR, everyone);
    expect_ipi_reaches("shorthand all-but-self", 0, LAPIC_ICR_ALL_BUT_SELF, IPI_ALL_BUT_SELF_VECTOR,
                       everyone & ~1u);
    expect_ipi_reaches("physical broadcast 0xffffffff", LAPIC_ICR_BROADCAST, 0,
                       IPI_BROADCAST_VECTOR, everyone);
    uint32_t odd = everyone & 0xaaaau;
    uint32_t even = everyone & 0x5555u;
    expect_ipi_reaches("logical cluster 0, the odd vCPUs' bits", odd, LAPIC_ICR_LOGICAL,
                       IPI_LOGICAL_VECTOR, odd);
    expect_ipi_reaches("logical cluster 0, the even vCPUs' bits", even, LAPIC_ICR_LOGICAL,
                       IPI_LOGICAL_VECTOR, even);
    expect_ipi_reaches("logical cluster 1 (nobody there)", 1u << LOGICAL_CLUSTER_SHIFT | 0xffffu,
                       LAPIC_ICR_LOGICAL, IPI_LOGICAL_VECTOR, 0);
    expect_ipi_reaches("fixed IPI to x2APIC id 100 (nobody there)", 100, 0, IPI_NOWHERE_VECTOR, 0);

    /* Each other vCPU answers from its handler with an IPI to vCPU 0. */
    for (unsigned int id = 1; id < vcpu_count; id++) {
        uint32_t before = hits[0][IPI_PONG_VECTOR];
        lapic_send_ipi(id, IPI_PING_VECTOR);
        bool answered = wait_hits(0, IPI_PONG_VECTOR, before + 1, system_time_ns() + lost_ns);
        snprintf(what, sizeof(what), "vcpu %u answers an IPI with an IPI to vCPU 0", id);
        expect(answered && hits[id][IPI_PING_VECTOR] == 1, what);
    }

    expect_lowest_priority(everyone);

    /* Every other vCPU runs its own timer at once (more vCPUs than CPUs):
     * each interrupt comes to the vCPU that armed it, on time. */
    lapic_send_ipi(0, LAPIC_ICR_ALL_BUT_SELF | IPI_TIMER_START_VECTOR);
    give_up = system_time_ns() + timer_ns + lost_ns;
    for (unsigned int id = 1; id < vcpu_count; id++) {
        wait_hits(id, AP_TIMER_VECTOR, 1, give_up);
    }
    interrupts_on_for(hold_ns);
    for (unsigned int id = 0; id < vcpu_count; id++) {
        uint32_t n = hits[id][AP_TIMER_VECTOR];
        snprintf(what, sizeof(what),
                 id == 0 ? "vcpu %u: no other vCPU's timer interrupt reaches it"
                         : "vcpu %u: its own LAPIC timer interrupts it, once",
                 id);
        expect_eq_int(what, id == 0 ? 0 : 1, n);
        if (id != 0 && n == 1) {
            snprintf(what, sizeof(what), "vcpu %u: its timer, ns after the deadline", id);
            expect_within(what, 0, (int64_t)late_ns,
                          (int64_t)(ap_fired_ns[id] - (ap_armed_ns[id] + timer_ns)));
        }
    }

    if (test_nmi) {
        for (unsigned int id = 0; id < vcpu_count; id++) {
            uint32_t before[GUEST_MAX_VCPUS];
            for (unsigned int j = 0; j < vcpu_count; j++) {
                before[j] = nmi_hits[j];
            }
            lapic_send_ipi(id, LAPIC_ICR_NMI | NMI_VECTOR);
            uint64_t until = system_time_ns() + lost_ns;
            while (nmi_hits[id] == before[id] && system_time_ns() < until) {
                __asm__ volatile("pause");
            }
            interrupts_on_for(hold_ns);
            bool only = nmi_hits[id] == before[id] + 1;
            for (unsigned int j = 0; j < vcpu_count; j++) {
                only = only && (j == id || nmi_hits[j] == before[j]);
            }
            snprintf(what, sizeof(what), "NMI IPI to vCPU %u arrives there only, once", id);
            expect(only, what);
        }
    }
}

/* ---- The upcall and the vLAPIC together ------------------------------------------------ */

static uint32_t timer_port, self_port;
static volatile bool upcall_saw_in_service;

static void on_event(uint32_t port)
{
    (void)port;
    /* The callback vector never goes through the local APIC's ISR. */
    if (lapic_vector_bit(X2APIC_ISR0, UPCALL_VECTOR)) {
        upcall_saw_in_service = true;
    }
}

/* Opens interrupt windows until the LAPIC handler ran @lapic_target times and
 * @port had @event_target events, or until @give_up_ns. Returns how many
 * windows it took (0: it gave up). */
static unsigned int deliver_both(uint32_t port, uint64_t event_target, uint32_t lapic_target,
                                 uint64_t give_up_ns)
{
    for (unsigned int windows = 1;; windows++) {
        __asm__ volatile("sti; nop; cli" : : : "memory");
        if (evtchn_event_count(port) >= event_target && hits[0][COEXIST_VECTOR] >= lapic_target) {
            return windows;
        }
        if (system_time_ns() >= give_up_ns) {
            return 0;
        }
    }
}

/* One round: @arm makes an upcall and a LAPIC interrupt pending with
 * interrupts off; then both must be delivered. */
struct coexist_result {
    unsigned int rounds, both_pending, one_window, lost, extra;
};

static void coexist_round(bool timers, unsigned int i, struct coexist_result *r)
{
    uint32_t port = timers ? timer_port : self_port;
    uint64_t events_before = evtchn_event_count(port);
    uint32_t lapic_before = hits[0][COEXIST_VECTOR];
    uint64_t now = system_time_ns();
    uint64_t last_deadline = now;
    if (timers) {
        /* The two deadlines in turn before, with and after one another. */
        uint64_t base = timer_ns / 4;
        uint64_t upcall_at = now + base * (2 + (i % 3 == 2)) / 2;
        uint64_t lapic_in = base * (2 + (i % 3 == 1)) / 2;
        singleshot_timer_set(0, upcall_at, 0);
        wrmsr(X2APIC_TIMER_INITIAL, (uint32_t)lapic_in);
        last_deadline = upcall_at > now + lapic_in ? upcall_at : now + lapic_in;
    } else {
        evtchn_send_port(self_port);
        lapic_self_ipi(COEXIST_VECTOR);
    }
    /* Interrupts off until both are pending (or well past the deadlines). */
    bool both = false;
    while (!both && system_time_ns() < last_deadline + hold_ns) {
        both = this_vcpu_info()->evtchn_upcall_pending &&
               lapic_vector_bit(X2APIC_IRR0, COEXIST_VECTOR);
    }
    r->both_pending += both;
    unsigned int windows =
        deliver_both(port, events_before + 1, lapic_before + 1, last_deadline + lost_ns);
    r->one_window += windows == 1;
    r->lost += windows == 0;
    r->extra +=
        hits[0][COEXIST_VECTOR] > lapic_before + 1 || evtchn_event_count(port) > events_before + 1;
    r->rounds++;
}

static void coexist_checks(void)
{
    char what[160];
    interrupt_set_handler(COEXIST_VECTOR, on_interrupt);
    interrupt_set_handler(LOW_VECTOR, on_interrupt);
    if (!expect_eq_int("self IPI event channel bound", 0, evtchn_bind_ipi_port(0, &self_port))) {
        return;
    }
    evtchn_set_handler(self_port, on_event);
    evtchn_set_handler(timer_port, on_event);
    evtchn_unmask_port(self_port);
    evtchn_unmask_port(timer_port);
    wrmsr(X2APIC_LVT_TIMER, COEXIST_VECTOR | LAPIC_LVT_TIMER_ONESHOT);
    wrmsr(X2APIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
    for (int timers = 0; timers <= 1; timers++) {
        const char *how = timers ? "VIRQ_TIMER and the LAPIC timer" : "IPI event and self-IPI";
        struct coexist_result r = {0};
        for (unsigned int i = 0; i < rounds; i++) {
            coexist_round(timers, i, &r);
        }
        printf("lapic: coexist (%s): %u rounds, both pending at once in %u, delivered in one "
               "window in %u, lost %u, duplicated %u\n",
               how, r.rounds, r.both_pending, r.one_window, r.lost, r.extra);
        snprintf(what, sizeof(what), "coexist (%s): both handlers ran in every round", how);
        expect_eq_int(what, 0, r.lost);
        snprintf(what, sizeof(what), "coexist (%s): nothing delivered twice", how);
        expect_eq_int(what, 0, r.extra);
        if (!timers) {
            snprintf(what, sizeof(what), "coexist (%s): both pending together before STI", how);
            expect_eq_int(what, r.rounds, r.both_pending);
        }
    }
    expect(!upcall_saw_in_service, "the upcall handler never found the callback vector in ISR");
    expect(bitmap_empty(X2APIC_ISR0) && bitmap_empty(X2APIC_IRR0) && rdmsr(X2APIC_PPR) == 0,
           "after the rounds: ISR and IRR empty, PPR 0");
    uint32_t before = hits[0][LOW_VECTOR];
    lapic_self_ipi(LOW_VECTOR);
    expect(wait_hits(0, LOW_VECTOR, before + 1, system_time_ns() + lost_ns),
           "a low-class vector (0x31) still gets through afterwards");
    wrmsr(X2APIC_LVT_TIMER, COEXIST_VECTOR | LAPIC_LVT_MASKED);
}

/* ---- Main ------------------------------------------------------------------------------ */

static void read_parameters(void)
{
    vcpu_count = (unsigned int)cmdline_u64("vcpus", 1);
    if (vcpu_count < 1 || vcpu_count > GUEST_MAX_VCPUS) {
        check(false, "vcpus= is 1..8");
        vcpu_count = 1;
    }
    timer_ns = cmdline_u64("timer_us", 2000) * NS_PER_US;
    late_ns = cmdline_u64("late_us", 5000) * NS_PER_US;
    period_ns = cmdline_u64("period_us", 1000) * NS_PER_US;
    periods = (unsigned int)cmdline_u64("periods", 20);
    periods = periods < 2 ? 2 : periods > MAX_PERIODS ? MAX_PERIODS : periods;
    rounds = (unsigned int)cmdline_u64("rounds", 100);
    test_nmi = cmdline_u64("nmi", 1) != 0;
    /* Windows in which an interrupt that can be delivered would have been. */
    hold_ns = late_ns / 4;
    quiet_ns = timer_ns + late_ns;
    lost_ns = 10 * (timer_ns + late_ns);
    printf("lapic: vcpus=%u timer %lu us, late bound %lu us, period %lu us x %u, %u rounds\n",
           vcpu_count, (unsigned long)(timer_ns / NS_PER_US), (unsigned long)(late_ns / NS_PER_US),
           (unsigned long)(period_ns / NS_PER_US), periods, rounds);
}

static bool events_setup(void)
{
    if (shared_info_map() == NULL || !expect_eq_int("upcall set up", 0, upcall_setup()) ||
        !expect_eq_int("VIRQ_TIMER bound", 0, evtchn_bind_virq_port(VIRQ_TIMER, 0, &timer_port))) {
        return false;
    }
    return true;
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    read_parameters();
    uint64_t id;
    struct cpuid_result leaf1 = cpuid(1, 0);
    section_begin("identity");
    expect(leaf1.ecx & LAPIC_CPUID1_ECX_X2APIC, "CPUID.1:ECX[21] offers x2APIC");
    int fault = safe_rdmsr(X2APIC_ID, &id);
    if (!expect_eq_int("the x2APIC MSRs are there (RDMSR 0x802 does not fault)", NO_FAULT, fault)) {
        section_end();
        print_summary();
        return;
    }
    identity_checks(0);
    section_end();

    interrupt_set_handler(SPURIOUS_VECTOR, on_interrupt);
    no_eoi[SPURIOUS_VECTOR] = true; /* a spurious interrupt is not in service */
    interrupt_set_handler(TIMER_VECTOR, on_interrupt);

    section_begin("faults");
    fault_checks();
    section_end();

    section_begin("timer");
    if (events_setup()) {
        timer_one_shot(LAPIC_TIMER_DIVIDE_1, 1);
        timer_one_shot(LAPIC_TIMER_DIVIDE_16, 16);
        timer_counts_down();
        timer_periodic();
        timer_tsc_deadline();
        timer_masked();
        timer_wakes_hlt();
    }
    section_end();

    section_begin("priority");
    priority_checks();
    section_end();

    if (vcpu_count > 1) {
        section_begin("ipi");
        ipi_checks();
        section_end();
    }

    section_begin("coexist");
    if (timer_port != 0) {
        coexist_checks();
    }
    section_end();

    printf("lapic: spurious interrupts seen: %u\n", hits[0][SPURIOUS_VECTOR]);
    print_summary();
}
