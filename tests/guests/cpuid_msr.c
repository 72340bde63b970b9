/* cpuid_msr: what a guest learns from CPUID and MSRs, and how the
 * hypervisor treats instructions that touch things that are not there.
 *
 * Checks the Xen leaves (signature, highest leaf, version, hypercall page
 * MSR, vCPU and domain id), that VMX and SVM are hidden and the
 * hypervisor bit is set, the x2APIC base MSR, #GP for an unknown MSR, all
 * ones from an unused I/O port, and #GP for XSETBV with an invalid XCR0. */
#include "runtime/runtime.h"

const char guest_name[] = "cpuid_msr";

#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID_EXT1_ECX_SVM (1u << 2)
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_X2APIC_BSP 0xfee00d00ull /* base 0xfee00000, EN, EXTD, BSP */
#define MSR_UNKNOWN 0x12345
#define MSR_EFER 0xc0000080
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define VECTOR_GP 13
#define UNUSED_PORT 0x510
#define CR4_OSXSAVE (1ull << 18)
#define XCR0_X87 1ull

static void check_xen_leaves(void)
{
    struct cpuid_result r = cpuid(XEN_CPUID_BASE, 0);
    check(r.ebx == XEN_CPUID_SIGNATURE_EBX && r.ecx == XEN_CPUID_SIGNATURE_ECX &&
              r.edx == XEN_CPUID_SIGNATURE_EDX,
          "leaf 0x40000000 signature XenVMMXenVMM");
    check_eq_hex("leaf 0x40000000 highest leaf", XEN_CPUID_BASE + XEN_CPUID_LEAVES, r.eax);

    r = cpuid(XEN_CPUID_BASE + 1, 0);
    check_nonzero("leaf 0x40000001 version", r.eax);
    printf("guest: claims Xen %u.%u\n", r.eax >> 16, r.eax & 0xffff);

    r = cpuid(XEN_CPUID_BASE + 2, 0);
    check_eq_int("leaf 0x40000002 hypercall pages", 1, r.eax);
    check_eq_hex("leaf 0x40000002 hypercall MSR", XEN_MSR_HYPERCALL_PAGE, r.ebx);

    r = cpuid(XEN_CPUID_BASE + 4, 0);
    check(r.eax & XEN_CPUID_HVM_VCPU_ID_PRESENT, "leaf 0x40000004 says the vCPU id is present");
    check(r.eax & XEN_CPUID_HVM_DOMID_PRESENT, "leaf 0x40000004 says the domain id is present");
    check_eq_int("leaf 0x40000004 vCPU id", 0, r.ebx);
    check(r.ecx >= 1 && r.ecx < DOMID_SELF, "leaf 0x40000004 domain id is a real domain");
    printf("guest: domain id %u\n", r.ecx);
}

static void check_hidden_features(void)
{
    struct cpuid_result r = cpuid(1, 0);
    check(!(r.ecx & CPUID1_ECX_VMX), "leaf 1 hides VMX");
    check(r.ecx & CPUID1_ECX_HYPERVISOR, "leaf 1 sets the hypervisor bit");
    struct cpuid_result max_ext = cpuid(0x80000000, 0);
    if (max_ext.eax >= 0x80000001) {
        r = cpuid(0x80000001, 0);
        check(!(r.ecx & CPUID_EXT1_ECX_SVM), "leaf 0x80000001 hides SVM");
    } else {
        check(false, "leaf 0x80000000 offers leaf 0x80000001");
    }
}

static void check_msrs(void)
{
    uint64_t value = 0;
    int fault = safe_rdmsr(MSR_APIC_BASE, &value);
    check_eq_int("rdmsr 0x1b does not fault", NO_FAULT, fault);
    check_eq_hex("rdmsr 0x1b: x2APIC enabled at 0xfee00000", APIC_BASE_X2APIC_BSP, value);

    fault = safe_rdmsr(MSR_UNKNOWN, &value);
    check_eq_int("rdmsr of unknown MSR 0x12345 raises #GP", VECTOR_GP, fault);
    fault = safe_wrmsr(MSR_UNKNOWN, 1);
    check_eq_int("wrmsr of unknown MSR 0x12345 raises #GP", VECTOR_GP, fault);

    fault = safe_rdmsr(MSR_EFER, &value);
    check(fault == NO_FAULT && (value & EFER_LME) && (value & EFER_LMA),
          "EFER reads back with LME and LMA set");
}

static void check_port_io(void)
{
    check_eq_hex("inb from unused port 0x510", 0xff, inb(UNUSED_PORT));
    check_eq_hex("inw from unused port 0x510", 0xffff, inw(UNUSED_PORT));
    check_eq_hex("inl from unused port 0x510", 0xffffffffu, inl(UNUSED_PORT));
    outb(UNUSED_PORT, 0x42); /* dropped; must not hurt */
    check_eq_hex("inb after a write is still all ones", 0xff, inb(UNUSED_PORT));
}

static void check_xsetbv(void)
{
    if (!(cpuid(1, 0).ecx & CPUID1_ECX_XSAVE)) {
        printf("guest: no XSAVE offered: skipping the XSETBV checks\n");
        return;
    }
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSXSAVE));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    check(cr4 & CR4_OSXSAVE, "CR4.OSXSAVE can be set");

    check_eq_int("xsetbv XCR0=0 raises #GP", VECTOR_GP, safe_xsetbv(0, 0));
    check_eq_int("xsetbv XCR0=x87 succeeds", NO_FAULT, safe_xsetbv(0, XCR0_X87));
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    check_eq_hex("xgetbv reads back XCR0=x87", XCR0_X87, ((uint64_t)hi << 32) | lo);
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    check_xen_leaves();
    check_hidden_features();
    check_msrs();
    check_port_io();
    check_xsetbv();
}
