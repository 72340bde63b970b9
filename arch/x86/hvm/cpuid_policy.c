/* What a guest sees through CPUID: the host's features, minus everything we do
 * not virtualize, plus Xen's leaves at 0x40000000.
 *
 * The rule is "hide what is not virtualized": VMX/SVM (no nested guests),
 * machine check, MTRRs and PAT (no such MSRs), performance monitoring,
 * MONITOR/MWAIT, speculation control MSRs, INVPCID (needs a VMX control),
 * protection keys, XSAVES. What is virtualized is offered whatever the host
 * has: x2APIC and the TSC-deadline timer (the vLAPIC, hvm/vlapic.c, whose
 * TSC-deadline mode runs on the guest's TSC on any host).
 * XSAVE components are limited to x87, SSE, AVX and AVX-512. The same policy
 * serves both back ends; topology fields are the vCPU's own. */
#include <xencore/abi/guest.h>

#include "x86/hvm.h"
#include "x86/hvm_policy.h"
#include "x86/insn.h"

/* Leaf 1 */
#define L1_ECX_MONITOR (1U << 3)
#define L1_ECX_VMX (1U << 5)
#define L1_ECX_SMX (1U << 6)
#define L1_ECX_EST (1U << 7)
#define L1_ECX_TM2 (1U << 8)
#define L1_ECX_SDBG (1U << 11)
#define L1_ECX_PDCM (1U << 15)
#define L1_ECX_DCA (1U << 18)
#define L1_ECX_X2APIC (1U << 21)
#define L1_ECX_TSC_DEADLINE (1U << 24)
#define L1_ECX_OSXSAVE (1U << 27)
#define L1_ECX_HYPERVISOR (1U << 31)
#define L1_EDX_MCE (1U << 7)
#define L1_EDX_MTRR (1U << 12)
#define L1_EDX_MCA (1U << 14)
#define L1_EDX_PAT (1U << 16)
#define L1_EDX_DS (1U << 21)
#define L1_EDX_ACPI (1U << 22)
#define L1_EDX_TM (1U << 29)
#define L1_EDX_PBE (1U << 31)
#define L1_EBX_APIC_ID_SHIFT 24
#define L1_EBX_LOGICAL_COUNT_SHIFT 16
#define L1_EBX_KEEP 0x0000ffffU /* brand index, CLFLUSH size */
/* Leaf 7.0 */
#define L7_EBX_SGX (1U << 2)
#define L7_EBX_INVPCID (1U << 10)
#define L7_EBX_PQM (1U << 12)
#define L7_EBX_MPX (1U << 14)
#define L7_EBX_PQE (1U << 15)
#define L7_EBX_PT (1U << 25)
#define L7_ECX_PKU (1U << 3)
#define L7_ECX_OSPKE (1U << 4)
#define L7_ECX_WAITPKG (1U << 5)
/* Leaf 0xD.1 */
#define LD1_EAX_XSAVES (1U << 3)
/* Leaf 0x80000001 */
#define LE1_ECX_SVM (1U << 2)
#define LE1_ECX_IBS (1U << 10)
#define LE1_ECX_SKINIT (1U << 12)
#define LE1_ECX_WDT (1U << 13)
#define LE1_ECX_PERFCTR (1U << 23)

#define MAX_BASIC_LEAF 0xd
#define MAX_EXTENDED_LEAF 0x80000008u
#define XEN_INTERFACE_VERSION ((4U << 16) | 17U) /* we answer as Xen 4.17 */
#define CR4_OSXSAVE (1ULL << 18)

/* x87 | SSE | AVX | AVX-512 opmask, ZMM_Hi256, Hi16_ZMM */
#define GUEST_XCR0_ALLOWED 0xe7ULL

/* Host facts the policy needs on every exit, read once. */
static struct {
    bool known;
    uint32_t max_basic, max_extended;
    uint64_t xcr0_allowed;
} host;

static void host_facts(void)
{
    if (__builtin_expect(host.known, 1))
        return;
    uint32_t basic = cpuid(0).eax, extended = cpuid(0x80000000).eax;
    host.max_basic = basic < MAX_BASIC_LEAF ? basic : MAX_BASIC_LEAF;
    host.max_extended = extended < MAX_EXTENDED_LEAF ? extended : MAX_EXTENDED_LEAF;
    if (cpuid(1).ecx & (1U << 26)) {
        struct cpuid_regs r = cpuid_count(0xd, 0);
        host.xcr0_allowed = (((uint64_t)r.edx << 32) | r.eax) & GUEST_XCR0_ALLOWED;
    }
    __atomic_store_n(&host.known, true, __ATOMIC_RELEASE);
}

uint64_t hvm_guest_xcr0_allowed(void)
{
    host_facts();
    return host.xcr0_allowed;
}

static void xen_leaf(struct vcpu *v, uint32_t leaf, struct cpuid_regs *r)
{
    *r = (struct cpuid_regs){ 0, 0, 0, 0 };
    switch (leaf - XEN_CPUID_BASE) {
    case 0:
        r->eax = XEN_CPUID_BASE + XEN_CPUID_LEAVES;
        r->ebx = XEN_CPUID_SIGNATURE_EBX;
        r->ecx = XEN_CPUID_SIGNATURE_ECX;
        r->edx = XEN_CPUID_SIGNATURE_EDX;
        break;
    case 1:
        r->eax = XEN_INTERFACE_VERSION;
        break;
    case 2:
        r->eax = 1; /* one hypercall page */
        r->ebx = XEN_MSR_HYPERCALL_PAGE;
        break;
    case 4:
        r->eax = XEN_CPUID_HVM_VCPU_ID_PRESENT | XEN_CPUID_HVM_DOMID_PRESENT;
        r->ebx = v->id;
        r->ecx = v->domain->domid;
        break;
    default: /* 3 (TSC mode) and 5 (PV features): nothing offered */
        break;
    }
}

void hvm_cpuid_policy(struct vcpu *v, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
    if (leaf >= XEN_CPUID_BASE && leaf < XEN_CPUID_BASE + 0x10000) {
        if (leaf <= XEN_CPUID_BASE + XEN_CPUID_LEAVES)
            xen_leaf(v, leaf, r);
        else
            *r = (struct cpuid_regs){ 0, 0, 0, 0 };
        return;
    }
    host_facts();
    uint32_t max_basic = host.max_basic, max_ext = host.max_extended;
    if ((leaf < 0x80000000 && leaf > max_basic) ||
        (leaf >= 0x80000000 && leaf > max_ext)) {
        *r = (struct cpuid_regs){ 0, 0, 0, 0 };
        return;
    }
    *r = cpuid_count(leaf, subleaf);
    struct hvm_state state;
    switch (leaf) {
    case 0:
        r->eax = max_basic;
        break;
    case 1:
        hvm->get_state(v, &state);
        r->ecx &= ~(L1_ECX_MONITOR | L1_ECX_VMX | L1_ECX_SMX | L1_ECX_EST | L1_ECX_TM2 |
                    L1_ECX_SDBG | L1_ECX_PDCM | L1_ECX_DCA | L1_ECX_OSXSAVE);
        r->ecx |= L1_ECX_HYPERVISOR | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE;
        if (state.cr4 & CR4_OSXSAVE)
            r->ecx |= L1_ECX_OSXSAVE;
        r->edx &= ~(L1_EDX_MCE | L1_EDX_MTRR | L1_EDX_MCA | L1_EDX_PAT | L1_EDX_DS |
                    L1_EDX_ACPI | L1_EDX_TM | L1_EDX_PBE);
        r->ebx = (r->ebx & L1_EBX_KEEP) | (v->id << L1_EBX_APIC_ID_SHIFT) |
                 ((v->domain->nr_vcpus & 0xff) << L1_EBX_LOGICAL_COUNT_SHIFT);
        break;
    case 5:  /* MONITOR/MWAIT */
    case 6:  /* thermal and power */
    case 0xa: /* performance monitoring */
        *r = (struct cpuid_regs){ 0, 0, 0, 0 };
        break;
    case 7:
        if (subleaf != 0) {
            *r = (struct cpuid_regs){ 0, 0, 0, 0 };
            break;
        }
        r->eax = 0; /* no further subleaves */
        r->ebx &= ~(L7_EBX_SGX | L7_EBX_INVPCID | L7_EBX_PQM | L7_EBX_MPX | L7_EBX_PQE |
                    L7_EBX_PT);
        r->ecx &= ~(L7_ECX_PKU | L7_ECX_OSPKE | L7_ECX_WAITPKG);
        r->edx = 0; /* speculation-control MSRs and the like are not offered */
        break;
    case 0xb: /* topology: not described */
        *r = (struct cpuid_regs){ 0, 0, 0, 0 };
        break;
    case 0xd: {
        uint64_t allowed = hvm_guest_xcr0_allowed();
        if (subleaf == 0) {
            /* EBX (the size for the XCR0 in force) is the CPU's answer: the
             * guest's XCR0 is loaded while it runs. ECX is the size for
             * everything the guest may enable, not for what the host has. */
            r->eax = (uint32_t)allowed;
            r->edx = (uint32_t)(allowed >> 32);
            r->ecx = hvm_guest_xsave_bytes();
        } else if (subleaf == 1) {
            /* EBX: the compacted size for XCR0 | IA32_XSS, and XSS is 0 */
            r->eax &= ~LD1_EAX_XSAVES;
            r->ecx = r->edx = 0;
        } else if (subleaf >= 64 || !(allowed & (1ULL << subleaf))) {
            *r = (struct cpuid_regs){ 0, 0, 0, 0 };
        }
        break;
    }
    case 0x80000001:
        r->ecx &= ~(LE1_ECX_SVM | LE1_ECX_IBS | LE1_ECX_SKINIT | LE1_ECX_WDT | LE1_ECX_PERFCTR);
        break;
    case 0x80000000:
        r->eax = max_ext;
        break;
    default:
        break;
    }
}
