/* The test guests' mini runtime: what a tiny PVH guest needs to talk to
 * xencore and to report checks.
 *
 * Start-up (entry.S, runtime.c): the PVH entry in 32-bit protected mode
 * builds identity page tables for the first 4 GiB (2 MiB pages, user
 * accessible, so ring-3 tests can run anywhere), enters long mode, loads a
 * GDT with kernel and user segments and a TSS, an IDT whose exception
 * handlers report and crash the guest, checks the Xen CPUID signature, sets
 * up the hypercall page and calls guest_main(). When guest_main() returns,
 * the report is printed and the guest shuts down (test_done()).
 *
 * Output goes through console_io, so everything a guest prints reaches the
 * hypervisor console a line at a time.
 *
 * For the scheduling tests: shared_info and system time (pvclock.c), event
 * channels, the upcall on Xen's callback vector and the ways to sleep until
 * an event (events.c), and secondary vCPUs started with VCPUOP_initialise
 * and VCPUOP_up, each on its own stack (smp.c).
 *
 * For the virtual x2APIC tests: handlers for external-interrupt vectors
 * 32-255 (entry.S, runtime.c) and the x2APIC MSRs' names. */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/abi/guest.h>

/* ---- Provided by each guest --------------------------------------------- */

/* The test program's name, printed at start ("guest: hello starting"). */
extern const char guest_name[];
/* The checks. The runtime calls test_done() when it returns. */
void guest_main(const struct hvm_start_info *start_info, const char *cmdline);

/* ---- Hypercalls ----------------------------------------------------------- */

/* Through the hypercall page the hypervisor filled (slot nr at page + 32*nr). */
long hypercall_page_call(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                         unsigned long a4, unsigned long a5);
/* Issuing the instruction directly, as recent Linux does. */
long hypercall_vmcall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                      unsigned long a4, unsigned long a5);
long hypercall_vmmcall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                       unsigned long a4, unsigned long a5);
/* The direct instruction matching the CPU vendor (vmcall on Intel, vmmcall on AMD). */
long hypercall_direct(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                      unsigned long a4, unsigned long a5);

#define hypercall(nr, a1, a2, a3, a4, a5)                                                          \
    hypercall_page_call((nr), (unsigned long)(a1), (unsigned long)(a2), (unsigned long)(a3),       \
                        (unsigned long)(a4), (unsigned long)(a5))

extern uint8_t hypercall_page[4096];
/* True when CPUID leaf 0 says AuthenticAMD (or HygonGenuine). */
extern bool cpu_is_amd;

long xen_version(unsigned int cmd, void *arg);
long console_io_write(const char *bytes, size_t length);
long sched_op(unsigned int cmd, void *arg);
long memory_op(unsigned int cmd, void *arg);
long hvm_op(unsigned int cmd, void *arg);
_Noreturn void shutdown(unsigned int reason);

/* ---- Faults a test expects ----------------------------------------------- */

/* Each runs one instruction with the exception handler armed to recover:
 * they return -1 when the instruction completed, else the vector it raised
 * (e.g. 13 for #GP) and fault_error_code holds its error code. */
int safe_rdmsr(uint32_t msr, uint64_t *value);
int safe_wrmsr(uint32_t msr, uint64_t value);
int safe_xsetbv(uint32_t xcr, uint64_t value);
int safe_read64(const volatile void *address, uint64_t *value);
/* A direct hypercall instruction (amd: vmmcall, else vmcall) with 2 arguments. */
int safe_hypercall_insn(bool amd, unsigned long nr, unsigned long a1, unsigned long a2,
                        long *result);
extern uint64_t fault_error_code;
#define NO_FAULT (-1)

/* ---- Ring 3 ------------------------------------------------------------------------ */

/* Runs @fn at CPL 3 on its own stack; @fn ends with user_mode_exit(). */
void run_in_user_mode(void (*fn)(void));
/* From CPL 3: back to the caller of run_in_user_mode() (int $0x80). */
_Noreturn void user_mode_exit(void);

/* ---- CPU -------------------------------------------------------------------------- */

struct cpuid_result {
    uint32_t eax, ebx, ecx, edx;
};
struct cpuid_result cpuid(uint32_t leaf, uint32_t subleaf);
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t value);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

/* ---- Output --------------------------------------------------------------------- */

/* printf with %d %i %u %x %X %p %s %c %%, flags '-' and '0', a width, and
 * the length modifiers h, l, ll, z. Output is sent a line at a time. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buffer, size_t size, const char *fmt, va_list ap);
int snprintf(char *buffer, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- Test report ---------------------------------------------------------------- */

/* Each check prints "guest: ok <what>" or
 * "guest: FAIL <what> (expected X, got Y)" and counts. */
bool check(bool condition, const char *what);
bool check_eq_hex(const char *what, uint64_t expected, uint64_t got);
bool check_eq_int(const char *what, int64_t expected, int64_t got);
bool check_nonzero(const char *what, uint64_t got);
/* Prints "guest: done P passed, F failed" and powers off (all passed) or
 * crashes (any failed). */
_Noreturn void test_done(void);

/* ---- shared_info and time (runtime/pvclock.c) ------------------------------------ */

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

/* The shared_info page, once shared_info_map() has mapped it (else NULL). */
extern volatile struct shared_info *shared_info;
/* Maps shared_info (XENMAPSPACE_shared_info) into a frame of the guest's own
 * .bss, once; later calls return the same page. NULL if the hypervisor
 * refused (the check that says so has already failed). */
volatile struct shared_info *shared_info_map(void);
/* This vCPU's vcpu_info in shared_info (vCPUs 0..31). */
volatile struct vcpu_info *this_vcpu_info(void);
/* System time in ns (the hypervisor's, shared by every domain and vCPU), read
 * from this vCPU's vcpu_time_info with the version protocol and TSC scaling.
 * shared_info must be mapped. */
uint64_t system_time_ns(void);
/* Spins until system time reaches @deadline_ns. */
void spin_until_ns(uint64_t deadline_ns);
/* The TSC ticks in @ns nanoseconds and back, by this vCPU's pvclock scale
 * (for IA32_TSC_DEADLINE, and to turn TSC deltas into time). */
uint64_t ns_to_tsc_ticks(uint64_t ns);
uint64_t tsc_ticks_to_ns(uint64_t ticks);

/* ---- Event channels and vCPU timers (runtime/events.c) --------------------------- */

/* The vector Xen's callback (HVM_PARAM_CALLBACK_IRQ type 2) is delivered on. */
#define UPCALL_VECTOR 0xf3
/* Ports the runtime keeps handlers and counters for (of the 2-level ABI's 4096). */
#define EVTCHN_TRACKED_PORTS 256

long vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg);
long event_channel_op(unsigned int cmd, void *arg);

/* Each returns 0 and the new port in *port, or the hypercall's -errno. */
long evtchn_bind_virq_port(uint32_t virq, uint32_t vcpu, uint32_t *port);
long evtchn_alloc_unbound_port(uint16_t remote_domid, uint32_t *port);
long evtchn_bind_interdomain_port(uint16_t remote_domid, uint32_t remote_port, uint32_t *port);
long evtchn_bind_ipi_port(uint32_t vcpu, uint32_t *port);
long evtchn_send_port(uint32_t port);
long evtchn_unmask_port(uint32_t port);
long evtchn_close_port(uint32_t port);

/* Direct edits of the shared bitmaps (atomic, as the hypervisor writes them too). */
void evtchn_mask(uint32_t port);
void evtchn_clear_pending(uint32_t port);
bool evtchn_pending(uint32_t port);

/* SCHEDOP_poll on @count ports until one is pending (even masked) or system
 * time reaches @timeout_abs_ns (0: no timeout). */
long sched_poll_ports(const uint32_t *ports, unsigned int count, uint64_t timeout_abs_ns);
/* VCPUOP_set_singleshot_timer for the calling vCPU @vcpu (VIRQ_TIMER at the deadline). */
long singleshot_timer_set(unsigned int vcpu, uint64_t deadline_ns, uint32_t flags);

/* Upcalls: upcall_setup() installs the IDT entry for UPCALL_VECTOR and sets
 * HVM_PARAM_CALLBACK_IRQ (once per domain; later calls only unmask), and
 * clears this vCPU's evtchn_upcall_mask. Upcalls then arrive whenever
 * RFLAGS.IF is set (the runtime runs with it clear: see wait_for_event()).
 * The handler clears evtchn_upcall_pending, scans the selector and pending
 * words, clears each pending unmasked port, counts it and calls its handler. */
typedef void (*evtchn_handler_fn)(uint32_t port);
long upcall_setup(void);
/* Runs @fn in the upcall for @port (< EVTCHN_TRACKED_PORTS); NULL: count only. */
void evtchn_set_handler(uint32_t port, evtchn_handler_fn fn);
/* Events seen on @port by the upcall handler, and upcalls taken per vCPU. */
uint64_t evtchn_event_count(uint32_t port);
uint64_t upcall_count(unsigned int vcpu);

/* With interrupts off: SCHEDOP_block (returns at once if an upcall is
 * pending), then opens an interrupt window (sti; nop; cli) so the pending
 * upcall runs. Race-free: an event that arrives before the block makes it
 * return. Returns the block's result. */
long wait_for_event(void);
/* The same through HLT with interrupts on (sti; hlt; cli). */
void halt_for_event(void);

static inline void irq_disable(void)
{
    __asm__ volatile("cli" : : : "memory");
}

/* Points IDT entry @vector at @handler (an interrupt gate, DPL 0). */
void runtime_idt_set_interrupt(unsigned int vector, uint64_t handler);
/* Loads the runtime's IDT on a secondary vCPU. */
void runtime_load_idt(void);

/* ---- External interrupts and the local APIC (runtime.c) ------------------------- */

/* Every vector from 32 to 255 has a stub (entry.S) that calls the handler
 * hooked here with the vector, interrupts off; an interrupt nobody hooked
 * fails a check (and is EOI'd if the local APIC has it in service). The
 * upcall vector keeps its own entry once upcall_setup() ran, and 0x80 is
 * the ring-3 return. Handlers are shared by all vCPUs; a LAPIC interrupt's
 * handler sends the EOI itself (lapic_eoi()), or leaves the vector in
 * service on purpose. */
#define FIRST_EXTERNAL_VECTOR 32
typedef void (*interrupt_handler_fn)(unsigned int vector);
void interrupt_set_handler(unsigned int vector, interrupt_handler_fn fn);
/* Runs @fn on an NMI (vector 2) instead of reporting it and crashing. */
void nmi_set_handler(void (*fn)(void));

/* The x2APIC as MSRs (SDM vol. 3, 11.12; the register of MMIO offset o is
 * MSR 0x800 + o / 16). */
#define LAPIC_MSR_APIC_BASE 0x1bu
#define LAPIC_BASE_BSP (1ull << 8)
#define LAPIC_BASE_X2APIC (1ull << 10)
#define LAPIC_BASE_ENABLE (1ull << 11)
#define LAPIC_MSR_TSC_DEADLINE 0x6e0u
#define X2APIC_ID 0x802u
#define X2APIC_VERSION 0x803u
#define X2APIC_TPR 0x808u
#define X2APIC_PPR 0x80au
#define X2APIC_EOI 0x80bu
#define X2APIC_LDR 0x80du
#define X2APIC_SVR 0x80fu
#define X2APIC_ISR0 0x810u /* 8 registers of 32 vectors each */
#define X2APIC_TMR0 0x818u
#define X2APIC_IRR0 0x820u
#define X2APIC_ESR 0x828u
#define X2APIC_ICR 0x830u
#define X2APIC_LVT_TIMER 0x832u
#define X2APIC_LVT_LINT0 0x835u
#define X2APIC_LVT_ERROR 0x837u
#define X2APIC_TIMER_INITIAL 0x838u
#define X2APIC_TIMER_CURRENT 0x839u
#define X2APIC_TIMER_DIVIDE 0x83eu
#define X2APIC_SELF_IPI 0x83fu

#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_LVT_TIMER_ONESHOT (0u << 17)
#define LAPIC_LVT_TIMER_PERIODIC (1u << 17)
#define LAPIC_LVT_TIMER_TSC_DEADLINE (2u << 17)
#define LAPIC_TIMER_DIVIDE_1 0xbu /* TDCR encodings: bits 3, 1:0 */
#define LAPIC_TIMER_DIVIDE_16 0x3u
#define LAPIC_ICR_LOWEST (1u << 8)
#define LAPIC_ICR_NMI (4u << 8)
#define LAPIC_ICR_LOGICAL (1u << 11)
#define LAPIC_ICR_SELF (1u << 18)
#define LAPIC_ICR_ALL (2u << 18)
#define LAPIC_ICR_ALL_BUT_SELF (3u << 18)
#define LAPIC_ICR_BROADCAST 0xffffffffu /* destination: every x2APIC */
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define LAPIC_CPUID1_ECX_X2APIC (1u << 21)
#define LAPIC_CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* Inline: an interrupt handler's EOI should cost the WRMSR and nothing else. */
static inline void lapic_eoi(void)
{
    __asm__ volatile("wrmsr" : : "c"(X2APIC_EOI), "a"(0), "d"(0) : "memory");
}
static inline void lapic_self_ipi(uint8_t vector)
{
    __asm__ volatile("wrmsr" : : "c"(X2APIC_SELF_IPI), "a"((uint32_t)vector), "d"(0) : "memory");
}
/* ICR: @destination (x2APIC id, or cluster << 16 | bitmap with LAPIC_ICR_LOGICAL) in the high
 * half, @command (vector, mode, shorthand) in the low one. */
static inline void lapic_send_ipi(uint32_t destination, uint32_t command)
{
    wrmsr(X2APIC_ICR, (uint64_t)destination << 32 | command);
}
/* Bit @vector of the 256-bit ISR, TMR or IRR starting at MSR @first. */
static inline bool lapic_vector_bit(uint32_t first, uint8_t vector)
{
    return (rdmsr(first + vector / 32) >> (vector % 32)) & 1;
}

/* ---- Secondary vCPUs (runtime/smp.c) -------------------------------------------- */

/* Most vCPUs a test guest brings up (vCPU 0 included). */
#define GUEST_MAX_VCPUS 8

/* This vCPU's id: 0 on the boot stack, else the index of its runtime stack.
 * Cheap (no exit): usable in the upcall handler. */
unsigned int this_vcpu_id(void);
/* What CPUID leaf 0x40000004 says: this vCPU's id and the domain's id. */
unsigned int cpuid_vcpu_id(void);
uint16_t cpuid_domid(void);
/* Gives vCPU @id (1..GUEST_MAX_VCPUS-1) a 64-bit start state with this
 * guest's page tables, its own stack and @fn(@id) as its code
 * (VCPUOP_initialise), then starts it (VCPUOP_up). Returns the first
 * failing hypercall's -errno, or 0. @fn must not return (vcpu_exit()). */
long vcpu_start(unsigned int id, void (*fn)(unsigned int id));
/* Fills @ctx as vcpu_start() would (for tests of VCPUOP_initialise itself). */
void vcpu_start_context(struct vcpu_hvm_context *ctx, unsigned int id, void (*fn)(unsigned int id));
/* Ends a secondary vCPU: VCPUOP_down on itself; if that returns, halts. */
_Noreturn void vcpu_exit(void);

/* ---- Command line and strings ------------------------------------------------- */

/* The value of word "key=value" on the command line, copied to @out;
 * false if absent. */
bool cmdline_get(const char *key, char *out, size_t out_size);
/* Parses a decimal number; false if @text is not one. */
bool parse_u64(const char *text, uint64_t *value);
/* The number "key=N" on the command line, or @fallback when absent; a value
 * that is not a number fails a check and gives @fallback. */
uint64_t cmdline_u64(const char *key, uint64_t fallback);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
char *strstr(const char *haystack, const char *needle);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* GUEST_RUNTIME_H */
