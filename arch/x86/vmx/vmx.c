/* The Intel VMX back end: probe, VMX operation on each CPU, the VMCS of each
 * vCPU, and the run loop.
 *
 * Probe. vmx_probe() reads every capability MSR once, on the boot CPU, and
 * decides all control values there: each control word is what we need, plus
 * what we would like if the CPU allows it, plus what the CPU insists on,
 * masked to what it allows (controls_choose()). A control we need that the
 * CPU does not allow, or one we must keep off that it forces on, fails the
 * probe with a message naming it. We require EPT, VPID, unrestricted guest
 * (PVH guests start in 32-bit protected mode with paging off) and
 * INVEPT/INVVPID; without them there is no VMX back end.
 *
 * What the guest owns and what we own. External interrupts and NMIs always
 * exit (the host's own IDT then takes them: we do not acknowledge on exit).
 * Of the guest's exceptions only #UD exits, to accept AMD's VMMCALL as a
 * hypercall too (GUEST-ABI.md); the guest gets every other #UD back.
 * HLT, all port I/O, MWAIT/MONITOR/RDPMC and every MSR except a few that the
 * VMCS switches (FS/GS base, SYSENTER) or that are switched on each vCPU
 * change (KERNEL_GS_BASE) exit. IA32_PAT is in the VMCS too (when the CPU can
 * switch it) but its writes exit, to be checked by the neutral policy. EFER reads come
 * from the CPU; EFER writes exit and are checked here. CR0.NE and CR4.VMXE are
 * forced on in the real registers and hidden behind read shadows; the other
 * CR4 bits we do not pass through exit on change, so the neutral policy sees
 * every attempt to turn on something it does not offer. CR3 does not exit
 * (EPT makes the guest's own paging harmless).
 *
 * Life of a VMCS (see vmx_internal.h): clear and in memory while its vCPU is
 * not running; loaded by vmx_vcpu_run() on entry, cleared when it returns.
 * The cost is one VMPTRLD + VMLAUNCH per scheduling of a vCPU; in exchange a
 * vCPU can move between CPUs and be freed with no cross-CPU flush. The run
 * loop itself, exit after exit, uses VMRESUME and touches only the VMCS
 * fields each exit needs.
 *
 * The virtual x2APIC (policy in hvm/interrupts.c, model in hvm/vlapic.c).
 * Where the CPU offers the TPR shadow, "virtualize x2APIC mode", APIC-register
 * virtualization and virtual-interrupt delivery (vmx_caps.apicv), the vCPU's
 * vLAPIC register page is its virtual-APIC page. The MSR bitmap then lets
 * through the reads the CPU answers from that page (SDM 29.5: 8 bytes at
 * offset (ECX & 0xff) << 4): ID, version, TPR, PPR, LDR, SVR, ISR, TMR, IRR,
 * ESR, the LVTs, the initial count and the divide configuration. Every other
 * read of 0x800-0x8ff exits: the current count is computed, EOI and
 * SELF_IPI are write-only and the rest reserved (#GP from the model), and ICR
 * because the model keeps its high half at 0x310, where xAPIC has it, not at
 * 0x304, where an 8-byte virtualized read would look. Writes of TPR, EOI and
 * SELF_IPI are virtualized (no exit); all others exit to the model. The
 * EOI-exit bitmap is all zero (every vLAPIC interrupt is edge-triggered, so
 * no EOI needs us), and before each entry after a re-check RVI is raised to
 * the highest IRR, so the CPU itself delivers vLAPIC vectors against PPR and
 * RFLAGS.IF: a self-IPI a guest writes is taken with no exit at all. MOV
 * to/from CR8 then works on the virtual TPR, without exits. Without those
 * controls (Sandy Bridge) every x2APIC MSR and MOV to/from CR8 exits (CR8 is
 * the model's TPR >> 4; without a TPR shadow it would reach the host's own
 * APIC), and hvm/interrupts.c injects the vectors.
 *
 * NMIs for the guest use "virtual NMIs": the CPU blocks further NMIs from
 * our injection until the guest's IRET, and NMI-window exiting tells us
 * when the next one can go. An EPT violation taken by that IRET reports
 * "NMI unblocking due to IRET", and the blocking is put back before the IRET
 * runs again (SDM 27.2.3).
 *
 * TLB tags. Each vCPU has a VPID (1..65535); each domain an EPTP. A vCPU
 * that arrives on a CPU where it was not the last to run (first run, a VPID
 * recycled from a dead vCPU, a move) flushes its VPID and its EPTP there
 * before entering, so no translation of an earlier life can be used. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "vmx_internal.h"
#include "x86/hvm.h"
#include "x86/insn.h"
#include "x86/percpu.h"
#include "x86/regs.h"
#include "x86/traps.h"
#include "x86/vmx.h"

_Static_assert(__builtin_offsetof(struct arch_vcpu, gprs) == 0, "gprs first in arch_vcpu");

/* The MSR bitmap (24.6.9): four 1 KiB bitmaps, a set bit intercepts. */
#define MSR_BITMAP_READ_LOW 0x000  /* MSRs 0x00000000..0x00001fff */
#define MSR_BITMAP_READ_HIGH 0x400 /* MSRs 0xc0000000..0xc0001fff */
#define MSR_BITMAP_WRITE_LOW 0x800
#define MSR_BITMAP_WRITE_HIGH 0xc00
#define MSR_BITMAP_RANGE 0x2000
#define MSR_HIGH_BASE 0xc0000000U

/* Exceptions that push an error code: #DF #TS #NP #SS #GP #PF #AC. */
#define EXCEPTIONS_WITH_ERROR_CODE                                                                 \
    ((1U << 8) | (1U << 10) | (1U << 11) | (1U << 12) | (1U << 13) | (1U << 14) | (1U << 17))

#define CPUID_ADDRESS_SIZES 0x80000008
#define CPUID_EXT1_EDX_RDTSCP (1U << 27)
#define CPUID7_EBX_INVPCID (1U << 10)

struct vmx_caps vmx_caps;

struct vmx_cpu {
    bool on; /* VMXON done */
    uint64_t vmxon_phys;
    struct vmx_vcpu *current; /* whose VMCS vmx_vcpu_run() has loaded here */
};
static struct vmx_cpu vmx_cpus[XENCORE_MAX_CPUS];

static spinlock_t vpid_lock = SPINLOCK_INIT;
static uint64_t vpid_used[(VMX_VPID_MAX + 1) / 64];
static uint32_t vpid_next = 1;

static struct hvm_ops vmx_ops;
static void vmx_update_rvi(struct vcpu *v, uint8_t highest_irr);
static void vmx_nmi_window(struct vcpu *v, bool open);

/* ---- Probe --------------------------------------------------------------- */

/* The control word for @name from capability @cap (allowed 0-settings low,
 * allowed 1-settings high): @required must be allowed, @forbidden must not be
 * forced; @wanted is taken where allowed. */
static bool controls_choose(const char *name, uint64_t cap, uint32_t required, uint32_t wanted,
                            uint32_t forbidden, uint32_t *out)
{
    uint32_t must_be_one = (uint32_t)cap;
    uint32_t may_be_one = (uint32_t)(cap >> VMX_CTLS_ALLOWED1_SHIFT);
    if (required & ~may_be_one) {
        printk("vmx: unusable: %s controls 0x%x are needed but not allowed by the CPU\n", name,
               required & ~may_be_one);
        return false;
    }
    if (forbidden & must_be_one) {
        printk("vmx: unusable: %s controls 0x%x must stay off but the CPU forces them on\n", name,
               forbidden & must_be_one);
        return false;
    }
    *out = (required | (wanted & may_be_one) | must_be_one) & may_be_one;
    return true;
}

/* VMX allowed by IA32_FEATURE_CONTROL on this CPU; locks it allowing VMX if
 * the firmware left it unlocked. */
static bool feature_control_allows_vmx(void)
{
    uint64_t control = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(control & FEATURE_CONTROL_LOCKED)) {
        control |= FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED;
        wrmsr(MSR_IA32_FEATURE_CONTROL, control);
    }
    return (control & FEATURE_CONTROL_VMX_OUTSIDE_SMX) != 0;
}

static void msr_bitmap_pass(uint8_t *bitmap, uint32_t msr, bool read, bool write)
{
    uint32_t read_offset = MSR_BITMAP_READ_LOW, write_offset = MSR_BITMAP_WRITE_LOW;
    if (msr >= MSR_HIGH_BASE) {
        msr -= MSR_HIGH_BASE;
        read_offset = MSR_BITMAP_READ_HIGH;
        write_offset = MSR_BITMAP_WRITE_HIGH;
    }
    if (msr >= MSR_BITMAP_RANGE)
        return; /* outside both ranges: always intercepted */
    if (read)
        bitmap[read_offset + msr / 8] &= (uint8_t) ~(1U << (msr % 8));
    if (write)
        bitmap[write_offset + msr / 8] &= (uint8_t) ~(1U << (msr % 8));
}

/* Intercept every MSR except those the VMCS or the vCPU switch carries. */
static void msr_bitmap_build(void)
{
    vmx_caps.msr_bitmap_phys = mm_alloc_boot_pages(0);
    uint8_t *bitmap = arch_phys_to_virt(vmx_caps.msr_bitmap_phys);
    memset(bitmap, 0xff, ARCH_PAGE_SIZE);
    msr_bitmap_pass(bitmap, VMX_MSR_FS_BASE, true, true);        /* VMCS guest FS base */
    msr_bitmap_pass(bitmap, MSR_GS_BASE, true, true);            /* VMCS guest GS base */
    msr_bitmap_pass(bitmap, VMX_MSR_KERNEL_GS_BASE, true, true); /* hvm_vcpu_put saves it */
    msr_bitmap_pass(bitmap, VMX_MSR_SYSENTER_CS, true, true);    /* VMCS guest SYSENTER */
    msr_bitmap_pass(bitmap, VMX_MSR_SYSENTER_ESP, true, true);
    msr_bitmap_pass(bitmap, VMX_MSR_SYSENTER_EIP, true, true);
    msr_bitmap_pass(bitmap, MSR_EFER, true, false); /* VMCS guest EFER; writes checked */
    if (vmx_caps.apicv) {
        /* The x2APIC registers the CPU reads from the virtual-APIC page, and
         * the writes it virtualizes (see the top of this file). */
        static const uint32_t reads[] = {
            VLAPIC_MSR_ID,         VLAPIC_MSR_VERSION,     VLAPIC_MSR_TPR,
            VLAPIC_MSR_PPR,        VLAPIC_MSR_LDR,         VLAPIC_MSR_SVR,
            VLAPIC_MSR_ESR,        VLAPIC_MSR_LVT_CMCI,    VLAPIC_MSR_LVT_TIMER,
            VLAPIC_MSR_LVT_THERMAL, VLAPIC_MSR_LVT_PMI,    VLAPIC_MSR_LVT_LINT0,
            VLAPIC_MSR_LVT_LINT1,  VLAPIC_MSR_LVT_ERROR,   VLAPIC_MSR_TIMER_INITIAL,
            VLAPIC_MSR_TIMER_DIVIDE,
        };
        for (unsigned int i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
            msr_bitmap_pass(bitmap, reads[i], true, false);
        for (uint32_t msr = VLAPIC_MSR_ISR0; msr <= VLAPIC_MSR_IRR0 + 7; msr++)
            msr_bitmap_pass(bitmap, msr, true, false); /* ISR, TMR, IRR */
        msr_bitmap_pass(bitmap, VLAPIC_MSR_TPR, false, true);
        msr_bitmap_pass(bitmap, VLAPIC_MSR_EOI, false, true);
        msr_bitmap_pass(bitmap, VLAPIC_MSR_SELF_IPI, false, true);
    }
    /* IA32_PAT exits: the neutral policy checks and keeps it (hvm_vcpu_pat),
     * and vmx_exit.c copies what it accepted into the VMCS. */
}

static bool probe_controls(uint64_t basic)
{
    bool true_msrs = (basic & VMX_BASIC_TRUE_CONTROLS) != 0;
    uint64_t pin_cap =
        rdmsr(true_msrs ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
    uint64_t proc_cap =
        rdmsr(true_msrs ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
    uint64_t exit_cap = rdmsr(true_msrs ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
    uint64_t entry_cap = rdmsr(true_msrs ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);

    if (!((proc_cap >> VMX_CTLS_ALLOWED1_SHIFT) & VMX_PROC_SECONDARY_CONTROLS)) {
        printk("vmx: unusable: no secondary processor-based controls (needed for EPT)\n");
        return false;
    }
    /* Off in every VMCS; switched on per vCPU while an upcall waits for the
     * guest to take interrupts (hvm_deliver_interrupts). So it is "forbidden"
     * below, as a control we never want forced on, but it must be allowed. */
    if (!((proc_cap >> VMX_CTLS_ALLOWED1_SHIFT) & VMX_PROC_INTERRUPT_WINDOW_EXITING)) {
        printk("vmx: unusable: no interrupt-window exiting\n");
        return false;
    }
    uint64_t proc2_cap = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    uint32_t proc2_allowed = (uint32_t)(proc2_cap >> VMX_CTLS_ALLOWED1_SHIFT);
    uint32_t proc_allowed = (uint32_t)(proc_cap >> VMX_CTLS_ALLOWED1_SHIFT);
    uint32_t pin_allowed = (uint32_t)(pin_cap >> VMX_CTLS_ALLOWED1_SHIFT);

    /* The vLAPIC in hardware: all four controls or none (see the top). */
    const uint32_t apicv2 = VMX_PROC2_VIRTUALIZE_X2APIC |
                            VMX_PROC2_APIC_REGISTER_VIRTUALIZATION |
                            VMX_PROC2_VIRTUAL_INTERRUPT_DELIVERY;
    vmx_caps.apicv =
        (proc_allowed & VMX_PROC_TPR_SHADOW) && (proc2_allowed & apicv2) == apicv2;
    const uint32_t cr8_exiting = VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING;
    uint32_t proc_required = vmx_caps.apicv ? VMX_PROC_TPR_SHADOW : cr8_exiting;
    uint32_t proc_forbidden = vmx_caps.apicv ? cr8_exiting : VMX_PROC_TPR_SHADOW;
    uint32_t proc2_required = vmx_caps.apicv ? apicv2 : 0;
    uint32_t proc2_forbidden = vmx_caps.apicv ? 0 : apicv2;
    /* NMI-window exiting, like interrupt-window exiting, is off in every VMCS
     * and switched on per vCPU: "forbidden" below (never forced on). */
    vmx_caps.virtual_nmis =
        (pin_allowed & VMX_PIN_VIRTUAL_NMIS) && (proc_allowed & VMX_PROC_NMI_WINDOW_EXITING);
    static const struct {
        uint32_t bit;
        const char *name;
    } needed2[] = {
        {VMX_PROC2_ENABLE_EPT, "EPT"},
        {VMX_PROC2_ENABLE_VPID, "VPID"},
        {VMX_PROC2_UNRESTRICTED_GUEST, "unrestricted guest"},
    };
    for (unsigned int i = 0; i < sizeof(needed2) / sizeof(needed2[0]); i++) {
        if (!(proc2_allowed & needed2[i].bit)) {
            printk("vmx: unusable: the CPU has no %s\n", needed2[i].name);
            return false;
        }
    }

    /* Optional guest features we switch on when the host CPU has them, so the
     * CPUID policy may offer them: without the control they raise #UD. */
    uint32_t wanted2 = 0;
    if (cpuid(0x80000000).eax >= 0x80000001 && (cpuid(0x80000001).edx & CPUID_EXT1_EDX_RDTSCP))
        wanted2 |= VMX_PROC2_ENABLE_RDTSCP;
    if (cpuid(0).eax >= 7 && (cpuid_count(7, 0).ebx & CPUID7_EBX_INVPCID))
        wanted2 |= VMX_PROC2_ENABLE_INVPCID;

    uint32_t entry_wanted = 0, exit_wanted = 0;
    uint32_t entry_may = (uint32_t)(entry_cap >> VMX_CTLS_ALLOWED1_SHIFT);
    uint32_t exit_may = (uint32_t)(exit_cap >> VMX_CTLS_ALLOWED1_SHIFT);
    vmx_caps.load_pat = (entry_may & VMX_ENTRY_CTL_LOAD_PAT) &&
                        (exit_may & VMX_EXIT_CTL_SAVE_PAT) && (exit_may & VMX_EXIT_CTL_LOAD_PAT);
    if (vmx_caps.load_pat) {
        entry_wanted |= VMX_ENTRY_CTL_LOAD_PAT;
        exit_wanted |= VMX_EXIT_CTL_SAVE_PAT | VMX_EXIT_CTL_LOAD_PAT;
    }

    return controls_choose("pin-based", pin_cap,
                           VMX_PIN_EXTERNAL_INTERRUPT_EXITING | VMX_PIN_NMI_EXITING |
                               (vmx_caps.virtual_nmis ? VMX_PIN_VIRTUAL_NMIS : 0),
                           0,
                           (vmx_caps.virtual_nmis ? 0 : VMX_PIN_VIRTUAL_NMIS) |
                               VMX_PIN_PREEMPTION_TIMER | VMX_PIN_POSTED_INTERRUPTS,
                           &vmx_caps.pin_controls) &&
           controls_choose("processor-based", proc_cap,
                           VMX_PROC_HLT_EXITING | VMX_PROC_UNCONDITIONAL_IO_EXITING |
                               VMX_PROC_MSR_BITMAPS | VMX_PROC_SECONDARY_CONTROLS | proc_required,
                           VMX_PROC_MWAIT_EXITING | VMX_PROC_MONITOR_EXITING |
                               VMX_PROC_RDPMC_EXITING,
                           VMX_PROC_IO_BITMAPS | VMX_PROC_MONITOR_TRAP_FLAG |
                               VMX_PROC_TSC_OFFSETTING | VMX_PROC_INTERRUPT_WINDOW_EXITING |
                               VMX_PROC_NMI_WINDOW_EXITING | proc_forbidden,
                           &vmx_caps.proc_controls) &&
           controls_choose("secondary processor-based", proc2_cap,
                           VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID |
                               VMX_PROC2_UNRESTRICTED_GUEST | proc2_required,
                           wanted2,
                           VMX_PROC2_VIRTUALIZE_APIC_ACCESSES | VMX_PROC2_ENABLE_XSAVES |
                               proc2_forbidden,
                           &vmx_caps.proc2_controls) &&
           controls_choose("VM-exit", exit_cap,
                           VMX_EXIT_CTL_HOST_ADDRESS_SPACE_SIZE | VMX_EXIT_CTL_SAVE_EFER |
                               VMX_EXIT_CTL_LOAD_EFER,
                           exit_wanted,
                           VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT | VMX_EXIT_CTL_LOAD_PERF_GLOBAL_CTRL |
                               VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER,
                           &vmx_caps.exit_controls) &&
           controls_choose("VM-entry", entry_cap, VMX_ENTRY_CTL_LOAD_EFER, entry_wanted,
                           VMX_ENTRY_CTL_IA32E_MODE_GUEST | VMX_ENTRY_CTL_SMM |
                               VMX_ENTRY_CTL_DEACTIVATE_DUAL_MONITOR |
                               VMX_ENTRY_CTL_LOAD_PERF_GLOBAL_CTRL,
                           &vmx_caps.entry_controls);
}

static bool probe_ept(void)
{
    uint64_t cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    vmx_caps.ept_vpid_cap = cap;
    if (!(cap & VMX_EPT_CAP_WALK_LENGTH_4) || !(cap & VMX_EPT_CAP_MEMORY_WB)) {
        printk("vmx: unusable: EPT lacks 4-level walks or write-back tables (cap 0x%llx)\n",
               (unsigned long long)cap);
        return false;
    }
    if (!(cap & VMX_EPT_CAP_INVEPT) ||
        !(cap & (VMX_EPT_CAP_INVEPT_SINGLE | VMX_EPT_CAP_INVEPT_ALL))) {
        printk("vmx: unusable: no INVEPT (cap 0x%llx)\n", (unsigned long long)cap);
        return false;
    }
    if (!(cap & VMX_VPID_CAP_INVVPID) ||
        !(cap & (VMX_VPID_CAP_INVVPID_SINGLE | VMX_VPID_CAP_INVVPID_ALL))) {
        printk("vmx: unusable: no INVVPID (cap 0x%llx)\n", (unsigned long long)cap);
        return false;
    }
    vmx_caps.invept_single = (cap & VMX_EPT_CAP_INVEPT_SINGLE) != 0;
    vmx_caps.invvpid_single = (cap & VMX_VPID_CAP_INVVPID_SINGLE) != 0;
    vmx_caps.p2m_orders = 1U << 0;
    if (cap & VMX_EPT_CAP_PAGE_2MB) {
        vmx_caps.p2m_orders |= 1U << 9;
        /* A 1 GiB leaf replaced over a live table is rewritten as 2 MiB
         * leaves (vmx_ept.c): offer 1 GiB only with 2 MiB. */
        if (cap & VMX_EPT_CAP_PAGE_1GB)
            vmx_caps.p2m_orders |= 1U << 18;
    }
    return true;
}

/* The CR0/CR4 values and masks the guest runs with (see the file comment). */
static void probe_control_registers(void)
{
    vmx_caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    vmx_caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    vmx_caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    vmx_caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);

    /* Unrestricted guest exempts PE and PG from CR0_FIXED0. Bits 63:32 of
     * CR0 are reserved: a write setting them faults on its own. */
    vmx_caps.guest_cr0_set = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
    vmx_caps.guest_cr0_mask =
        (vmx_caps.guest_cr0_set | ~vmx_caps.cr0_fixed1) & (uint64_t)UINT32_MAX;

    vmx_caps.guest_cr4_set = vmx_caps.cr4_fixed0 | VMX_X86_CR4_VMXE;
    /* Passed through: bits every x86-64 CPU has and guests flip at will
     * (PGE to flush global TLB entries). The rest exit when they change. */
    uint64_t passed = VMX_X86_CR4_VME | VMX_X86_CR4_PVI | VMX_X86_CR4_TSD | VMX_X86_CR4_DE |
                      VMX_X86_CR4_PSE | X86_CR4_PAE | VMX_X86_CR4_MCE | X86_CR4_PGE |
                      VMX_X86_CR4_PCE | VMX_X86_CR4_OSFXSR | VMX_X86_CR4_OSXMMEXCPT;
    passed &= vmx_caps.cr4_fixed1 & ~vmx_caps.cr4_fixed0;
    vmx_caps.guest_cr4_mask = ~passed;
}

const struct hvm_ops *vmx_probe(void)
{
    if (!(cpuid(1).ecx & CPUID1_ECX_VMX))
        return NULL; /* not an Intel CPU with VMX: SVM is probed next */
    if (!feature_control_allows_vmx()) {
        printk("vmx: unusable: IA32_FEATURE_CONTROL (locked by firmware) forbids VMX\n");
        return NULL;
    }
    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    vmx_caps.revision = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);
    uint64_t region_bytes = (basic >> VMX_BASIC_REGION_SIZE_SHIFT) & VMX_BASIC_REGION_SIZE_MASK;
    if (region_bytes > ARCH_PAGE_SIZE || (basic & VMX_BASIC_PHYS_32BIT_ONLY)) {
        printk("vmx: unusable: VMCS regions of %llu bytes%s\n", (unsigned long long)region_bytes,
               (basic & VMX_BASIC_PHYS_32BIT_ONLY) ? " below 4 GiB only" : "");
        return NULL;
    }
    if (!probe_controls(basic) || !probe_ept())
        return NULL;
    probe_control_registers();
    vmx_caps.stores_lma = (rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_STORES_LMA) != 0;
    vmx_caps.nx = x86_has_nx();
    vmx_caps.phys_bits =
        cpuid(0x80000000).eax >= CPUID_ADDRESS_SIZES ? (cpuid(CPUID_ADDRESS_SIZES).eax & 0xff) : 36;
    msr_bitmap_build();
    vmx_ops.p2m_orders = vmx_caps.p2m_orders;
    vmx_ops.virtual_interrupt_delivery = vmx_caps.apicv;
    vmx_ops.update_rvi = vmx_caps.apicv ? vmx_update_rvi : NULL;
    vmx_ops.nmi_window = vmx_caps.virtual_nmis ? vmx_nmi_window : NULL;

    printk("vmx: VMCS revision 0x%x, EPT pages 4k%s%s, vLAPIC %s, controls pin 0x%x proc 0x%x "
           "proc2 0x%x exit 0x%x entry 0x%x\n",
           vmx_caps.revision, (vmx_caps.p2m_orders & (1U << 9)) ? "/2m" : "",
           (vmx_caps.p2m_orders & (1U << 18)) ? "/1g" : "",
           vmx_caps.apicv ? "APICv" : "emulated", vmx_caps.pin_controls,
           vmx_caps.proc_controls, vmx_caps.proc2_controls, vmx_caps.exit_controls,
           vmx_caps.entry_controls);
    return &vmx_ops;
}

/* ---- VMX operation on each CPU ------------------------------------------- */

static int vmx_cpu_init(void)
{
    unsigned long flags = arch_irq_save();
    unsigned int cpu = arch_this_cpu();
    int rc = 0;
    if (cpu >= XENCORE_MAX_CPUS) {
        rc = -XC_ERANGE;
        goto out;
    }
    struct vmx_cpu *c = &vmx_cpus[cpu];
    if (c->on)
        goto out;
    if (!(cpuid(1).ecx & CPUID1_ECX_VMX) || !feature_control_allows_vmx() ||
        (uint32_t)(rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_REVISION_MASK) != vmx_caps.revision) {
        printk("vmx: cpu %u: VMX missing, forbidden, or unlike the boot CPU's\n", cpu);
        rc = -XC_EOPNOTSUPP;
        goto out;
    }
    if (!c->vmxon_phys) {
        c->vmxon_phys = mm_alloc_pages(0);
        if (!c->vmxon_phys) {
            rc = -XC_ENOMEM;
            goto out;
        }
    }
    *(uint32_t *)arch_phys_to_virt(c->vmxon_phys) = vmx_caps.revision;

    write_cr0((read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
    write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | VMX_X86_CR4_VMXE) & vmx_caps.cr4_fixed1);
    if (!vmxon(c->vmxon_phys)) {
        printk("vmx: cpu %u: VMXON failed\n", cpu);
        write_cr4(read_cr4() & ~VMX_X86_CR4_VMXE);
        rc = -XC_EIO;
        goto out;
    }
    /* Nothing cached from before us (firmware, an earlier boot) may be used. */
    invept(INVEPT_ALL_CONTEXT, 0);
    invvpid(INVVPID_ALL_CONTEXT, 0);
    c->on = true;
out:
    arch_irq_restore(flags);
    return rc;
}

/* ---- VPIDs ------------------------------------------------------------------ */

static uint16_t vpid_alloc(void)
{
    uint16_t vpid = 0;
    spin_lock(&vpid_lock);
    for (uint32_t tries = 0; tries < VMX_VPID_MAX; tries++) {
        uint32_t id = vpid_next;
        vpid_next = id >= VMX_VPID_MAX ? 1 : id + 1;
        if (!(vpid_used[id / 64] & (1ULL << (id % 64)))) {
            vpid_used[id / 64] |= 1ULL << (id % 64);
            vpid = (uint16_t)id;
            break;
        }
    }
    spin_unlock(&vpid_lock);
    return vpid;
}

static void vpid_free(uint16_t vpid)
{
    spin_lock(&vpid_lock);
    vpid_used[vpid / 64] &= ~(1ULL << (vpid % 64));
    spin_unlock(&vpid_lock);
}

/* ---- Loading and borrowing a VMCS ----------------------------------------- */

bool vmx_vmcs_is_current(const struct vmx_vcpu *vx)
{
    return vmx_cpus[this_percpu()->cpu].current == vx; /* arch_this_cpu(), inline */
}

/* A VMCS made current for a moment outside vmx_vcpu_run() (interrupts off). */
struct vmcs_borrow {
    unsigned long flags;
    uint64_t previous; /* the VMCS current before, reloaded after */
    bool loaded;       /* we loaded it (else it was already current here) */
};

static bool vmcs_borrow(struct vmx_vcpu *vx, struct vmcs_borrow *b)
{
    b->flags = arch_irq_save();
    b->loaded = false;
    unsigned int cpu = arch_this_cpu();
    if (vmx_cpus[cpu].current == vx)
        return true;
    if (!vmx_cpus[cpu].on) { /* cpu_init failed here: VMX instructions would fault */
        arch_irq_restore(b->flags);
        return false;
    }
    int expected = VMX_NO_CPU;
    if (!__atomic_compare_exchange_n(&vx->active_cpu, &expected, (int)cpu, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED)) {
        arch_irq_restore(b->flags);
        return false; /* running elsewhere */
    }
    b->previous = vmptrst();
    if (!vmptrld(vx->arch.control_phys)) {
        __atomic_store_n(&vx->active_cpu, VMX_NO_CPU, __ATOMIC_RELEASE);
        arch_irq_restore(b->flags);
        return false;
    }
    b->loaded = true;
    return true;
}

static void vmcs_return(struct vmx_vcpu *vx, struct vmcs_borrow *b)
{
    if (b->loaded) {
        vmclear(vx->arch.control_phys);
        __atomic_store_n(&vx->active_cpu, VMX_NO_CPU, __ATOMIC_RELEASE);
        if (b->previous != VMX_LINK_POINTER_NONE)
            vmptrld(b->previous);
    }
    arch_irq_restore(b->flags);
}

/* "IA-32e mode guest" must equal the guest's EFER.LMA at every VM entry. The
 * other entry controls never change. Where the CPU updates the bit on each
 * exit (IA32_VMX_MISC bit 5, required with unrestricted guest), our copy may
 * lag behind it; we only ever write the bit whole. */
void vmx_set_guest_long_mode(struct vmx_vcpu *vx, bool long_mode)
{
    vx->entry_controls = vmx_caps.entry_controls | (long_mode ? VMX_ENTRY_CTL_IA32E_MODE_GUEST : 0);
    vmwrite(VMCS_ENTRY_CONTROLS, vx->entry_controls);
}

/* ---- VMCS contents ------------------------------------------------------------ */

struct descriptor_table_register {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Host state that differs between CPUs: written when a vCPU arrives on one. */
static void vmcs_write_host_cpu_state(void)
{
    struct descriptor_table_register gdtr, idtr;
    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    __asm__ volatile("sidt %0" : "=m"(idtr));
    /* TR is X86_SEL_TSS, this CPU's TSS (x86_cpu_tables_load). */
    uint64_t tr_base = (uint64_t)(uintptr_t)&this_percpu()->tss;

    vmwrite(VMCS_HOST_CR0, read_cr0());
    vmwrite(VMCS_HOST_CR3, read_cr3());
    vmwrite(VMCS_HOST_CR4, read_cr4());
    vmwrite(VMCS_HOST_FS_BASE, rdmsr(VMX_MSR_FS_BASE));
    vmwrite(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
    vmwrite(VMCS_HOST_TR_BASE, tr_base);
    vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
    vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
    vmwrite(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
    if (vmx_caps.load_pat)
        vmwrite(VMCS_HOST_IA32_PAT, rdmsr(VMX_MSR_PAT));
}

/* VMX access rights from the packed 12-bit attributes (x86/vcpu_context.h):
 * descriptor bits 55:52 sit at 15:12 here, and a null segment is unusable. */
static uint32_t vmx_access_rights(uint16_t attr)
{
    if (attr == 0)
        return VMX_SEGMENT_UNUSABLE;
    return (attr & 0xffU) | ((uint32_t)(attr & 0xf00U) << 4);
}

/* A start state (PVH entry or VCPUOP_initialise, already checked) with
 * nothing pending, no descriptor tables and debug state at reset (VMCS
 * current, interrupts off). */
static void vmcs_write_start_state(struct vmx_vcpu *vx, const struct hvm_start_state *start)
{
    static const struct {
        uint32_t selector, limit, access, base;
    } fields[HVM_SEG_COUNT] = {
        [HVM_SEG_ES] = {VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_ACCESS,
                        VMCS_GUEST_ES_BASE},
        [HVM_SEG_CS] = {VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_ACCESS,
                        VMCS_GUEST_CS_BASE},
        [HVM_SEG_SS] = {VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_ACCESS,
                        VMCS_GUEST_SS_BASE},
        [HVM_SEG_DS] = {VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_ACCESS,
                        VMCS_GUEST_DS_BASE},
        [HVM_SEG_FS] = {VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_ACCESS,
                        VMCS_GUEST_FS_BASE},
        [HVM_SEG_GS] = {VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_ACCESS,
                        VMCS_GUEST_GS_BASE},
        [HVM_SEG_TR] = {VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_ACCESS,
                        VMCS_GUEST_TR_BASE},
        [HVM_SEG_LDTR] = {VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_LIMIT,
                          VMCS_GUEST_LDTR_ACCESS, VMCS_GUEST_LDTR_BASE},
    };
    for (unsigned int i = 0; i < HVM_SEG_COUNT; i++) {
        const struct hvm_segment *seg = &start->segments[i];
        vmwrite(fields[i].selector, seg->selector);
        vmwrite(fields[i].limit, seg->limit);
        vmwrite(fields[i].access, vmx_access_rights(seg->attr));
        vmwrite(fields[i].base, seg->base);
    }
    /* No descriptor tables yet: the guest loads its own before it needs them. */
    vmwrite(VMCS_GUEST_GDTR_BASE, 0);
    vmwrite(VMCS_GUEST_GDTR_LIMIT, 0);
    vmwrite(VMCS_GUEST_IDTR_BASE, 0);
    vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);

    vmwrite(VMCS_GUEST_CR0, (start->cr0 | vmx_caps.guest_cr0_set) & vmx_caps.cr0_fixed1);
    vmwrite(VMCS_CR0_READ_SHADOW, start->cr0);
    vmwrite(VMCS_GUEST_CR3, start->cr3);
    vmwrite(VMCS_GUEST_CR4, (start->cr4 | vmx_caps.guest_cr4_set) & vmx_caps.cr4_fixed1);
    vmwrite(VMCS_CR4_READ_SHADOW, start->cr4);
    vmwrite(VMCS_GUEST_IA32_EFER, start->efer);
    vmx_set_guest_long_mode(vx, (start->efer & VMX_X86_EFER_LMA) != 0);
    vmx_load_pdptes(vx); /* PAE paging outside long mode reads them from here */
    vmwrite(VMCS_GUEST_DR7, VMX_X86_DR7_INIT);
    vmwrite(VMCS_GUEST_IA32_DEBUGCTL, 0);
    if (vmx_caps.load_pat) {
        /* PAT survives INIT: a vCPU started again keeps what it wrote. */
        uint64_t pat = *hvm_vcpu_pat(vx->arch.vcpu);
        vmwrite(VMCS_GUEST_IA32_PAT, pat ? pat : VMX_X86_PAT_POWER_ON);
    }

    vmwrite(VMCS_GUEST_RIP, start->rip);
    vmwrite(VMCS_GUEST_RSP, start->rsp);
    vmwrite(VMCS_GUEST_RFLAGS, start->rflags | VMX_X86_RFLAGS_FIXED);
    vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
    vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
    vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
    vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmwrite(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
    vmwrite(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
    vmwrite(VMCS_ENTRY_INTERRUPTION_INFO, 0);
    vx->proc_controls = vmx_caps.proc_controls; /* no interrupt or NMI window */
    vmwrite(VMCS_PROC_CONTROLS, vx->proc_controls);
    hvm_interrupt_window_reset(vx->arch.vcpu);
    if (vmx_caps.apicv) {
        /* The vLAPIC lives on across a new start state: SVI and RVI say
         * what its page holds. */
        int isr = vlapic_highest_isr(&vx->arch.vlapic), irr = vlapic_highest_irr(&vx->arch.vlapic);
        vmwrite(VMCS_GUEST_INTERRUPT_STATUS,
                (uint64_t)(isr < 0 ? 0 : isr) << VMX_GUEST_INTERRUPT_STATUS_SVI_SHIFT |
                    (uint64_t)(irr < 0 ? 0 : irr));
    }

    hvm_start_state_gprs(&vx->arch.gprs, start);
    vx->cr2 = 0;
    memset(vx->dr, 0, sizeof(vx->dr));
    vx->dr6 = 0;
    __atomic_fetch_and(&vx->entry_work, ~VMX_WORK_EVENT, __ATOMIC_RELAXED);
    vmx_add_work(vx, VMX_WORK_FLUSH_VPID); /* a new life: no translation of the old one */
}

/* Everything in a fresh VMCS (current, interrupts off). Returns false if the
 * CPU refused a control value. */
static bool vmcs_write_initial(struct vmx_vcpu *vx)
{
    bool ok = true;
    ok &= vmwrite_checked(VMCS_PIN_CONTROLS, vmx_caps.pin_controls);
    ok &= vmwrite_checked(VMCS_PROC_CONTROLS, vmx_caps.proc_controls);
    ok &= vmwrite_checked(VMCS_PROC2_CONTROLS, vmx_caps.proc2_controls);
    ok &= vmwrite_checked(VMCS_EXIT_CONTROLS, vmx_caps.exit_controls);
    vx->entry_controls = vmx_caps.entry_controls;
    ok &= vmwrite_checked(VMCS_ENTRY_CONTROLS, vx->entry_controls);
    ok &= vmwrite_checked(VMCS_EXCEPTION_BITMAP, VMX_EXCEPTION_BITMAP);
    ok &= vmwrite_checked(VMCS_PAGE_FAULT_ERROR_MASK, 0);
    ok &= vmwrite_checked(VMCS_PAGE_FAULT_ERROR_MATCH, 0);
    ok &= vmwrite_checked(VMCS_CR3_TARGET_COUNT, 0);
    ok &= vmwrite_checked(VMCS_EXIT_MSR_STORE_COUNT, 0);
    ok &= vmwrite_checked(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    ok &= vmwrite_checked(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    ok &= vmwrite_checked(VMCS_MSR_BITMAP, vmx_caps.msr_bitmap_phys);
    ok &= vmwrite_checked(VMCS_EPT_POINTER, vx->vd->eptp);
    ok &= vmwrite_checked(VMCS_VPID, vx->arch.asid);
    ok &= vmwrite_checked(VMCS_LINK_POINTER, VMX_LINK_POINTER_NONE);
    ok &= vmwrite_checked(VMCS_CR0_GUEST_HOST_MASK, vmx_caps.guest_cr0_mask);
    ok &= vmwrite_checked(VMCS_CR4_GUEST_HOST_MASK, vmx_caps.guest_cr4_mask);
    if (vmx_caps.apicv) { /* see the top of this file */
        ok &= vmwrite_checked(VMCS_VIRTUAL_APIC_ADDRESS, vx->arch.vlapic_page_phys);
        ok &= vmwrite_checked(VMCS_TPR_THRESHOLD, 0);
        ok &= vmwrite_checked(VMCS_EOI_EXIT_BITMAP0, 0);
        ok &= vmwrite_checked(VMCS_EOI_EXIT_BITMAP1, 0);
        ok &= vmwrite_checked(VMCS_EOI_EXIT_BITMAP2, 0);
        ok &= vmwrite_checked(VMCS_EOI_EXIT_BITMAP3, 0);
        ok &= vmwrite_checked(VMCS_GUEST_INTERRUPT_STATUS, 0);
    }

    /* Host state that is the same on every CPU. */
    ok &= vmwrite_checked(VMCS_HOST_CS_SELECTOR, X86_SEL_CODE64);
    ok &= vmwrite_checked(VMCS_HOST_SS_SELECTOR, X86_SEL_DATA);
    ok &= vmwrite_checked(VMCS_HOST_DS_SELECTOR, X86_SEL_DATA);
    ok &= vmwrite_checked(VMCS_HOST_ES_SELECTOR, X86_SEL_DATA);
    ok &= vmwrite_checked(VMCS_HOST_FS_SELECTOR, 0);
    ok &= vmwrite_checked(VMCS_HOST_GS_SELECTOR, 0);
    ok &= vmwrite_checked(VMCS_HOST_TR_SELECTOR, X86_SEL_TSS);
    ok &= vmwrite_checked(VMCS_HOST_SYSENTER_CS, 0);
    ok &= vmwrite_checked(VMCS_HOST_SYSENTER_ESP, 0);
    ok &= vmwrite_checked(VMCS_HOST_SYSENTER_EIP, 0);
    ok &= vmwrite_checked(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
    vx->host_rsp = 0; /* vmx_enter writes HOST_RSP on the first entry */

    struct hvm_start_state pvh;
    hvm_pvh_start_state(&pvh, 0, 0);
    vmcs_write_start_state(vx, &pvh);
    return ok;
}

/* ---- vCPUs ------------------------------------------------------------------ */

static void vcpu_free(struct vmx_vcpu *vx)
{
    hvm_vcpu_lapic_teardown(&vx->arch);
    if (vx->arch.control_phys)
        mm_free_pages(vx->arch.control_phys, 0);
    if (vx->arch.xsave_area)
        mm_free_pages((uint64_t)(uintptr_t)vx->arch.xsave_area -
                          (uint64_t)(uintptr_t)arch_phys_to_virt(0),
                      0);
    if (vx->arch.asid)
        vpid_free((uint16_t)vx->arch.asid);
    mm_free_pages((uint64_t)(uintptr_t)vx - (uint64_t)(uintptr_t)arch_phys_to_virt(0), 0);
}

static int vmx_vcpu_init(struct vcpu *v)
{
    uint64_t frame = mm_alloc_pages(0);
    if (!frame)
        return -XC_ENOMEM;
    struct vmx_vcpu *vx = arch_phys_to_virt(frame);
    vx->arch.vcpu = v;
    vx->vd = vmx_domain_of(v->domain);
    vx->active_cpu = VMX_NO_CPU;
    vx->arch.last_cpu = (unsigned int)VMX_NO_CPU;
    vx->arch.xcr0 = 1; /* x87 only, the architectural reset value */

    uint64_t vmcs = mm_alloc_pages(0), xsave = mm_alloc_pages(0);
    vx->arch.control_phys = vmcs;
    vx->arch.control = vmcs ? arch_phys_to_virt(vmcs) : NULL;
    vx->arch.xsave_area = xsave ? arch_phys_to_virt(xsave) : NULL;
    vx->arch.asid = vpid_alloc();
    if (!vmcs || !xsave || !vx->arch.asid) {
        int rc = vx->arch.asid ? -XC_ENOMEM : -XC_ENOSPC;
        vcpu_free(vx);
        return rc;
    }

    *(uint32_t *)vx->arch.control = vmx_caps.revision;
    v->arch = &vx->arch; /* the neutral policy's per-vCPU state is reachable */
    if (hvm_vcpu_lapic_init(v)) { /* before the VMCS: its virtual-APIC page */
        v->arch = NULL;
        vcpu_free(vx);
        return -XC_ENOMEM;
    }
    struct vmcs_borrow borrow;
    bool ok = vmclear(vmcs) && vmcs_borrow(vx, &borrow);
    if (ok) {
        ok = vmcs_write_initial(vx);
        vmcs_return(vx, &borrow);
    }
    if (!ok) {
        printk("vmx: cannot set up the VMCS of a vCPU\n");
        v->arch = NULL;
        vcpu_free(vx);
        return -XC_EIO;
    }
    return 0;
}

static void vmx_vcpu_teardown(struct vcpu *v)
{
    struct vmx_vcpu *vx = vmx_vcpu_of(v);
    if (!vx)
        return;
    if (__atomic_load_n(&vx->active_cpu, __ATOMIC_ACQUIRE) != VMX_NO_CPU) {
        /* The core promised the vCPU is not running. Freeing a VMCS another
         * CPU may still write back would corrupt memory: keep it. */
        printk("vmx: vCPU %u torn down while its VMCS is active on cpu %d: frames kept\n", v->id,
               vx->active_cpu);
        timer_kill(&vx->arch.vlapic_timer); /* the page stays with the VMCS */
        v->arch = NULL;
        return;
    }
    vcpu_free(vx);
    v->arch = NULL;
}

static void vmx_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t ebx)
{
    struct vmx_vcpu *vx = vmx_vcpu_of(v);
    /* Applied by the CPU that next runs it, where the VMCS is current. */
    hvm_pvh_start_state(&vx->start, entry, ebx);
    vmx_add_work(vx, VMX_WORK_RESET);
}

/* VCPUOP_initialise: as a PVH reset, with the guest's checked state. */
static void vmx_vcpu_set_start_state(struct vcpu *v, const struct hvm_start_state *state)
{
    struct vmx_vcpu *vx = vmx_vcpu_of(v);
    vx->start = *state;
    vmx_add_work(vx, VMX_WORK_RESET);
}

static void vmx_get_state(struct vcpu *v, struct hvm_state *s)
{
    struct vmx_vcpu *vx = vmx_vcpu_of(v);
    struct vmcs_borrow borrow = {0, 0, false};
    /* The common case, from an exit handler: the VMCS is current here, and
     * stays so (interrupts are off in the run loop). */
    bool current = vmx_vmcs_is_current(vx);
    if (!current && !vmcs_borrow(vx, &borrow)) {
        memset(s, 0, sizeof(*s));
        printk("vmx: state of vCPU %u read while it runs elsewhere\n", v->id);
        return;
    }
    s->rip = vmread(VMCS_GUEST_RIP);
    s->rsp = vmread(VMCS_GUEST_RSP);
    s->rflags = vmread(VMCS_GUEST_RFLAGS);
    s->cr0 = (vmread(VMCS_GUEST_CR0) & ~vmx_caps.guest_cr0_mask) |
             (vmread(VMCS_CR0_READ_SHADOW) & vmx_caps.guest_cr0_mask);
    s->cr3 = vmread(VMCS_GUEST_CR3);
    s->cr4 = (vmread(VMCS_GUEST_CR4) & ~vmx_caps.guest_cr4_mask) |
             (vmread(VMCS_CR4_READ_SHADOW) & vmx_caps.guest_cr4_mask);
    s->efer = vmread(VMCS_GUEST_IA32_EFER);
    s->cpl = (unsigned int)(vmread(VMCS_GUEST_SS_ACCESS) >> VMX_SEGMENT_DPL_SHIFT) &
             VMX_SEGMENT_DPL_MASK;
    s->long_mode_code =
        (s->efer & VMX_X86_EFER_LMA) && (vmread(VMCS_GUEST_CS_ACCESS) & VMX_SEGMENT_LONG_MODE);
    if (!current)
        vmcs_return(vx, &borrow);
}

/* From an exit handler only (the VMCS is current). */
static void vmx_get_mode(struct vcpu *v, unsigned int *cpl, bool *long_mode_code)
{
    (void)v;
    *cpl = (unsigned int)(vmread(VMCS_GUEST_SS_ACCESS) >> VMX_SEGMENT_DPL_SHIFT) &
           VMX_SEGMENT_DPL_MASK;
    *long_mode_code = (vmread(VMCS_GUEST_CS_ACCESS) & VMX_SEGMENT_LONG_MODE) &&
                      (vmread(VMCS_GUEST_IA32_EFER) & VMX_X86_EFER_LMA);
}

/* Writes the event into the VM-entry fields (VMCS current). */
static void event_write(uint32_t info, uint32_t error)
{
    /* With CR0.PE clear (unrestricted guest in real mode) no error code is
     * delivered, and VM entry insists the bit says so. */
    if ((info & VMX_INTERRUPTION_DELIVER_ERROR_CODE) && !(vmread(VMCS_GUEST_CR0) & X86_CR0_PE))
        info &= ~VMX_INTERRUPTION_DELIVER_ERROR_CODE;
    if (info & VMX_INTERRUPTION_DELIVER_ERROR_CODE)
        vmwrite(VMCS_ENTRY_EXCEPTION_ERROR_CODE, error);
    vmwrite(VMCS_ENTRY_INTERRUPTION_INFO, info);
}

void vmx_queue_event(struct vmx_vcpu *vx, uint32_t info, uint32_t error)
{
    if (vmx_vmcs_is_current(vx)) {
        event_write(info, error);
        return;
    }
    vx->event_info = info;
    vx->event_error = error;
    vmx_add_work(vx, VMX_WORK_EVENT);
}

static void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
    uint32_t info = vector |
                    (VMX_INTERRUPTION_TYPE_HARDWARE_EXCEPTION << VMX_INTERRUPTION_TYPE_SHIFT) |
                    VMX_INTERRUPTION_VALID;
    if (has_error && vector < 32 && (EXCEPTIONS_WITH_ERROR_CODE & (1U << vector)))
        info |= VMX_INTERRUPTION_DELIVER_ERROR_CODE;
    vmx_queue_event(vmx_vcpu_of(v), info, error);
}

/* The interrupt ops run in the run loop's re-check (VMCS current). An
 * external interrupt may be injected only with RFLAGS.IF set and no
 * blocking by STI or MOV SS (SDM 26.2.1.3); the guest never leaves the
 * active state (HLT exits), so that is all. */
static bool vmx_interrupt_deliverable(struct vcpu *v)
{
    (void)v;
    if (vmread(VMCS_ENTRY_INTERRUPTION_INFO) & VMX_INTERRUPTION_VALID)
        return false; /* an exception, or an event the exit interrupted */
    if (!(vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_IF))
        return false;
    return !(vmread(VMCS_GUEST_INTERRUPTIBILITY) &
             (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS));
}

static void vmx_inject_interrupt(struct vcpu *v, uint8_t vector)
{
    (void)v;
    vmwrite(VMCS_ENTRY_INTERRUPTION_INFO,
            vector | (VMX_INTERRUPTION_TYPE_EXTERNAL << VMX_INTERRUPTION_TYPE_SHIFT) |
                VMX_INTERRUPTION_VALID);
}

/* NMIs (virtual NMIs: see the top of this file). Injection needs no
 * blocking by NMI, STI or MOV SS (SDM 26.3.1.5) and no other event. */
static bool vmx_nmi_deliverable(struct vcpu *v)
{
    (void)v;
    if (vmread(VMCS_ENTRY_INTERRUPTION_INFO) & VMX_INTERRUPTION_VALID)
        return false;
    return !(vmread(VMCS_GUEST_INTERRUPTIBILITY) &
             (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS | VMX_INTERRUPTIBILITY_NMI));
}

static void vmx_inject_nmi(struct vcpu *v)
{
    (void)v;
    vmwrite(VMCS_ENTRY_INTERRUPTION_INFO,
            VMX_X86_VECTOR_NMI | (VMX_INTERRUPTION_TYPE_NMI << VMX_INTERRUPTION_TYPE_SHIFT) |
                VMX_INTERRUPTION_VALID);
}

/* Sets (@on) or clears processor-based control @bit in the current VMCS,
 * writing it only when it changes. */
static void proc_control_set(struct vmx_vcpu *vx, uint32_t bit, bool on)
{
    uint32_t controls = on ? vx->proc_controls | bit : vx->proc_controls & ~bit;
    if (controls == vx->proc_controls)
        return;
    vx->proc_controls = controls;
    vmwrite(VMCS_PROC_CONTROLS, controls);
}

/* NMI-window exiting: an exit before the first instruction at which there
 * is no virtual-NMI blocking (nor STI or MOV-SS blocking). */
static void vmx_nmi_window(struct vcpu *v, bool open)
{
    proc_control_set(vmx_vcpu_of(v), VMX_PROC_NMI_WINDOW_EXITING, open);
}

/* Virtual-interrupt delivery: RVI := max(RVI, @highest_irr); VM entry then
 * evaluates it against VPPR (SDM 26.3.2.5) and the CPU delivers it. */
static void vmx_update_rvi(struct vcpu *v, uint8_t highest_irr)
{
    (void)v;
    uint64_t status = vmread(VMCS_GUEST_INTERRUPT_STATUS);
    if ((status & VMX_GUEST_INTERRUPT_STATUS_RVI_MASK) >= highest_irr)
        return;
    vmwrite(VMCS_GUEST_INTERRUPT_STATUS,
            (status & ~(uint64_t)VMX_GUEST_INTERRUPT_STATUS_RVI_MASK) | highest_irr);
}

/* Interrupt-window exiting: an exit before the first instruction at which
 * the guest could take an interrupt (SDM 25.2). */
static void vmx_interrupt_window(struct vcpu *v, bool open)
{
    proc_control_set(vmx_vcpu_of(v), VMX_PROC_INTERRUPT_WINDOW_EXITING, open);
}

/* ---- Running ------------------------------------------------------------------ */

/* Makes @vx's VMCS current on this CPU and its CPU-held state live. */
static void vcpu_load(struct vmx_vcpu *vx, unsigned int cpu)
{
    int expected = VMX_NO_CPU;
    /* A borrower (a state read from another CPU) holds it for a moment. */
    while (!__atomic_compare_exchange_n(&vx->active_cpu, &expected, (int)cpu, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expected = VMX_NO_CPU;
        arch_cpu_relax();
    }
    vmptrld(vx->arch.control_phys);
    vmx_cpus[cpu].current = vx;
    if (vx->arch.last_cpu != cpu) {
        vmcs_write_host_cpu_state();
        vx->arch.last_cpu = cpu;
        vmx_add_work(vx, VMX_WORK_FLUSH_VPID);
        vx->ept_seen = 0; /* generations start at 1: flush the EPTP here */
    }
    if (!vx->ran) {
        vmx_ept_domain_ran(vx->vd);
        vx->ran = true;
    }
    write_cr2(vx->cr2);
    __asm__ volatile("mov %0, %%dr0" ::"r"(vx->dr[0]));
    __asm__ volatile("mov %0, %%dr1" ::"r"(vx->dr[1]));
    __asm__ volatile("mov %0, %%dr2" ::"r"(vx->dr[2]));
    __asm__ volatile("mov %0, %%dr3" ::"r"(vx->dr[3]));
    __asm__ volatile("mov %0, %%dr6" ::"r"(vx->dr6));
    hvm_vcpu_load(vx->arch.vcpu);
}

/* The reverse: saves what VMX does not switch, VMCLEARs (see vmx_internal.h). */
static void vcpu_unload(struct vmx_vcpu *vx, unsigned int cpu)
{
    vx->cr2 = read_cr2();
    __asm__ volatile("mov %%dr0, %0" : "=r"(vx->dr[0]));
    __asm__ volatile("mov %%dr1, %0" : "=r"(vx->dr[1]));
    __asm__ volatile("mov %%dr2, %0" : "=r"(vx->dr[2]));
    __asm__ volatile("mov %%dr3, %0" : "=r"(vx->dr[3]));
    __asm__ volatile("mov %%dr6, %0" : "=r"(vx->dr6));
    hvm_vcpu_put(vx->arch.vcpu);
    vmclear(vx->arch.control_phys);
    vx->arch.launched = false;
    vmx_cpus[cpu].current = NULL;
    __atomic_store_n(&vx->active_cpu, VMX_NO_CPU, __ATOMIC_RELEASE);
}

/* The VMX_WORK_* queued for this vCPU (VMCS current, interrupts off). */
void vmx_do_entry_work(struct vmx_vcpu *vx)
{
    uint32_t work = __atomic_exchange_n(&vx->entry_work, 0, __ATOMIC_ACQUIRE);
    if (work & VMX_WORK_RESET) {
        vmcs_write_start_state(vx, &vx->start);
        /* A reset drops any event queued for the old life. */
        work = (work & ~VMX_WORK_EVENT) | __atomic_exchange_n(&vx->entry_work, 0, __ATOMIC_ACQUIRE);
    }
    if (work & VMX_WORK_EVENT)
        event_write(vx->event_info, vx->event_error);
    if (work & VMX_WORK_FLUSH_VPID) {
        if (vmx_caps.invvpid_single)
            invvpid(INVVPID_SINGLE_CONTEXT, (uint16_t)vx->arch.asid);
        else
            invvpid(INVVPID_ALL_CONTEXT, 0);
    }
}

static const char *instruction_error_name(uint64_t error)
{
    switch (error) {
    case VMX_ERROR_VMLAUNCH_NOT_CLEAR:
        return "VMLAUNCH with a non-clear VMCS";
    case VMX_ERROR_VMRESUME_NOT_LAUNCHED:
        return "VMRESUME with a non-launched VMCS";
    case VMX_ERROR_ENTRY_INVALID_CONTROLS:
        return "invalid control fields";
    case VMX_ERROR_ENTRY_INVALID_HOST_STATE:
        return "invalid host-state fields";
    case VMX_ERROR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS:
        return "events blocked by MOV SS";
    default:
        return "see SDM 30.4";
    }
}

static void __attribute__((noinline, cold)) entry_failed(struct vmx_vcpu *vx, int failure)
{
    char what[96];
    if (failure == VMX_ENTER_FAIL_VALID) {
        uint64_t error = vmread(VMCS_INSTRUCTION_ERROR);
        snprintf(what, sizeof(what), "VM entry failed: VM-instruction error %llu (%s)",
                 (unsigned long long)error, instruction_error_name(error));
    } else {
        snprintf(what, sizeof(what), "VM entry failed: no current VMCS");
    }
    printk("vmx: cpu %u: %s; controls pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x\n",
           arch_this_cpu(), what, vmx_caps.pin_controls, vmx_caps.proc_controls,
           vmx_caps.proc2_controls, vmx_caps.exit_controls, (uint32_t)vmread(VMCS_ENTRY_CONTROLS));
    hvm_handle_fatal(vx->arch.vcpu, what);
}

static void vmx_vcpu_run(struct vcpu *v)
{
    struct vmx_vcpu *vx = vmx_vcpu_of(v);
    unsigned long flags = arch_irq_save();
    unsigned int cpu = arch_this_cpu();
    bool loaded = false;
    enum vmx_next next = VMX_NEXT_RECHECK;

    if (__builtin_expect(!vmx_cpus[cpu].on, 0)) {
        arch_irq_restore(flags);
        domain_crash(v->domain, "cpu %u cannot run guests: VMX could not be enabled on it", cpu);
        return;
    }

    /* Interrupts stay off from the checks to the entry: an interrupt that
     * arrives in between is pending at VM entry and exits at once.
     *
     * Exit after exit, vmx_exit_handle() decides on the spot whether the
     * guest goes straight back in (vmx_entry.S then resumes it without
     * returning here). This loop sees the first entry and the exits after
     * which the vCPU must not, or might not, go on. */
    for (;;) {
        if (next == VMX_NEXT_RECHECK) {
            if (!vcpu_runnable(v) || core_cpu_should_reschedule())
                break;
            if (!loaded) {
                vcpu_load(vx, cpu);
                loaded = true;
            }
            vmx_ept_sync(vx);
        }
        if (__builtin_expect(vx->entry_work != 0, 0))
            vmx_do_entry_work(vx);
        if (next == VMX_NEXT_RECHECK)
            hvm_deliver_interrupts(v);
        int result = vmx_enter(&vx->arch.gprs, &vx->host_rsp, vx->arch.launched);
        if (__builtin_expect(result != VMX_ENTER_EXITED, 0)) {
            entry_failed(vx, result);
            break;
        }
        next = vx->next;
        if (next == VMX_NEXT_STOP)
            break;
    }
    if (loaded)
        vcpu_unload(vx, cpu);
    arch_irq_restore(flags);
}

static struct hvm_ops vmx_ops = {
    .name = "vmx",
    .hypercall_insn = VMX_VMCALL_BYTES,
    .p2m_orders = 1, /* set by vmx_probe() */
    .cpu_init = vmx_cpu_init,
    .domain_init = vmx_domain_init,
    .domain_teardown = vmx_domain_teardown,
    .p2m_map = vmx_p2m_map,
    .p2m_lookup = vmx_p2m_lookup,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_teardown = vmx_vcpu_teardown,
    .vcpu_set_pvh_entry = vmx_vcpu_set_pvh_entry,
    .vcpu_run = vmx_vcpu_run,
    .get_state = vmx_get_state,
    .get_mode = vmx_get_mode,
    .inject_exception = vmx_inject_exception,
    .interrupt_deliverable = vmx_interrupt_deliverable,
    .inject_interrupt = vmx_inject_interrupt,
    .interrupt_window = vmx_interrupt_window,
    .nmi_deliverable = vmx_nmi_deliverable,
    .inject_nmi = vmx_inject_nmi,
    .nmi_window = NULL,                  /* set by vmx_probe() */
    .virtual_interrupt_delivery = false, /* set by vmx_probe() */
    .update_rvi = NULL,                  /* set by vmx_probe() */
    .vcpu_set_start_state = vmx_vcpu_set_start_state,
};
