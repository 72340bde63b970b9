/* Starting the other CPUs.
 *
 * The boot CPU copies the trampoline to four pages of RAM below 1 MiB (code
 * and parameters, then a PML4, PDPT and PD that identity-map the first GiB and
 * share the hypervisor's upper half), then starts one CPU at a time with
 * INIT, SIPI, SIPI. A CPU that does not report within a second is given up;
 * should it wake later, it finds its APIC ID does not match the parameters and
 * halts, so it can never run on another CPU's stack. */
#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "x86/apic.h"
#include "x86/insn.h"
#include "x86/paging.h"
#include "x86/percpu.h"
#include "x86/platform.h"
#include "x86/regs.h"
#include "x86/traps.h"
#include "x86/trampoline.h"
#include "x86/tsc.h"

#define TRAMPOLINE_PAGES 4
#define TRAMPOLINE_LOWEST 0x1000ULL /* page 0 holds the real-mode IVT and BDA */
#define TRAMPOLINE_LIMIT 0x9f000ULL /* below the EBDA; SIPI reaches only < 1 MiB */
#define INIT_DELAY_NS 10000000ULL   /* 10 ms after INIT */
#define SIPI_DELAY_NS 200000ULL     /* 200 us between SIPIs */
#define AP_ALIVE_TIMEOUT_NS 1000000000ULL

static uint64_t trampoline_phys;
static volatile uint32_t expected_apic_id;
static volatile int alive_cpu = -1;

static uint64_t *low_page(unsigned int index)
{
    return arch_phys_to_virt(trampoline_phys + index * ARCH_PAGE_SIZE);
}

void smp_init(const struct xencore_boot_info *info)
{
    uint64_t bytes = TRAMPOLINE_PAGES * ARCH_PAGE_SIZE;
    for (uint32_t i = 0; i < info->memmap_entries && !trampoline_phys; i++) {
        const struct xencore_mem_range *r = &info->memmap[i];
        if (r->type != XENCORE_MEM_RAM)
            continue;
        uint64_t start = (r->base + ARCH_PAGE_SIZE - 1) & ~(ARCH_PAGE_SIZE - 1);
        if (start < TRAMPOLINE_LOWEST)
            start = TRAMPOLINE_LOWEST;
        if (start + bytes <= r->base + r->length && start + bytes <= TRAMPOLINE_LIMIT)
            trampoline_phys = start;
    }
    if (!trampoline_phys)
        panic("no 16 KiB of RAM below 640 KiB for starting the other CPUs");

    size_t code_bytes = (size_t)(x86_trampoline_end - x86_trampoline_start);
    memcpy(low_page(0), x86_trampoline_start, code_bytes);
    uint64_t *pml4 = low_page(1), *pdpt = low_page(2), *pd = low_page(3);
    memset(pml4, 0, 3 * ARCH_PAGE_SIZE);
    pml4[0] = (trampoline_phys + 2 * ARCH_PAGE_SIZE) | PTE_PRESENT | PTE_WRITE;
    pdpt[0] = (trampoline_phys + 3 * ARCH_PAGE_SIZE) | PTE_PRESENT | PTE_WRITE;
    for (unsigned int i = 0; i < 512; i++)
        pd[i] = (uint64_t)i * PAGE_SIZE_2M | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
}

static struct trampoline_params *params(void)
{
    return (struct trampoline_params *)((char *)low_page(0) +
                                        (x86_trampoline_params - x86_trampoline_start));
}

void x86_ap_main(unsigned int cpu)
{
    struct x86_percpu *pc = x86_percpu_of(cpu);
    if (!pc)
        arch_halt_this_cpu();
    x86_cpu_tables_load(pc, cpu, expected_apic_id);
    x86_cpu_features_enable();
    apic_init_this_cpu();
    if (apic_this_id() != expected_apic_id)
        arch_halt_this_cpu(); /* a CPU that woke too late: not ours to run */
    apic_timer_init_this_cpu();
    cpu_topology_record_this_cpu(); /* CPUID describes the CPU that runs it */
    __atomic_store_n(&alive_cpu, (int)cpu, __ATOMIC_RELEASE);
    core_cpu_online(cpu);
}

static struct x86_percpu *percpu_alloc(unsigned int cpu, uint32_t apic_id)
{
    unsigned int order = 0;
    while ((ARCH_PAGE_SIZE << order) < sizeof(struct x86_percpu))
        order++;
    struct x86_percpu *pc = arch_phys_to_virt(mm_alloc_boot_pages(order));
    pc->cpu = cpu;
    pc->apic_id = apic_id;
    return pc;
}

int arch_cpu_start(unsigned int cpu, uint32_t apic_id, void *stack_top)
{
    if (apic_id > apic_max_addressable_id())
        return -XC_ERANGE;

    x86_percpu_register(cpu, percpu_alloc(cpu, apic_id));
    /* Share the current upper half: it may have grown since the last start. */
    uint64_t *pml4 = low_page(1);
    uint64_t *root = arch_phys_to_virt(x86_paging_root());
    for (unsigned int i = 256; i < 512; i++)
        pml4[i] = root[i];

    struct trampoline_params *p = params();
    p->cr3 = (uint32_t)(trampoline_phys + ARCH_PAGE_SIZE);
    p->efer = (uint32_t)(EFER_LME | (x86_has_nx() ? EFER_NXE : 0));
    p->stack = (uint64_t)(uintptr_t)stack_top;
    p->entry = (uint64_t)(uintptr_t)x86_ap_entry64;
    p->cpu = cpu;
    p->root = x86_paging_root();
    expected_apic_id = apic_id;
    __atomic_store_n(&alive_cpu, -1, __ATOMIC_RELEASE);

    uint32_t vector = (uint32_t)(trampoline_phys >> ARCH_PAGE_SHIFT);
    apic_send_ipi(apic_id, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT);
    tsc_delay_ns(INIT_DELAY_NS);
    for (int sipi = 0; sipi < 2; sipi++) {
        if (__atomic_load_n(&alive_cpu, __ATOMIC_ACQUIRE) == (int)cpu)
            break;
        apic_send_ipi(apic_id, APIC_ICR_STARTUP | vector);
        tsc_delay_ns(SIPI_DELAY_NS);
    }
    uint64_t deadline = arch_now_ns() + AP_ALIVE_TIMEOUT_NS;
    while (__atomic_load_n(&alive_cpu, __ATOMIC_ACQUIRE) != (int)cpu) {
        if (arch_now_ns() > deadline)
            return -XC_ETIMEDOUT;
        pause();
    }
    return 0;
}

void arch_send_ipi(unsigned int cpu)
{
    struct x86_percpu *pc = x86_percpu_of(cpu);
    if (pc)
        apic_send_ipi(pc->apic_id, APIC_ICR_FIXED | X86_VECTOR_IPI);
}
