/* Secondary vCPUs: VCPUOP_initialise with a 64-bit start state, then
 * VCPUOP_up.
 *
 * A new vCPU starts in long mode on this guest's own page tables (CR0, CR3,
 * CR4 and EFER copied from the vCPU that starts it), with flat segments the
 * hypervisor makes up, RIP at ap_start64 (entry.S), RSP at the top of its
 * own stack, RDI = its id and RSI = the function to run. ap_start64 loads the
 * runtime's GDT and segments, then runtime_ap_start() loads the IDT and
 * calls the function.
 *
 * Each secondary vCPU's stack is vcpu_stacks[id], so the id is known from
 * RSP alone: no CPUID exit in the upcall handler, and the boot stack means
 * vCPU 0. */
#include "runtime.h"

#define VCPU_STACK_BYTES 16384u
#define MSR_EFER 0xc0000080u
#define RFLAGS_RESERVED_ONE 0x2u

static uint8_t vcpu_stacks[GUEST_MAX_VCPUS][VCPU_STACK_BYTES]
    __attribute__((aligned(VCPU_STACK_BYTES)));

extern char ap_start64[];

unsigned int this_vcpu_id(void)
{
    uintptr_t sp;
    __asm__ volatile("movq %%rsp, %0" : "=r"(sp));
    uintptr_t base = (uintptr_t)vcpu_stacks;
    if (sp > base && sp <= base + sizeof(vcpu_stacks)) {
        return (unsigned int)((sp - base - 1) / VCPU_STACK_BYTES);
    }
    return 0;
}

unsigned int cpuid_vcpu_id(void)
{
    struct cpuid_result r = cpuid(XEN_CPUID_BASE + 4, 0);
    return (r.eax & XEN_CPUID_HVM_VCPU_ID_PRESENT) ? r.ebx : ~0u;
}

uint16_t cpuid_domid(void)
{
    struct cpuid_result r = cpuid(XEN_CPUID_BASE + 4, 0);
    return (r.eax & XEN_CPUID_HVM_DOMID_PRESENT) ? (uint16_t)r.ecx : DOMID_SELF;
}

void vcpu_start_context(struct vcpu_hvm_context *ctx, unsigned int id, void (*fn)(unsigned int id))
{
    uint64_t cr0, cr3, cr4;
    __asm__ volatile("movq %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("movq %%cr3, %0" : "=r"(cr3));
    __asm__ volatile("movq %%cr4, %0" : "=r"(cr4));
    memset(ctx, 0, sizeof(*ctx));
    ctx->mode = VCPU_HVM_MODE_64B;
    ctx->cpu_regs.x86_64 = (struct vcpu_hvm_x86_64){
        .rip = (uint64_t)(uintptr_t)ap_start64,
        .rsp = (uint64_t)(uintptr_t)vcpu_stacks[id % GUEST_MAX_VCPUS] + VCPU_STACK_BYTES,
        .rdi = id,
        .rsi = (uint64_t)(uintptr_t)fn,
        .rflags = RFLAGS_RESERVED_ONE,
        .cr0 = cr0,
        .cr3 = cr3,
        .cr4 = cr4,
        .efer = rdmsr(MSR_EFER),
    };
}

long vcpu_start(unsigned int id, void (*fn)(unsigned int id))
{
    if (id == 0 || id >= GUEST_MAX_VCPUS) {
        return -XEN_EINVAL;
    }
    struct vcpu_hvm_context ctx;
    vcpu_start_context(&ctx, id, fn);
    long rc = vcpu_op(VCPUOP_initialise, id, &ctx);
    if (rc != 0) {
        return rc;
    }
    return vcpu_op(VCPUOP_up, id, NULL);
}

_Noreturn void vcpu_exit(void)
{
    vcpu_op(VCPUOP_down, this_vcpu_id(), NULL);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

_Noreturn void runtime_ap_start(unsigned int id, void (*fn)(unsigned int id));

_Noreturn void runtime_ap_start(unsigned int id, void (*fn)(unsigned int id))
{
    runtime_load_idt();
    fn(id);
    vcpu_exit();
}
