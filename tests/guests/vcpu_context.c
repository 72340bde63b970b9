/* vcpu_context: VCPUOP_initialise with a guest-made 32-bit state, and with
 * states the hypervisor must refuse.
 *
 * The vcpus guest starts its secondary vCPUs in 64-bit mode through the
 * runtime; this one checks the other half of Xen's vcpu_hvm_context: a
 * 32-bit protected-mode start (segments given in full: base, limit, packed
 * access rights, paging off) reaches its first instruction with every
 * register as given. vCPU 1 starts on a few lines of 32-bit code that store
 * its registers into a record whose address it gets in EBX and then halt
 * with interrupts off for good. Before that, states the CPU would refuse
 * (real mode, PG without PE, long mode without PAE, a data segment in CS,
 * EIP beyond the CS limit, a non-canonical 64-bit RIP, non-zero padding)
 * must each be -EINVAL and leave the vCPU as it was: still not
 * initialised, so VCPUOP_up stays -EINVAL. */
#include "runtime/runtime.h"

const char guest_name[] = "vcpu_context";

#define START_MAGIC 0x32b0c0deU
#define REPORT_TIMEOUT_NS (5 * NS_PER_S)
#define CR0_PE 0x1U
#define CR0_PG 0x80000000U
#define EFER_LME 0x100U
#define FLAT_CODE32_AR 0xc9bU /* execute/read accessed, S, P, D, G */
#define FLAT_DATA_AR 0xc93U   /* read/write accessed, S, P, B, G */
#define BUSY_TSS_AR 0x8bU
#define FLAT_LIMIT 0xffffffffU
#define TSS_LIMIT 0x67U

/* What the 32-bit code stores, in this order (offsets used by the asm). */
struct start_record {
    uint32_t magic, eax, ecx, edx, esi, edi, ebp, esp, eflags, cr0;
};
static volatile struct start_record record __attribute__((aligned(64)));

/* vCPU 1's first instructions, in 32-bit protected mode with paging off
 * (the guest is loaded at its link address, so linear = physical). */
extern const char vcpu32_entry[];
__asm__(".pushsection .text\n"
        ".code32\n"
        "vcpu32_entry:\n"
        "    movl %eax, 4(%ebx)\n"
        "    movl %ecx, 8(%ebx)\n"
        "    movl %edx, 12(%ebx)\n"
        "    movl %esi, 16(%ebx)\n"
        "    movl %edi, 20(%ebx)\n"
        "    movl %ebp, 24(%ebx)\n"
        "    movl %esp, 28(%ebx)\n"
        "    pushfl\n"
        "    popl %eax\n"
        "    movl %eax, 32(%ebx)\n"
        "    movl %cr0, %eax\n"
        "    movl %eax, 36(%ebx)\n"
        "    movl $0x32b0c0de, (%ebx)\n" /* START_MAGIC */
        "1:  cli\n"
        "    hlt\n"
        "    jmp 1b\n"
        ".code64\n"
        ".popsection\n");

static uint32_t stack32[256] __attribute__((aligned(16)));

static struct vcpu_hvm_context flat32(void)
{
    struct vcpu_hvm_context c;
    __builtin_memset(&c, 0, sizeof(c));
    c.mode = VCPU_HVM_MODE_32B;
    struct vcpu_hvm_x86_32 *r = &c.cpu_regs.x86_32;
    r->eip = (uint32_t)(uintptr_t)vcpu32_entry;
    r->ebx = (uint32_t)(uintptr_t)&record;
    r->esp = (uint32_t)(uintptr_t)&stack32[256];
    r->eax = 0x11111111;
    r->ecx = 0x22222222;
    r->edx = 0x33333333;
    r->esi = 0x44444444;
    r->edi = 0x55555555;
    r->ebp = 0x66666666;
    r->eflags = 0x2;
    r->cr0 = CR0_PE;
    r->cs_limit = r->ds_limit = r->ss_limit = r->es_limit = FLAT_LIMIT;
    r->cs_ar = FLAT_CODE32_AR;
    r->ds_ar = r->ss_ar = r->es_ar = FLAT_DATA_AR;
    r->tr_ar = BUSY_TSS_AR;
    r->tr_limit = TSS_LIMIT;
    return c;
}

static void refused(const char *what, const struct vcpu_hvm_context *c)
{
    char line[96];
    snprintf(line, sizeof(line), "VCPUOP_initialise refuses %s", what);
    check_eq_int(line, -XEN_EINVAL, vcpu_op(VCPUOP_initialise, 1, (void *)c));
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    struct vcpu_hvm_context c;

    c = flat32();
    c.cpu_regs.x86_32.cr0 = 0;
    refused("real mode", &c);
    c = flat32();
    c.cpu_regs.x86_32.cr0 = CR0_PG;
    refused("paging without protection", &c);
    c = flat32();
    c.cpu_regs.x86_32.cr0 = CR0_PE | CR0_PG;
    c.cpu_regs.x86_32.efer = EFER_LME;
    refused("long mode without PAE", &c);
    c = flat32();
    c.cpu_regs.x86_32.cs_ar = FLAT_DATA_AR;
    refused("a data segment in CS", &c);
    c = flat32();
    c.cpu_regs.x86_32.cs_ar = FLAT_CODE32_AR & ~0x800U; /* byte-granular */
    c.cpu_regs.x86_32.cs_limit = 0xfff;
    refused("EIP beyond the CS limit", &c);
    c = flat32();
    c.pad = 1;
    refused("non-zero padding", &c);
    vcpu_start_context(&c, 1, NULL);
    c.cpu_regs.x86_64.rip = 0x0000800000000000ULL;
    refused("a non-canonical 64-bit RIP", &c);
    check_eq_int("after the refusals vCPU 1 is still not initialised (up is -EINVAL)", -XEN_EINVAL,
                 vcpu_op(VCPUOP_up, 1, NULL));

    c = flat32();
    check_eq_int("VCPUOP_initialise accepts a flat 32-bit state", 0,
                 vcpu_op(VCPUOP_initialise, 1, &c));
    check_eq_int("VCPUOP_up starts it", 0, vcpu_op(VCPUOP_up, 1, NULL));
    uint64_t give_up = system_time_ns() + REPORT_TIMEOUT_NS;
    while (record.magic != START_MAGIC && system_time_ns() < give_up)
        sched_op(SCHEDOP_yield, NULL);
    if (!check(record.magic == START_MAGIC, "vCPU 1 ran its 32-bit code"))
        return;
    check_eq_hex("EAX as given", 0x11111111, record.eax);
    check_eq_hex("ECX as given", 0x22222222, record.ecx);
    check_eq_hex("EDX as given", 0x33333333, record.edx);
    check_eq_hex("ESI as given", 0x44444444, record.esi);
    check_eq_hex("EDI as given", 0x55555555, record.edi);
    check_eq_hex("EBP as given", 0x66666666, record.ebp);
    check_eq_hex("ESP as given", (uint32_t)(uintptr_t)&stack32[256], record.esp);
    check_eq_hex("EFLAGS as given (IF clear)", 0x2, record.eflags & 0x3f7fd7U);
    check_eq_hex("CR0: protection on, paging off", CR0_PE, record.cr0 & (CR0_PE | CR0_PG));
}
