/* The platform as the core sees it: bring-up order, the CPU list, and the
 * one-line description in the boot summary.
 *
 * The summary reports what the CPU offers for virtualization, read from the
 * capability registers and never assumed: VMX only if IA32_FEATURE_CONTROL
 * allows it outside SMX (or is unlocked), SVM only if VM_CR does not disable
 * it; 1 GiB EPT pages from IA32_VMX_EPT_VPID_CAP; NPT from CPUID 0x8000000A;
 * XCR0 as the set of state components XSAVE supports (CPUID 0xD). Then how
 * guests get their local APIC, as the chosen back end decided: "apicv" (VMX
 * with APIC-register virtualization and virtual-interrupt delivery),
 * "emulated" (all in software), or "none" (no guests on this machine). */
#include "arch/arch.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "x86/acpi.h"
#include "x86/apic.h"
#include "x86/hvm.h"
#include "x86/insn.h"
#include "x86/percpu.h"
#include "x86/pic8259.h"
#include "x86/platform.h"
#include "x86/regs.h"
#include "x86/tsc.h"

void arch_platform_init(const struct xencore_boot_info *info, const struct arch_options *options)
{
    acpi_init(info);
    pic8259_disable();
    apic_init_boot_cpu(options->allow_x2apic);
    this_percpu()->apic_id = apic_this_id();
    cpu_topology_record_this_cpu();
    tsc_calibrate();
    cmos_rtc_init();
    apic_timer_init_boot_cpu();
    smp_init(info);
}

unsigned int arch_cpus_enumerate(uint32_t *arch_ids, unsigned int max, unsigned int *found)
{
    const struct madt_info *madt = acpi_madt();
    uint32_t boot_id = this_percpu()->apic_id;
    unsigned int n = 0;

    *found = madt->cpus_found;
    if (max == 0)
        return 0;
    arch_ids[n++] = boot_id;
    for (unsigned int i = 0; i < madt->cpus_stored && n < max; i++) {
        uint32_t id = madt->apic_ids[i];
        if (id == boot_id)
            continue;
        if (id > apic_max_addressable_id()) {
            printk("xencore: CPU with APIC ID %u needs x2APIC mode; leaving it out\n", id);
            continue;
        }
        arch_ids[n++] = id;
    }
    return n;
}

static bool vmx_usable(void)
{
    if (!(cpuid(1).ecx & CPUID1_ECX_VMX))
        return false;
    uint64_t control = rdmsr(MSR_IA32_FEATURE_CONTROL);
    return !(control & FEATURE_CONTROL_LOCKED) || (control & FEATURE_CONTROL_VMX_OUTSIDE_SMX);
}

static bool svm_usable(void)
{
    if (cpuid(0x80000000).eax < 0x80000001 || !(cpuid(0x80000001).ecx & CPUID_EXT1_ECX_SVM))
        return false;
    return !(rdmsr(MSR_VM_CR) & VM_CR_SVMDIS);
}

static bool vmx_has_ept_1g(void)
{
    uint64_t procbased = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
    if (!((procbased >> 32) & VMX_PROCBASED_SECONDARY))
        return false;
    uint64_t secondary = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    if (!((secondary >> 32) & VMX_PROCBASED2_EPT))
        return false;
    return rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & EPT_CAP_PAGE_1GB;
}

static bool svm_has_npt(void)
{
    return cpuid(0x80000000).eax >= 0x8000000a && (cpuid(0x8000000a).edx & CPUID_SVM_EDX_NPT);
}

static uint64_t xcr0_supported(void)
{
    if (!(cpuid(1).ecx & CPUID1_ECX_XSAVE) || cpuid(0).eax < 0xd)
        return 0;
    struct cpuid_regs r = cpuid_count(0xd, 0);
    return ((uint64_t)r.edx << 32) | r.eax;
}

void arch_describe(char *buffer, size_t size)
{
    bool vmx = vmx_usable();
    bool svm = !vmx && svm_usable();
    snprintf(buffer, size, "apic=%s virt=%s ept1g=%d npt=%d xcr0=0x%llx vapic=%s",
             apic_is_x2apic() ? "x2apic" : "xapic", vmx ? "vmx" : svm ? "svm" : "none",
             vmx && vmx_has_ept_1g(), svm && svm_has_npt(),
             (unsigned long long)xcr0_supported(),
             !hvm ? "none" : hvm->virtual_interrupt_delivery ? "apicv" : "emulated");
}
