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
 * hypervisor console a line at a time. */
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

/* ---- Command line and strings ------------------------------------------------- */

/* The value of word "key=value" on the command line, copied to @out;
 * false if absent. */
bool cmdline_get(const char *key, char *out, size_t out_size);
/* Parses a decimal number; false if @text is not one. */
bool parse_u64(const char *text, uint64_t *value);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
char *strstr(const char *haystack, const char *needle);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* GUEST_RUNTIME_H */
