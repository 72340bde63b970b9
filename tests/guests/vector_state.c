/* vector_state: a guest's vector registers, MXCSR and XCR0 survive every
 * switch, and nothing of another guest's shows up in them.
 *
 * Two domains run this on the same CPU with different seed=N. Each turns on
 * SSE and XSAVE (CR0, CR4.OSXSAVE), enables with XSETBV every component
 * CPUID 0xD.0 offers, and fills YMM0-15, or ZMM0-31 and k0-7 when AVX-512
 * is offered, and MXCSR (rounding, masks, flags: not the reset value) with
 * a pattern drawn from its seed. Then yields=N times SCHEDOP_yield (each one
 * hands the CPU to the other domain, which holds its own pattern in the
 * same registers), and every few yields blocks (SCHEDOP_block) until a
 * one-shot timer a little in the future wakes it, blocks=N times in all;
 * after each it reads every register, MXCSR and XCR0 (XGETBV) back and
 * compares. Every mismatch is one line naming the register, the lane, what
 * it held and what it should hold: a loss (our state not restored) or a
 * leak (the other domain's). The summary line says what was checked:
 *   guest: vector state intact: 4000 yields, 400 blocks, ymm0-15 zmm0-31 k0-7 mxcsr xcr0=0xe7
 *
 * With bench=N it measures instead: the two domains yield to each other,
 * first with AVX-512 disabled in XCR0 (its state initial), then with
 * ZMM0-31 and k0-7 full, N yields each after a warm-up, and prints
 *   bench: vcpu switch (other domain), avx512 idle <ticks per switch>
 *   bench: vcpu switch (other domain), avx512 in use <ticks per switch>
 * In lock step each yield of one domain is two switches (there and back);
 * the figure is the cheapest of ten windows (see measure_switches). On Bochs
 * with ips=1e9 and clock sync=none a tick is an instruction. */
#include "runtime/runtime.h"

const char guest_name[] = "vector_state";

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_AVX (1u << 28)
#define CPUID7_EBX_AVX512F (1u << 16)
#define CPUID7_EBX_AVX512BW (1u << 30)
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_AVX512 (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */
#define MXCSR_DAZ (1u << 6)     /* not on every CPU: left clear */
#define MXCSR_VALID 0xffffu
#define MXCSR_RESET 0x1f80u

#define YMM_COUNT 16
#define YMM_BYTES 32
#define ZMM_COUNT 32
#define ZMM_BYTES 64
#define K_COUNT 8
#define DEFAULT_YIELDS 4000
#define DEFAULT_BLOCKS 400
#define BLOCK_BASE_US 30   /* the timer: this far in the future, */
#define BLOCK_SPREAD_US 70 /* plus up to this much more */
#define BLOCK_GIVE_UP_NS (2 * NS_PER_S)
#define MAX_MISMATCH_LINES 40
#define BENCH_WARMUP_DIVISOR 5 /* warm-up and tail: a fifth of the measured yields */
#define BENCH_WINDOWS 10

void vregs_load_ymm(const void *buffer);
void vregs_store_ymm(void *buffer);
void vregs_load_zmm(const void *buffer);
void vregs_store_zmm(void *buffer);
void vregs_load_k64(const void *buffer);
void vregs_store_k64(void *buffer);
void vregs_load_k16(const void *buffer);
void vregs_store_k16(void *buffer);
void vregs_load_mxcsr(const void *buffer);
void vregs_store_mxcsr(void *buffer);

/* What this guest put in the registers, and a buffer to read them back. */
static struct {
    bool avx512, k64;
    uint64_t xcr0;
    uint32_t mxcsr;
    uint64_t ymm[YMM_COUNT][YMM_BYTES / 8];
    uint64_t zmm[ZMM_COUNT][ZMM_BYTES / 8];
    uint64_t k[K_COUNT];
    uint16_t k16[K_COUNT];
} want;
static struct {
    uint32_t mxcsr;
    uint64_t ymm[YMM_COUNT][YMM_BYTES / 8];
    uint64_t zmm[ZMM_COUNT][ZMM_BYTES / 8];
    uint64_t k[K_COUNT];
    uint16_t k16[K_COUNT];
} got;
static unsigned int mismatches, mismatch_lines;
static uint32_t timer_port;

static uint64_t random_state;
static uint64_t random_next(void) /* xorshift64 */
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* SSE and XSAVE on, every offered component enabled. False (a check has
 * failed) when the CPU model offers no AVX. */
static bool enable_vector_state(void)
{
    struct cpuid_result leaf1 = cpuid(1, 0);
    if (!check((leaf1.ecx & CPUID1_ECX_XSAVE) && (leaf1.ecx & CPUID1_ECX_AVX),
               "CPUID offers XSAVE and AVX")) {
        return false;
    }
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" : : "r"((cr0 | CR0_MP) & ~(CR0_EM | CR0_TS)));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE));
    struct cpuid_result leaf_d = cpuid(0xd, 0);
    uint64_t offered = ((uint64_t)leaf_d.edx << 32) | leaf_d.eax;
    want.xcr0 = offered;
    if (!check_eq_int("xsetbv with every component CPUID 0xD.0 offers", NO_FAULT,
                      safe_xsetbv(0, offered))) {
        return false;
    }
    check_eq_hex("xgetbv reads back what was set", offered, xgetbv0());
    uint32_t leaf7_ebx = cpuid(0, 0).eax >= 7 ? cpuid(7, 0).ebx : 0;
    want.avx512 = (offered & XCR0_AVX512) == XCR0_AVX512 && (leaf7_ebx & CPUID7_EBX_AVX512F);
    want.k64 = want.avx512 && (leaf7_ebx & CPUID7_EBX_AVX512BW);
    return true;
}

/* The pattern: every byte from the seed, MXCSR a valid non-reset value. */
static void make_pattern(uint64_t seed)
{
    random_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (unsigned int r = 0; r < YMM_COUNT; r++)
        for (unsigned int q = 0; q < YMM_BYTES / 8; q++)
            want.ymm[r][q] = random_next();
    for (unsigned int r = 0; r < ZMM_COUNT; r++)
        for (unsigned int q = 0; q < ZMM_BYTES / 8; q++)
            want.zmm[r][q] = random_next();
    for (unsigned int r = 0; r < K_COUNT; r++) {
        want.k[r] = random_next();
        want.k16[r] = (uint16_t)want.k[r];
    }
    do {
        want.mxcsr = (uint32_t)random_next() & MXCSR_VALID & ~MXCSR_DAZ;
    } while (want.mxcsr == MXCSR_RESET);
}

static void load_pattern(bool zmm)
{
    vregs_load_mxcsr(&want.mxcsr);
    if (zmm) {
        vregs_load_zmm(want.zmm);
        if (want.k64)
            vregs_load_k64(want.k);
        else
            vregs_load_k16(want.k16);
    } else {
        vregs_load_ymm(want.ymm);
    }
}

static void mismatch(const char *when, unsigned int n, const char *reg, uint64_t held,
                     uint64_t expected)
{
    mismatches++;
    if (mismatch_lines++ < MAX_MISMATCH_LINES) {
        printf("guest: FAIL vector state mismatch after %s %u: %s held 0x%016llx, expected "
               "0x%016llx\n",
               when, n, reg, (unsigned long long)held, (unsigned long long)expected);
    }
}

/* Reads everything back; one line per differing 64-bit lane. */
static void check_state(const char *when, unsigned int n, bool zmm)
{
    char name[24];
    vregs_store_mxcsr(&got.mxcsr);
    if (got.mxcsr != want.mxcsr)
        mismatch(when, n, "mxcsr", got.mxcsr, want.mxcsr);
    uint64_t xcr0 = xgetbv0();
    if (xcr0 != want.xcr0)
        mismatch(when, n, "xcr0", xcr0, want.xcr0);
    if (zmm) {
        vregs_store_zmm(got.zmm);
        for (unsigned int r = 0; r < ZMM_COUNT; r++)
            for (unsigned int q = 0; q < ZMM_BYTES / 8; q++)
                if (got.zmm[r][q] != want.zmm[r][q]) {
                    snprintf(name, sizeof(name), "zmm%u[%u]", r, q);
                    mismatch(when, n, name, got.zmm[r][q], want.zmm[r][q]);
                }
        if (want.k64)
            vregs_store_k64(got.k);
        else
            vregs_store_k16(got.k16);
        for (unsigned int r = 0; r < K_COUNT; r++) {
            uint64_t held = want.k64 ? got.k[r] : got.k16[r];
            uint64_t expected = want.k64 ? want.k[r] : want.k16[r];
            if (held != expected) {
                snprintf(name, sizeof(name), "k%u", r);
                mismatch(when, n, name, held, expected);
            }
        }
    } else {
        vregs_store_ymm(got.ymm);
        for (unsigned int r = 0; r < YMM_COUNT; r++)
            for (unsigned int q = 0; q < YMM_BYTES / 8; q++)
                if (got.ymm[r][q] != want.ymm[r][q]) {
                    snprintf(name, sizeof(name), "ymm%u[%u]", r, q);
                    mismatch(when, n, name, got.ymm[r][q], want.ymm[r][q]);
                }
    }
}

/* Blocks until the one-shot timer, armed a little in the future, fires.
 * False when it never did (checked by the caller's count). */
static bool block_on_timer(unsigned int n)
{
    uint64_t events = evtchn_event_count(timer_port);
    uint64_t deadline = system_time_ns() + (BLOCK_BASE_US + n % BLOCK_SPREAD_US) * NS_PER_US;
    if (singleshot_timer_set(0, deadline, 0) != 0)
        return false;
    uint64_t give_up = deadline + BLOCK_GIVE_UP_NS;
    while (evtchn_event_count(timer_port) == events && system_time_ns() < give_up)
        wait_for_event();
    return evtchn_event_count(timer_port) != events;
}

static bool timer_setup(void)
{
    if (shared_info_map() == NULL)
        return false;
    if (!check_eq_int("bind_virq(VIRQ_TIMER) succeeds", 0,
                      evtchn_bind_virq_port(VIRQ_TIMER, 0, &timer_port)))
        return false;
    if (!check_eq_int("upcall vector registered", 0, upcall_setup()))
        return false;
    evtchn_set_handler(timer_port, NULL);
    evtchn_unmask_port(timer_port);
    return true;
}

static void keep_state(unsigned int yields, unsigned int blocks)
{
    bool zmm = want.avx512;
    unsigned int every = blocks ? (yields + blocks - 1) / blocks : 0;
    unsigned int blocked = 0, woke = 0;
    load_pattern(zmm);
    check_state("setup", 0, zmm);
    for (unsigned int i = 1; i <= yields; i++) {
        sched_op(SCHEDOP_yield, NULL);
        check_state("yield", i, zmm);
        if (every && i % every == 0 && blocked < blocks) {
            blocked++;
            woke += block_on_timer(i);
            check_state("block", blocked, zmm);
        }
    }
    while (blocked < blocks) { /* only when blocks > yields */
        blocked++;
        woke += block_on_timer(blocked);
        check_state("block", blocked, zmm);
    }
    check_eq_int("every block woke from its timer", blocks, woke);
    check_eq_int("registers, MXCSR and XCR0 always read back as loaded", 0, mismatches);
    if (mismatches == 0) {
        printf("guest: vector state intact: %u yields, %u blocks, %s mxcsr xcr0=0x%llx\n", yields,
               blocks, zmm ? "ymm0-15 zmm0-31 k0-7" : "ymm0-15", (unsigned long long)want.xcr0);
    }
}

/* Ticks per switch in lock step with the other domain: the cheapest of
 * BENCH_WINDOWS windows of @yields / BENCH_WINDOWS yields each, so that the
 * other domain's start-up or console output (a line through the emulated
 * UART costs millions of ticks) in one window does not count. */
static uint64_t measure_switches(unsigned int yields)
{
    unsigned int per_window = yields / BENCH_WINDOWS ? yields / BENCH_WINDOWS : 1;
    for (unsigned int i = 0; i < yields / BENCH_WARMUP_DIVISOR; i++)
        sched_op(SCHEDOP_yield, NULL);
    uint64_t best = UINT64_MAX;
    for (unsigned int w = 0; w < BENCH_WINDOWS; w++) {
        uint64_t start = rdtsc();
        for (unsigned int i = 0; i < per_window; i++)
            sched_op(SCHEDOP_yield, NULL);
        uint64_t ticks = rdtsc() - start;
        best = ticks < best ? ticks : best;
    }
    return (best + per_window) / (2ull * per_window);
}

/* Prints only when both domains are done measuring (see measure_switches). */
static void bench(unsigned int yields)
{
    uint64_t idle, busy = 0;
    want.xcr0 &= ~XCR0_AVX512;
    check_eq_int("xsetbv without AVX-512", NO_FAULT, safe_xsetbv(0, want.xcr0));
    load_pattern(false);
    idle = measure_switches(yields);
    check_state("bench (avx512 idle)", yields, false);
    if (want.avx512) {
        want.xcr0 |= XCR0_AVX512;
        check_eq_int("xsetbv with AVX-512", NO_FAULT, safe_xsetbv(0, want.xcr0));
        load_pattern(true);
        busy = measure_switches(yields);
        check_state("bench (avx512 in use)", yields, true);
    }
    /* The other domain may still be measuring: keep switching with it. */
    for (unsigned int i = 0; i < yields / BENCH_WARMUP_DIVISOR; i++)
        sched_op(SCHEDOP_yield, NULL);
    printf("bench: vcpu switch (other domain), avx512 idle %llu\n", (unsigned long long)idle);
    if (want.avx512)
        printf("bench: vcpu switch (other domain), avx512 in use %llu\n", (unsigned long long)busy);
    check_eq_int("registers, MXCSR and XCR0 always read back as loaded", 0, mismatches);
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    uint64_t seed = cmdline_u64("seed", 1);
    uint64_t bench_yields = cmdline_u64("bench", 0);
    uint64_t yields = cmdline_u64("yields", DEFAULT_YIELDS);
    uint64_t blocks = cmdline_u64("blocks", DEFAULT_BLOCKS);
    if (!enable_vector_state())
        return;
    make_pattern(seed);
    printf("guest: seed %llu, xcr0 0x%llx, %s, mxcsr 0x%x\n", (unsigned long long)seed,
           (unsigned long long)want.xcr0,
           want.avx512 ? (want.k64 ? "avx-512 (64-bit k)" : "avx-512 (16-bit k)") : "avx",
           want.mxcsr);
    if (bench_yields) {
        bench((unsigned int)bench_yields);
        return;
    }
    if (!timer_setup())
        return;
    keep_state((unsigned int)yields, (unsigned int)blocks);
}
