/* cpuid_msr: what a guest learns from CPUID and MSRs, and how the
 * hypervisor treats instructions that touch things that are not there.
 *
 * Checks the Xen leaves (signature, highest leaf, version, hypercall page
 * MSR, vCPU and domain id), that VMX and SVM are hidden and the
 * hypervisor bit is set, the x2APIC base MSR, #GP for an unknown MSR, all
 * ones from an unused I/O port, and XSETBV against CPUID 0xD: every
 * combination of the offered components the architecture allows is
 * accepted and reads back, every other one and XSETBV at CPL 3 is #GP,
 * and the 0xD subleaves size and place each offered component.
 *
 * With xsetbv=strict on the command line also: every bit CPUID 0xD.0 does
 * not offer is #GP, and XCR1. That is our handler's policy, not the
 * architecture's, so only a rig whose CPU gives us the XSETBV exit can pass
 * it (QEMU 7.2's SVM does not: tests/system/vector_state.cmake runs it on
 * Bochs). */
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
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_OPMASK (1ull << 5)
#define XCR0_AVX512 (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_FIRST_EXTENDED 2
#define XCR0_BITS 63 /* components 0-62; bit 63 is reserved */
#define XSAVE_LEGACY_AND_HEADER 576

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

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* The architecture's rules for XCR0 (SDM vol. 2, XSETBV), given what CPUID
 * 0xD.0 offers: x87 always, AVX only with SSE, AVX-512's three components
 * together and only with AVX, nothing not offered. */
static bool xcr0_valid(uint64_t value, uint64_t offered)
{
    uint64_t avx512 = value & XCR0_AVX512;
    return (value & ~offered) == 0 && (value & XCR0_X87) &&
           (!(value & XCR0_AVX) || (value & XCR0_SSE)) &&
           (!avx512 || (avx512 == XCR0_AVX512 && (value & XCR0_AVX)));
}

/* The bytes an XSAVE area needs for @xcr0 by the offsets and sizes of the
 * subleaves: what 0xD.0 EBX must say while XCR0 is @xcr0. */
static uint32_t xsave_size_for(uint64_t xcr0)
{
    uint32_t size = XSAVE_LEGACY_AND_HEADER;
    for (unsigned int i = XCR0_FIRST_EXTENDED; i < XCR0_BITS; i++) {
        if (xcr0 & (1ull << i)) {
            struct cpuid_result r = cpuid(0xd, i);
            if (r.ebx + r.eax > size)
                size = r.ebx + r.eax;
        }
    }
    return size;
}

static volatile int user_xsetbv_fault;

static void user_mode_xsetbv(void)
{
    user_xsetbv_fault = safe_xsetbv(0, XCR0_X87);
    user_mode_exit();
}

/* Every subset of the offered components: the valid ones are accepted and
 * read back, with 0xD.0 EBX sized for them; the others are #GP and leave
 * XCR0 as it was. Counts into *accepted and *refused. */
static void check_xcr0_combinations(uint64_t offered, unsigned int *accepted, unsigned int *refused)
{
    unsigned int bits[XCR0_BITS], n = 0;
    for (unsigned int i = 0; i < XCR0_BITS; i++)
        if (offered & (1ull << i))
            bits[n++] = i;
    unsigned int wrong_accept = 0, wrong_refuse = 0, wrong_readback = 0, wrong_size = 0;
    for (uint64_t subset = 0; subset < (1ull << n); subset++) {
        uint64_t value = 0;
        for (unsigned int j = 0; j < n; j++)
            if (subset & (1ull << j))
                value |= 1ull << bits[j];
        safe_xsetbv(0, XCR0_X87);
        int fault = safe_xsetbv(0, value);
        if (xcr0_valid(value, offered)) {
            if (fault != NO_FAULT) {
                wrong_refuse++;
                printf("guest: FAIL xsetbv XCR0=0x%llx (valid) raised vector %d\n",
                       (unsigned long long)value, fault);
                continue;
            }
            (*accepted)++;
            uint64_t back = xgetbv0();
            if (back != value) {
                wrong_readback++;
                printf("guest: FAIL xgetbv after XCR0=0x%llx read 0x%llx\n",
                       (unsigned long long)value, (unsigned long long)back);
            }
            uint32_t size = cpuid(0xd, 0).ebx, need = xsave_size_for(value);
            if (size != need) {
                wrong_size++;
                printf("guest: FAIL CPUID 0xD.0 EBX with XCR0=0x%llx: %u, the subleaves say %u\n",
                       (unsigned long long)value, size, need);
            }
        } else {
            if (fault != VECTOR_GP || xgetbv0() != XCR0_X87) {
                wrong_accept++;
                printf("guest: FAIL xsetbv XCR0=0x%llx (invalid) gave %d, XCR0 now 0x%llx\n",
                       (unsigned long long)value, fault, (unsigned long long)xgetbv0());
                continue;
            }
            (*refused)++;
        }
    }
    check_eq_int("every valid combination of offered components is accepted", 0, wrong_refuse);
    check_eq_int("every accepted XCR0 reads back with xgetbv", 0, wrong_readback);
    check_eq_int("every invalid combination of offered components is #GP", 0, wrong_accept);
    check_eq_int("CPUID 0xD.0 EBX fits each accepted XCR0", 0, wrong_size);
}

/* CPUID 0xD against itself: each offered component's subleaf has a size
 * and an offset past the legacy area and header, inside 0xD.0 EBX with
 * every offered component on and inside ECX; components not offered have
 * empty subleaves. XCR0 must hold @offered. */
static void check_leaf_d(uint64_t offered)
{
    struct cpuid_result r0 = cpuid(0xd, 0);
    check((offered & (XCR0_X87 | XCR0_SSE)) == (XCR0_X87 | XCR0_SSE),
          "CPUID 0xD.0 offers x87 and SSE");
    unsigned int bad = 0;
    for (unsigned int i = XCR0_FIRST_EXTENDED; i < XCR0_BITS; i++) {
        struct cpuid_result r = cpuid(0xd, i);
        if (offered & (1ull << i)) {
            if (r.eax == 0 || r.ebx < XSAVE_LEGACY_AND_HEADER || r.ebx + r.eax > r0.ebx ||
                r.ebx + r.eax > r0.ecx) {
                bad++;
                printf("guest: FAIL CPUID 0xD.%u: size %u at offset %u; 0xD.0 EBX %u ECX %u\n", i,
                       r.eax, r.ebx, r0.ebx, r0.ecx);
            }
        } else if (r.eax != 0 || r.ebx != 0 || r.ecx != 0 || r.edx != 0) {
            bad++;
            printf("guest: FAIL CPUID 0xD.%u describes component %u, which 0xD.0 does not offer\n",
                   i, i);
        }
    }
    check_eq_int("CPUID 0xD subleaves: each offered component sized and placed", 0, bad);
    check_eq_hex("CPUID 0xD.0 EBX with every offered component on", xsave_size_for(offered),
                 r0.ebx);
}

/* xsetbv=strict: what only our XSETBV handler decides (on QEMU 7.2 the
 * guest's XSETBV never reaches it): each bit not offered is #GP, with every
 * offered one, alone with x87, and in XCR0 1 (index) instead of 0. */
static void check_xsetbv_strict(uint64_t offered)
{
    unsigned int wrong = 0;
    for (unsigned int i = 0; i <= XCR0_BITS; i++) {
        uint64_t bit = 1ull << i;
        if (offered & bit)
            continue;
        safe_xsetbv(0, offered);
        int with_all = safe_xsetbv(0, offered | bit);
        int alone = safe_xsetbv(0, XCR0_X87 | bit);
        if (with_all != VECTOR_GP || alone != VECTOR_GP || xgetbv0() != offered) {
            wrong++;
            printf("guest: FAIL xsetbv with bit %u (not offered): %d and %d, XCR0 now 0x%llx\n", i,
                   with_all, alone, (unsigned long long)xgetbv0());
        }
    }
    check_eq_int("xsetbv with any bit CPUID 0xD.0 does not offer is #GP", 0, wrong);
    check_eq_int("xsetbv to XCR1 is #GP", VECTOR_GP, safe_xsetbv(1, XCR0_X87));
    check_eq_hex("a refused xsetbv leaves XCR0 as it was", offered, xgetbv0());
}

static void check_xsetbv(bool strict)
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
    check_eq_hex("xgetbv reads back XCR0=x87", XCR0_X87, xgetbv0());

    struct cpuid_result r0 = cpuid(0xd, 0);
    uint64_t offered = ((uint64_t)r0.edx << 32) | r0.eax;
    printf("guest: CPUID 0xD.0 offers XCR0 0x%llx\n", (unsigned long long)offered);
    check_eq_int("xsetbv XCR0=SSE without x87 raises #GP", VECTOR_GP, safe_xsetbv(0, XCR0_SSE));
    if (offered & XCR0_AVX) {
        check_eq_int("xsetbv AVX without SSE raises #GP", VECTOR_GP,
                     safe_xsetbv(0, XCR0_X87 | XCR0_AVX));
    }
    if ((offered & XCR0_AVX512) == XCR0_AVX512) {
        check_eq_int("xsetbv AVX-512 without AVX raises #GP", VECTOR_GP,
                     safe_xsetbv(0, XCR0_X87 | XCR0_SSE | XCR0_AVX512));
        check_eq_int("xsetbv opmask alone (no ZMM) raises #GP", VECTOR_GP,
                     safe_xsetbv(0, XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK));
    }
    unsigned int accepted = 0, refused = 0;
    check_xcr0_combinations(offered, &accepted, &refused);

    check_eq_int("xsetbv with every offered component succeeds", NO_FAULT, safe_xsetbv(0, offered));
    check_leaf_d(offered);

    user_xsetbv_fault = 12345;
    run_in_user_mode(user_mode_xsetbv);
    check_eq_int("xsetbv at CPL 3 raises #GP", VECTOR_GP, user_xsetbv_fault);
    check_eq_hex("... and leaves XCR0 alone", offered, xgetbv0());

    if (strict) {
        check_xsetbv_strict(offered);
        printf("guest: xsetbv checked strictly: offered 0x%llx, %u valid combinations accepted, "
               "%u invalid refused\n",
               (unsigned long long)offered, accepted, refused);
    }
    safe_xsetbv(0, XCR0_X87);
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    char xsetbv_mode[16] = "";
    cmdline_get("xsetbv", xsetbv_mode, sizeof(xsetbv_mode));
    check_xen_leaves();
    check_hidden_features();
    check_msrs();
    check_port_io();
    check_xsetbv(strcmp(xsetbv_mode, "strict") == 0);
}
