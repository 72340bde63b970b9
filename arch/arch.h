/*
 * The arch contract: the one internal header between libxencore/ and arch/.
 *
 * libxencore/ is arch-neutral and is built twice: for the hypervisor against
 * arch/x86, and for the host (unit tests, simulator) against arch/host. Both
 * implement exactly the functions in the first part of this file. The second
 * part lists the few entry points the core offers to arch code: things an
 * interrupt or a newly started CPU must call. Arch code may also use the
 * freestanding library in libxencore/lib/ (printing, strings, locks, panic)
 * and the frame allocator; never domain or scheduler internals.
 *
 * CPU numbers ("cpu") are dense indices 0..XENCORE_MAX_CPUS-1 chosen by the
 * core, 0 being the boot CPU. Hardware ids ("arch_id", the APIC ID on x86) are
 * 32-bit and sparse.
 */
#ifndef XENCORE_ARCH_H
#define XENCORE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/board.h>
#include <xencore/boot_info.h>

#define ARCH_PAGE_SHIFT 12
#define ARCH_PAGE_SIZE (1UL << ARCH_PAGE_SHIFT)

/* ---- Provided by arch/ ---------------------------------------------- */

/* Console: polled output, safe from any context including panic. */
void arch_console_init(const struct xencore_board_console *console);
void arch_console_write(const char *text, size_t length);

/* Options from the command line that the arch layer honours. */
struct arch_options {
    bool allow_x2apic; /* use x2APIC mode when the CPU has it */
};

/* First thing on the boot CPU, after the console: descriptor tables and
 * exception reporting, from static storage (no allocator yet). */
void arch_early_init(void);

/* This CPU. */
unsigned int arch_this_cpu(void);
void arch_cpu_relax(void);
unsigned long arch_irq_save(void);          /* disables interrupts, returns prior state */
void arch_irq_restore(unsigned long state);
void arch_irq_enable(void);
void arch_wait_for_interrupt(void);        /* enable interrupts and sleep until one arrives */
_Noreturn void arch_halt_this_cpu(void);   /* interrupts off, halted for good */

/* Memory. Before arch_paging_init() only the low 4 GiB are reachable. */
void *arch_phys_to_virt(uint64_t phys);
void arch_paging_init(const struct xencore_boot_info *info);

/* Platform: firmware tables, interrupt controller, time. Panics with a
 * message naming the problem when the platform cannot be used. */
void arch_platform_init(const struct xencore_boot_info *info, const struct arch_options *options);

/* The CPUs the hypervisor can start: writes the hardware ids of at most @max to
 * @arch_ids, boot CPU first, and returns how many. *@found receives the number of
 * CPUs the firmware lists as enabled, startable or not. */
unsigned int arch_cpus_enumerate(uint32_t *arch_ids, unsigned int max, unsigned int *found);

/* Start CPU @cpu (hardware id @arch_id) on a stack whose top is @stack_top. Returns
 * 0 once it runs core_cpu_online(), or a negative errno if it never showed up. */
int arch_cpu_start(unsigned int cpu, uint32_t arch_id, void *stack_top);

/* Time: nanoseconds since boot, monotonic, the same on every CPU. */
uint64_t arch_now_ns(void);
/* Arm this CPU's one-shot timer; core_timer_interrupt() runs at or after @deadline_ns. */
void arch_timer_arm(uint64_t deadline_ns);

/* Inter-processor interrupts; the target runs core_ipi_interrupt(). */
void arch_send_ipi(unsigned int cpu);
/* Stop every other CPU (panic path): they halt with interrupts off. */
void arch_stop_other_cpus(void);

/* One line describing what the platform offers, for the boot summary. */
void arch_describe(char *buffer, size_t size);

_Noreturn void arch_poweroff(void);
_Noreturn void arch_reboot(void);

/* ---- Hardware virtualization ------------------------------------------- */

struct domain;
struct vcpu;

/* Which extension runs guests ("vmx", "svm"), or NULL if none can. Chosen on
 * the boot CPU by arch_virt_init(), which enables it on that CPU; each other
 * CPU enables it in arch_virt_cpu_init() as it comes up. */
int arch_virt_init(void);
int arch_virt_cpu_init(void);
const char *arch_virt_name(void);

/* Page orders the second-stage tables (EPT/NPT) can map on this machine: bit
 * k set if a 2^k-frame page is possible (always 0; 9 for 2 MiB; 18 for 1 GiB). */
uint32_t arch_p2m_orders(void);

/* The domain's second-stage address space and address-space id. */
int arch_domain_init(struct domain *d);
void arch_domain_teardown(struct domain *d); /* frees the tables, not the guest RAM */
/* Maps gfn..gfn+2^order-1 to mfn..; read/write/execute. An existing mapping
 * that covers part of the range is replaced (a larger page is split). */
int arch_p2m_map(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order);
/* The frame behind @gfn, or -1 if unmapped. */
int64_t arch_p2m_lookup(struct domain *d, uint64_t gfn);

/* vCPU state: the PVH entry state (32-bit flat protected mode, paging off,
 * EBX = start-info address, EIP = entry). */
int arch_vcpu_init(struct vcpu *v);
void arch_vcpu_teardown(struct vcpu *v);
void arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t ebx);
/* Runs @v on this CPU until it is no longer runnable or the CPU must choose
 * again (core_cpu_should_reschedule()); exits are handled inside. */
void arch_vcpu_run(struct vcpu *v);
/* Makes @cpu leave guest mode soon (an IPI); harmless if it is not in it. */
void arch_cpu_kick(unsigned int cpu);

/* Copies between hypervisor memory and the guest's virtual address space as
 * the vCPU sees it now (its paging mode and tables). Return 0 or -XC_EFAULT;
 * never fault in the hypervisor. */
int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t length);
int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t length);

/* VCPUOP_initialise: gives @v (not running, not yet up) the start state in
 * @ctx (32- or 64-bit). A state the CPU would refuse on entry (bad mode bits,
 * reserved bits, non-canonical RIP, inconsistent segments) is -XC_EINVAL and
 * changes nothing. */
struct vcpu_hvm_context;
int arch_vcpu_set_context(struct vcpu *v, const struct vcpu_hvm_context *ctx);

/* Wall-clock time at system time 0 (boot), from the platform clock (CMOS RTC
 * on x86): seconds since 1970-01-01 UTC and nanoseconds. 0 if unknown. */
void arch_wallclock_at_boot(uint64_t *sec, uint32_t *nsec);

/* Where @cpu sits, for schedulers that group CPUs: its package (socket) and
 * the id of its last-level cache, each unique across the machine. */
void arch_cpu_topology(unsigned int cpu, uint32_t *socket, uint32_t *llc);

/* Fills a vCPU's time record (system time now, the TSC at that moment, and
 * the scale from TSC ticks to ns). The caller handles the version protocol. */
struct vcpu_time_info;
void arch_fill_vcpu_time(struct vcpu_time_info *time);

/* True if @v has an interrupt of the arch's own (a virtual LAPIC's) that it
 * could take now but has not: then HLT, SCHEDOP_block and SCHEDOP_poll must
 * not sleep. Any CPU; reads only. */
bool arch_vcpu_interrupt_pending(struct vcpu *v);

/* The guest's firmware tables (ACPI on x86: RSDP, XSDT, MADT with one entry
 * per vCPU, FADT, DSDT), written into @buffer (@size bytes) as they will
 * lie at guest-physical @gpa. Returns the bytes used and sets *@rsdp_gpa;
 * -XC_ENOSPC if @size is too small, -XC_EINVAL for 0 or more than
 * XENCORE_DOMAIN_MAX_VCPUS vCPUs or a @gpa not 16-byte aligned. Pure. */
long arch_guest_firmware_tables(uint32_t nr_vcpus, uint64_t gpa, void *buffer, size_t size,
                                uint64_t *rsdp_gpa);

/* ---- Provided by libxencore/ to arch/ ----------------------------------- */

/* The registers of a hypercall, in and out. */
struct hypercall_args {
    uint64_t number;      /* RAX */
    const uint64_t *arg;  /* five arguments: RDI, RSI, RDX, R10, R8 */
    uint64_t result;   /* written to RAX */
    unsigned int cpl;  /* the guest's privilege level at the call */
    /* Set by the core when the call may have changed whether the vCPU can run
     * on (block, shutdown, yield) or its p2m: the arch re-checks before
     * re-entering. Calls that only compute an answer leave it false, so the
     * arch may re-enter the guest at once. */
    bool state_changed;
};
void core_hypercall(struct vcpu *v, struct hypercall_args *args);
/* True if this CPU's scheduler wants the running vCPU back. */
bool core_cpu_should_reschedule(void);

/* The event-channel upcall (Xen's callback vector, HVM_PARAM_CALLBACK_IRQ
 * type 2): the vector to deliver to @v now, or 0. Called with interrupts off
 * before each guest entry that follows a change of state. The arch delivers it
 * as an external interrupt when the guest can take one (RFLAGS.IF set, no STI
 * or MOV-SS shadow, no other event being injected), else asks for an exit as
 * soon as it can (interrupt window) and asks again then. The guest does not
 * EOI it. Level-like: it stays pending until the guest clears
 * evtchn_upcall_pending, so delivering it again after an exit is harmless. */
unsigned int core_vcpu_upcall_vector(struct vcpu *v);
/* HLT, or SCHEDOP_block: the vCPU waits for an event unless one is pending
 * (then it goes on at once). Safe from its own exit handler. */
void vcpu_block(struct vcpu *v);
/* Something @v must notice happened (an interrupt of the arch's became
 * pending): wakes it if blocked, kicks its CPU if it is in guest mode on
 * another CPU. Any CPU, interrupts on or off. */
void vcpu_kick(struct vcpu *v);

/* Runs on a freshly started CPU once it can take interrupts; never returns. */
_Noreturn void core_cpu_online(unsigned int cpu);
/* This CPU's one-shot timer fired (interrupts off). */
void core_timer_interrupt(void);
/* Another CPU sent this one an IPI (interrupts off). */
void core_ipi_interrupt(void);

#endif /* XENCORE_ARCH_H */
