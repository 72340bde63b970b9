/* The test guests' runtime in C: start-up after entry.S, exceptions,
 * hypercall wrappers, console output, the test report.
 *
 * A guest runs identity-mapped with interrupts off (only the event waits in
 * events.c open them). Secondary vCPUs (smp.c) share everything here: the
 * check counters are atomic and printf sends each line in one hypercall;
 * the safe_* fault fix-up is for vCPU 0 only. */
#include "runtime.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* The PVH entry point for the loader: ELF note owner "Xen", type
 * PHYS32_ENTRY, a 4-byte physical address. */
__asm__(".pushsection .note.Xen, \"a\", @note\n"
        "    .p2align 2\n"
        "    .long 4, 4, " STRINGIFY(XEN_ELFNOTE_PHYS32_ENTRY) "\n"
                                                               "    .asciz \"Xen\"\n"
                                                               "    .long pvh_start32\n"
                                                               ".popsection\n");

/* From entry.S */
extern const uint64_t exception_stub_table[32];
extern uint64_t gdt_tss[2];
extern char user_return_entry[];
extern char kernel_stack_top[];
extern char interrupt_stubs[];

#define GDT_KERNEL_CS 0x08
#define GDT_TSS 0x28
#define USER_RETURN_VECTOR 0x80
#define INTERRUPT_STUB_BYTES 16 /* entry.S: the stubs' spacing */
#define NMI_VECTOR 2
#define IDT_INTERRUPT_GATE 0x8e      /* present, DPL 0, 64-bit interrupt gate */
#define IDT_USER_INTERRUPT_GATE 0xee /* the same with DPL 3: int $0x80 from ring 3 */
#define TSS_TYPE_AVAILABLE 0x9
#define DESCRIPTOR_PRESENT (1ull << 47)

#define CPUID_VENDOR_AMD_EBX 0x68747541u   /* "Auth" */
#define CPUID_VENDOR_HYGON_EBX 0x6f677948u /* "Hygo" */

uint8_t hypercall_page[4096] __attribute__((aligned(4096)));
bool cpu_is_amd;
uint64_t fault_fixup_rip; /* armed: where runtime_exception() resumes */
uint64_t fault_error_code;

static char cmdline_copy[1024];
/* Without a Xen-ABI hypervisor there is no console_io: say so on the
 * emulators' debug port instead (Bochs port_e9_hack, QEMU -debugcon). */
static bool console_via_debug_port;
#define DEBUG_PORT 0xe9

/* ---- Strings ----------------------------------------------------------------- */

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n-- > 0) {
        *p++ = (uint8_t)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n-- > 0) {
        *p++ = *q++;
    }
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    if (p < q) {
        return memcpy(d, s, n);
    }
    while (n-- > 0) {
        p[n] = q[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != q[i]) {
            return p[i] < q[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack != '\0'; haystack++) {
        if (memcmp(haystack, needle, n) == 0) {
            return (char *)haystack;
        }
    }
    return n == 0 ? (char *)haystack : NULL;
}

bool parse_u64(const char *text, uint64_t *value)
{
    uint64_t v = 0;
    if (*text == '\0') {
        return false;
    }
    for (; *text != '\0'; text++) {
        if (*text < '0' || *text > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(*text - '0');
    }
    *value = v;
    return true;
}

uint64_t cmdline_u64(const char *key, uint64_t fallback)
{
    char text[24];
    uint64_t value;
    if (!cmdline_get(key, text, sizeof(text))) {
        return fallback;
    }
    if (!parse_u64(text, &value)) {
        char what[64];
        snprintf(what, sizeof(what), "%s=%s on the command line is a number", key, text);
        check(false, what);
        return fallback;
    }
    return value;
}

bool cmdline_get(const char *key, char *out, size_t out_size)
{
    size_t key_length = strlen(key);
    const char *p = cmdline_copy;
    while (*p != '\0') {
        while (*p == ' ') {
            p++;
        }
        const char *word = p;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
        size_t word_length = (size_t)(p - word);
        if (word_length > key_length && word[key_length] == '=' &&
            memcmp(word, key, key_length) == 0) {
            size_t value_length = word_length - key_length - 1;
            if (value_length >= out_size) {
                value_length = out_size - 1;
            }
            memcpy(out, word + key_length + 1, value_length);
            out[value_length] = '\0';
            return true;
        }
    }
    return false;
}

/* ---- Formatting ------------------------------------------------------------------- */

struct format_sink {
    char *buffer;
    size_t size;
    size_t length; /* as if unlimited, like snprintf */
};

static void sink_put(struct format_sink *s, char c)
{
    if (s->length + 1 < s->size) {
        s->buffer[s->length] = c;
    }
    s->length++;
}

static void sink_number(struct format_sink *s, uint64_t value, bool negative, unsigned int base,
                        bool upper, unsigned int width, bool zero_pad, bool left)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char text[24];
    unsigned int n = 0;
    do {
        text[n++] = digits[value % base];
        value /= base;
    } while (value != 0);
    unsigned int total = n + (negative ? 1 : 0);
    if (negative && zero_pad) {
        sink_put(s, '-');
    }
    if (!left) {
        for (; total < width; total++) {
            sink_put(s, zero_pad ? '0' : ' ');
        }
    }
    if (negative && !zero_pad) {
        sink_put(s, '-');
    }
    while (n > 0) {
        sink_put(s, text[--n]);
    }
    if (left) {
        for (; total < width; total++) {
            sink_put(s, ' ');
        }
    }
}

int vsnprintf(char *buffer, size_t size, const char *fmt, va_list ap)
{
    struct format_sink s = {buffer, size, 0};
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            sink_put(&s, *p);
            continue;
        }
        p++;
        bool left = false, zero_pad = false;
        for (;; p++) {
            if (*p == '-') {
                left = true;
            } else if (*p == '0') {
                zero_pad = true;
            } else {
                break;
            }
        }
        unsigned int width = 0;
        while (*p >= '0' && *p <= '9') {
            width = width * 10 + (unsigned int)(*p++ - '0');
        }
        int longs = 0; /* 0 int, 1 long/size_t, 2 long long; h reads an int */
        for (;; p++) {
            if (*p == 'l') {
                longs++;
            } else if (*p == 'z') {
                longs = 1;
            } else if (*p != 'h') {
                break;
            }
        }
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = longs == 0 ? va_arg(ap, int) : va_arg(ap, long);
            uint64_t magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            sink_number(&s, magnitude, v < 0, 10, false, width, zero_pad && !left, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs == 0 ? va_arg(ap, unsigned int) : va_arg(ap, unsigned long);
            sink_number(&s, v, false, *p == 'u' ? 10 : 16, *p == 'X', width, zero_pad && !left,
                        left);
            break;
        }
        case 'p':
            sink_put(&s, '0');
            sink_put(&s, 'x');
            sink_number(&s, (uint64_t)(uintptr_t)va_arg(ap, void *), false, 16, false, width,
                        zero_pad, left);
            break;
        case 'c':
            sink_put(&s, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL) {
                str = "(null)";
            }
            size_t n = strlen(str);
            for (size_t pad = n; !left && pad < width; pad++) {
                sink_put(&s, ' ');
            }
            for (size_t i = 0; i < n; i++) {
                sink_put(&s, str[i]);
            }
            for (size_t pad = n; left && pad < width; pad++) {
                sink_put(&s, ' ');
            }
            break;
        }
        case '%':
            sink_put(&s, '%');
            break;
        case '\0':
            p--;
            break;
        default:
            sink_put(&s, '%');
            sink_put(&s, *p);
            break;
        }
    }
    if (size > 0) {
        s.buffer[s.length < size ? s.length : size - 1] = '\0';
    }
    return (int)s.length;
}

int snprintf(char *buffer, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buffer, size, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- Hypercalls ------------------------------------------------------------------- */

long hypercall_direct(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                      unsigned long a4, unsigned long a5)
{
    return cpu_is_amd ? hypercall_vmmcall(nr, a1, a2, a3, a4, a5)
                      : hypercall_vmcall(nr, a1, a2, a3, a4, a5);
}

long xen_version(unsigned int cmd, void *arg)
{
    return hypercall(HYPERVISOR_xen_version, cmd, arg, 0, 0, 0);
}

long console_io_write(const char *bytes, size_t length)
{
    return hypercall(HYPERVISOR_console_io, CONSOLEIO_write, length, bytes, 0, 0);
}

long sched_op(unsigned int cmd, void *arg)
{
    return hypercall(HYPERVISOR_sched_op, cmd, arg, 0, 0, 0);
}

long memory_op(unsigned int cmd, void *arg)
{
    return hypercall(HYPERVISOR_memory_op, cmd, arg, 0, 0, 0);
}

long hvm_op(unsigned int cmd, void *arg)
{
    return hypercall(HYPERVISOR_hvm_op, cmd, arg, 0, 0, 0);
}

static _Noreturn void halt_forever(void)
{
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

_Noreturn void shutdown(unsigned int reason)
{
    struct sched_shutdown arg = {.reason = reason};
    long rc = sched_op(SCHEDOP_shutdown, &arg);
    printf("guest: FAIL shutdown(%u) returned %ld\n", reason, rc);
    halt_forever();
}

/* ---- Console ------------------------------------------------------------------- */

int printf(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    size_t length = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (console_via_debug_port) {
        for (size_t i = 0; i < length; i++) {
            outb(DEBUG_PORT, (uint8_t)line[i]);
        }
    } else {
        console_io_write(line, length);
    }
    return n;
}

/* ---- CPU -------------------------------------------------------------------------- */

struct cpuid_result cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_result r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

/* ---- Descriptor tables ------------------------------------------------------ */

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_map_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS layout");

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

struct descriptor_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));

static void idt_set(unsigned int vector, uint64_t handler, uint8_t type)
{
    idt[vector] = (struct idt_gate){
        .offset_low = (uint16_t)handler,
        .selector = GDT_KERNEL_CS,
        .ist = 0,
        .type = type,
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_high = (uint32_t)(handler >> 32),
    };
}

static void setup_descriptor_tables(void)
{
    tss.rsp[0] = (uint64_t)(uintptr_t)kernel_stack_top;
    tss.io_map_base = sizeof(tss); /* no I/O bitmap: ring 3 gets #GP on port I/O */
    uint64_t base = (uint64_t)(uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    gdt_tss[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                 ((uint64_t)TSS_TYPE_AVAILABLE << 40) | DESCRIPTOR_PRESENT |
                 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt_tss[1] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(GDT_TSS));

    for (unsigned int v = 0; v < 32; v++) {
        idt_set(v, exception_stub_table[v], IDT_INTERRUPT_GATE);
    }
    for (unsigned int v = FIRST_EXTERNAL_VECTOR; v < ARRAY_SIZE(idt); v++) {
        uint64_t stub = (uint64_t)(uintptr_t)interrupt_stubs +
                        (v - FIRST_EXTERNAL_VECTOR) * INTERRUPT_STUB_BYTES;
        idt_set(v, stub, IDT_INTERRUPT_GATE);
    }
    idt_set(USER_RETURN_VECTOR, (uint64_t)(uintptr_t)user_return_entry, IDT_USER_INTERRUPT_GATE);
    struct descriptor_pointer idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

void runtime_idt_set_interrupt(unsigned int vector, uint64_t handler)
{
    idt_set(vector, handler, IDT_INTERRUPT_GATE);
}

/* A secondary vCPU shares the GDT and IDT (entry.S reloaded its segments);
 * it has no TSS of its own: it never leaves ring 0. */
void runtime_load_idt(void)
{
    struct descriptor_pointer idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ---- Exceptions -------------------------------------------------------------- */

struct exception_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

static void (*nmi_handler)(void);

void nmi_set_handler(void (*fn)(void))
{
    nmi_handler = fn;
}

void runtime_exception(struct exception_frame *frame);

void runtime_exception(struct exception_frame *frame)
{
    if (frame->vector == NMI_VECTOR && nmi_handler != NULL) {
        nmi_handler();
        return;
    }
    if (fault_fixup_rip != 0) {
        /* A safe_* function expected this: resume at its recovery label. */
        frame->rip = fault_fixup_rip;
        frame->rax = frame->vector;
        fault_error_code = frame->error;
        fault_fixup_rip = 0;
        return;
    }
    printf("guest exception %lu at 0x%lx error 0x%lx\n", (unsigned long)frame->vector,
           (unsigned long)frame->rip, (unsigned long)frame->error);
    shutdown(SHUTDOWN_crash);
}

/* ---- External interrupts --------------------------------------------------------- */

static interrupt_handler_fn interrupt_handlers[256];

void interrupt_set_handler(unsigned int vector, interrupt_handler_fn fn)
{
    if (vector >= FIRST_EXTERNAL_VECTOR && vector < ARRAY_SIZE(interrupt_handlers)) {
        __atomic_store_n(&interrupt_handlers[vector], fn, __ATOMIC_SEQ_CST);
    }
}

void runtime_interrupt(uint64_t vector);

/* Called from interrupt_common (entry.S) with interrupts off. */
void runtime_interrupt(uint64_t vector)
{
    interrupt_handler_fn fn = __atomic_load_n(&interrupt_handlers[vector & 0xff], __ATOMIC_SEQ_CST);
    if (fn != NULL) {
        fn((unsigned int)vector);
        return;
    }
    char what[64];
    snprintf(what, sizeof(what), "no interrupt on unhooked vector %lu (vcpu %u)",
             (unsigned long)vector, this_vcpu_id());
    check(false, what);
    /* Only a LAPIC interrupt is in service, and only then does it need an EOI. */
    if (lapic_vector_bit(X2APIC_ISR0, (uint8_t)vector)) {
        lapic_eoi();
    }
}

/* ---- Test report ------------------------------------------------------------------ */

static unsigned int checks_passed, checks_failed;

static bool report(bool ok, const char *what, const char *expected_and_got)
{
    if (ok) {
        __atomic_fetch_add(&checks_passed, 1, __ATOMIC_SEQ_CST);
        printf("guest: ok %s\n", what);
    } else {
        __atomic_fetch_add(&checks_failed, 1, __ATOMIC_SEQ_CST);
        printf("guest: FAIL %s (%s)\n", what, expected_and_got);
    }
    return ok;
}

bool check(bool condition, const char *what)
{
    return report(condition, what, "expected true, got false");
}

bool check_eq_hex(const char *what, uint64_t expected, uint64_t got)
{
    char text[80];
    snprintf(text, sizeof(text), "expected 0x%lx, got 0x%lx", (unsigned long)expected,
             (unsigned long)got);
    return report(expected == got, what, text);
}

bool check_eq_int(const char *what, int64_t expected, int64_t got)
{
    char text[80];
    snprintf(text, sizeof(text), "expected %ld, got %ld", (long)expected, (long)got);
    return report(expected == got, what, text);
}

bool check_nonzero(const char *what, uint64_t got)
{
    return report(got != 0, what, "expected nonzero, got 0");
}

_Noreturn void test_done(void)
{
    printf("guest: done %u passed, %u failed\n", checks_passed, checks_failed);
    shutdown(checks_failed == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

/* ---- Start ------------------------------------------------------------------------ */

_Noreturn void runtime_start(uint32_t start_info_paddr);

_Noreturn void runtime_start(uint32_t start_info_paddr)
{
    setup_descriptor_tables();

    struct cpuid_result r = cpuid(XEN_CPUID_BASE, 0);
    if (r.ebx != XEN_CPUID_SIGNATURE_EBX || r.ecx != XEN_CPUID_SIGNATURE_ECX ||
        r.edx != XEN_CPUID_SIGNATURE_EDX) {
        console_via_debug_port = true;
        printf("guest: %s: no Xen signature in CPUID leaf 0x40000000: not running on a "
               "hypervisor with Xen's ABI\n",
               guest_name);
        halt_forever();
    }
    struct cpuid_result vendor = cpuid(0, 0);
    cpu_is_amd = vendor.ebx == CPUID_VENDOR_AMD_EBX || vendor.ebx == CPUID_VENDOR_HYGON_EBX;

    /* The hypercall page: its MSR index is in leaf base+2. */
    struct cpuid_result pages = cpuid(XEN_CPUID_BASE + 2, 0);
    uint32_t msr = pages.eax >= 1 ? pages.ebx : XEN_MSR_HYPERCALL_PAGE;
    wrmsr(msr, (uint64_t)(uintptr_t)hypercall_page);
    const uint8_t mov_eax_imm32 = 0xb8; /* each stub begins with mov $nr, %eax */
    if (hypercall_page[0] != mov_eax_imm32) {
        static const char message[] = "guest: FAIL the hypercall page was not filled in\n";
        hypercall_direct(HYPERVISOR_console_io, CONSOLEIO_write, sizeof(message) - 1,
                         (unsigned long)message, 0, 0);
        struct sched_shutdown crash = {.reason = SHUTDOWN_crash};
        hypercall_direct(HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&crash, 0, 0, 0);
        halt_forever();
    }

    const struct hvm_start_info *start_info =
        (const struct hvm_start_info *)(uintptr_t)start_info_paddr;
    if (start_info != NULL && start_info->magic == HVM_START_MAGIC &&
        start_info->cmdline_paddr != 0) {
        const char *cmdline = (const char *)(uintptr_t)start_info->cmdline_paddr;
        size_t n = 0;
        while (n + 1 < sizeof(cmdline_copy) && cmdline[n] != '\0') {
            cmdline_copy[n] = cmdline[n];
            n++;
        }
        cmdline_copy[n] = '\0';
    }
    printf("guest: %s starting\n", guest_name);
    guest_main(start_info, cmdline_copy);
    test_done();
}
