/* Unit tests of the VCPUOP_initialise state check (arch/x86/vcpu_context.c).
 *
 * A secondary vCPU's first instruction runs in whatever state its guest
 * asked for. A state the CPU would refuse must be refused at the hypercall
 * with -EINVAL, never accepted and then kill the domain at the first VM
 * entry (or, worse, enter with bits the hypervisor does not offer). The
 * tests start from the states real guests send (FreeBSD's and Linux's flat
 * 32-bit and 64-bit states), check the image both back ends install, and
 * break one rule at a time: reserved CR0/CR4/EFER/RFLAGS bits, PG without
 * PE, long mode without PAE, LMA without LME, CR3 beyond MAXPHYADDR, a
 * non-canonical RIP, EIP beyond CS, segments of the wrong kind, limits that
 * disagree with G, DPL mismatches, null CS/SS/TR, non-zero padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/errno.h"
#include "x86/vcpu_context.h"

#define CR0_PE 0x1U
#define CR0_ET 0x10U
#define CR0_NW (1U << 29)
#define CR0_PG (1U << 31)
#define CR4_PAE (1U << 5)
#define CR4_VMXE (1U << 13)
#define CR4_PCIDE (1U << 17)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)
#define EFER_SVME (1ULL << 12)
#define RFLAGS_IF 0x200U

static const struct hvm_cpu_facts facts = {
    .cr4_allowed = 0x3707ffULL, /* what a recent CPU offers guests here */
    .nx = true,
    .phys_bits = 40,
};

/* A flat 32-bit protected-mode state as FreeBSD's PVH AP start sends it. */
static struct vcpu_hvm_context flat32(void)
{
    struct vcpu_hvm_context c;
    memset(&c, 0, sizeof(c));
    c.mode = VCPU_HVM_MODE_32B;
    struct vcpu_hvm_x86_32 *r = &c.cpu_regs.x86_32;
    r->eip = 0x100000;
    r->esp = 0x200000;
    r->ebx = 0x1234;
    r->cr0 = CR0_PE;
    r->cs_limit = r->ds_limit = r->ss_limit = r->es_limit = 0xffffffff;
    r->cs_ar = 0xc9b;
    r->ds_ar = r->ss_ar = r->es_ar = 0xc93;
    r->tr_ar = 0x8b;
    r->tr_limit = 0x67;
    return c;
}

static struct vcpu_hvm_context flat64(void)
{
    struct vcpu_hvm_context c;
    memset(&c, 0, sizeof(c));
    c.mode = VCPU_HVM_MODE_64B;
    struct vcpu_hvm_x86_64 *r = &c.cpu_regs.x86_64;
    r->rip = 0xffffffff81000000ULL;
    r->rsp = 0xffffffff81800000ULL;
    r->rdi = 7;
    r->cr0 = CR0_PE | CR0_PG;
    r->cr4 = CR4_PAE;
    r->cr3 = 0x1000;
    r->efer = EFER_LME | EFER_LMA | EFER_NXE;
    r->rflags = RFLAGS_IF;
    return c;
}

static int check(const struct vcpu_hvm_context *c, struct hvm_start_state *out)
{
    const char *why = NULL;
    int rc = hvm_vcpu_context_check(c, &facts, out, &why);
    if (rc)
        assert_non_null(why); /* every refusal names its reason */
    return rc;
}

static void refused(const struct vcpu_hvm_context *c)
{
    struct hvm_start_state out;
    assert_int_equal(check(c, &out), -XC_EINVAL);
}

static void test_flat32_accepted(void **state)
{
    (void)state;
    struct vcpu_hvm_context c = flat32();
    struct hvm_start_state s;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.rip, 0x100000);
    assert_int_equal(s.rsp, 0x200000);
    assert_int_equal(s.rbx, 0x1234);
    assert_int_equal(s.cr0, CR0_PE | CR0_ET); /* ET reads as one */
    assert_int_equal(s.rflags, 0x2);          /* bit 1 reads as one */
    assert_int_equal(s.efer, 0);
    assert_int_equal(s.segments[HVM_SEG_CS].attr, 0xc9b);
    assert_int_equal(s.segments[HVM_SEG_CS].limit, 0xffffffffU);
    assert_int_equal(s.segments[HVM_SEG_CS].selector, 0x08);
    assert_int_equal(s.segments[HVM_SEG_SS].attr, 0xc93);
    /* FS and GS are DS; no LDT. */
    assert_memory_equal(&s.segments[HVM_SEG_FS], &s.segments[HVM_SEG_DS],
                        sizeof(struct hvm_segment));
    assert_memory_equal(&s.segments[HVM_SEG_GS], &s.segments[HVM_SEG_DS],
                        sizeof(struct hvm_segment));
    assert_int_equal(s.segments[HVM_SEG_LDTR].attr, 0);
    assert_int_equal(s.segments[HVM_SEG_TR].attr, 0x8b);
}

static void test_flat32_normalizes_accessed_and_null_data(void **state)
{
    (void)state;
    struct vcpu_hvm_context c = flat32();
    c.cpu_regs.x86_32.cs_ar = 0xc9a; /* not yet accessed */
    c.cpu_regs.x86_32.ds_ar = 0;     /* null DS and ES are allowed */
    c.cpu_regs.x86_32.es_ar = 0;
    struct hvm_start_state s;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.segments[HVM_SEG_CS].attr, 0xc9b);
    assert_int_equal(s.segments[HVM_SEG_DS].attr, 0);
    assert_int_equal(s.segments[HVM_SEG_ES].attr, 0);
}

static void test_32bit_paging_modes(void **state)
{
    (void)state;
    struct vcpu_hvm_context c = flat32();
    struct hvm_start_state s;
    c.cpu_regs.x86_32.cr0 = CR0_PE | CR0_PG; /* 32-bit paging */
    c.cpu_regs.x86_32.cr3 = 0x5000;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.cr3, 0x5000);
    c.cpu_regs.x86_32.cr4 = CR4_PAE; /* PAE paging */
    c.cpu_regs.x86_32.efer = EFER_NXE;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.efer, EFER_NXE);
    /* LME with paging: long mode, compatibility mode code; LMA is derived. */
    c.cpu_regs.x86_32.efer = EFER_LME;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.efer, EFER_LME | EFER_LMA);
}

static void test_32bit_refusals(void **state)
{
    (void)state;
    struct vcpu_hvm_context c;
#define REFUSE32(field, value)                                                                     \
    do {                                                                                           \
        c = flat32();                                                                              \
        c.cpu_regs.x86_32.field = (value);                                                         \
        refused(&c);                                                                               \
    } while (0)
    REFUSE32(cr0, 0);                    /* real mode is not a start state */
    REFUSE32(cr0, CR0_PG);               /* paging without protection */
    REFUSE32(cr0, CR0_PE | (1U << 7));   /* reserved bit */
    REFUSE32(cr0, CR0_PE | CR0_NW);      /* NW without CD */
    REFUSE32(cr4, CR4_VMXE);             /* not offered to guests */
    REFUSE32(cr4, CR4_PCIDE);            /* outside long mode */
    REFUSE32(efer, EFER_SVME);           /* not offered */
    REFUSE32(efer, EFER_LME | EFER_LMA); /* LMA without paging */
    REFUSE32(eflags, 0x8);               /* reserved bit 3 */
    REFUSE32(eflags, 1U << 17);          /* virtual-8086 */
    REFUSE32(cs_ar, 0xc93);              /* CS must be code */
    REFUSE32(cs_ar, 0);                  /* CS cannot be null */
    REFUSE32(cs_ar, 0xc1b);              /* not present */
    REFUSE32(cs_ar, 0xc8b);              /* system descriptor for CS */
    REFUSE32(cs_ar, 0xe9b);              /* L and D together */
    REFUSE32(cs_ar, 0xa9b);              /* L outside long mode */
    REFUSE32(cs_ar, 0x1c9b);             /* bits 12-15 must be blank */
    REFUSE32(ss_ar, 0xc91);              /* read-only SS */
    REFUSE32(ss_ar, 0xc9b);              /* code SS */
    REFUSE32(ss_ar, 0xcf3);              /* SS.DPL 3 with CS.DPL 0 */
    REFUSE32(ss_ar, 0);                  /* null SS */
    REFUSE32(ds_ar, 0xc99);              /* execute-only code in DS */
    REFUSE32(tr_ar, 0x89);               /* available, not busy, TSS */
    REFUSE32(tr_ar, 0x9b);               /* code descriptor for TR */
    REFUSE32(tr_ar, 0);                  /* null TR */
    REFUSE32(tr_limit, 0x20);            /* too small for a TSS */
    REFUSE32(ds_limit, 0x12345);         /* G = 1 but the limit is not 4K-granular */
    REFUSE32(pad1, 1);
    REFUSE32(pad2[1], 1);
#undef REFUSE32
    c = flat32(); /* EIP beyond a small CS */
    c.cpu_regs.x86_32.cs_ar = 0x49b;
    c.cpu_regs.x86_32.cs_limit = 0xfffff;
    c.cpu_regs.x86_32.eip = 0x100000;
    refused(&c);
    c = flat32(); /* byte-granular limit above 1 MiB */
    c.cpu_regs.x86_32.es_ar = 0x493;
    refused(&c);
    c = flat32(); /* long mode without PAE */
    c.cpu_regs.x86_32.cr0 = CR0_PE | CR0_PG;
    c.cpu_regs.x86_32.efer = EFER_LME;
    refused(&c);
}

static void test_data_dpl_below_cpl_refused(void **state)
{
    (void)state;
    struct vcpu_hvm_context c = flat32();
    /* CPL 3: CS and SS at DPL 3, DS at DPL 0 cannot be loaded. */
    c.cpu_regs.x86_32.cs_ar = 0xcfb;
    c.cpu_regs.x86_32.ss_ar = 0xcf3;
    c.cpu_regs.x86_32.es_ar = 0xcf3;
    refused(&c);
    c.cpu_regs.x86_32.ds_ar = 0xcf3;
    struct hvm_start_state s;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.segments[HVM_SEG_CS].selector, 0x0b); /* RPL = DPL */
}

static void test_flat64_accepted(void **state)
{
    (void)state;
    struct vcpu_hvm_context c = flat64();
    struct hvm_start_state s;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.rip, 0xffffffff81000000ULL);
    assert_int_equal(s.rdi, 7);
    assert_int_equal(s.efer, EFER_LME | EFER_LMA | EFER_NXE);
    assert_int_equal(s.cr0, CR0_PE | CR0_PG | CR0_ET);
    assert_int_equal(s.cr3, 0x1000);
    assert_int_equal(s.rflags, RFLAGS_IF | 0x2);
    uint16_t cs = s.segments[HVM_SEG_CS].attr;
    assert_true(cs & SEG_AR_L);
    assert_false(cs & SEG_AR_DB);
    assert_true(cs & SEG_AR_TYPE_CODE);
    for (unsigned int i = 0; i < HVM_SEG_COUNT; i++) {
        if (i == HVM_SEG_CS || i == HVM_SEG_TR || i == HVM_SEG_LDTR)
            continue;
        assert_int_equal(s.segments[i].attr & SEG_AR_TYPE_CODE, 0);
        assert_true(s.segments[i].attr & SEG_AR_P);
    }
    assert_int_equal(s.segments[HVM_SEG_TR].attr & SEG_AR_TYPE_MASK, SEG_AR_TYPE_TSS_BUSY);
    /* LMA may be left to us. */
    c.cpu_regs.x86_64.efer = EFER_LME;
    assert_int_equal(check(&c, &s), 0);
    assert_int_equal(s.efer, EFER_LME | EFER_LMA);
}

static void test_64bit_refusals(void **state)
{
    (void)state;
    struct vcpu_hvm_context c;
#define REFUSE64(field, value)                                                                     \
    do {                                                                                           \
        c = flat64();                                                                              \
        c.cpu_regs.x86_64.field = (value);                                                         \
        refused(&c);                                                                               \
    } while (0)
    REFUSE64(cr0, CR0_PE);                         /* paging off */
    REFUSE64(cr0, CR0_PG);                         /* PG without PE */
    REFUSE64(cr0, CR0_PE | CR0_PG | (1ULL << 32)); /* CR0 bits 63:32 */
    REFUSE64(cr4, 0);                              /* no PAE */
    REFUSE64(cr4, CR4_PAE | CR4_VMXE);             /* not offered */
    REFUSE64(efer, EFER_LMA);                      /* no LME */
    REFUSE64(efer, EFER_LME | EFER_SVME);          /* not offered */
    REFUSE64(cr3, 1ULL << 40);                     /* beyond MAXPHYADDR (40) */
    REFUSE64(cr3, 1ULL << 63);                     /* the no-flush bit is not part of CR3 */
    REFUSE64(rip, 0x0000800000000000ULL);          /* non-canonical */
    REFUSE64(rip, 0xffff7fffffffffffULL);          /* non-canonical */
    REFUSE64(rflags, 1ULL << 22);                  /* reserved */
#undef REFUSE64
    c = flat64();
    c.pad = 1;
    refused(&c);
    c = flat64();
    c.mode = 2;
    refused(&c);
    /* With PCIDE the low CR3 bits are a PCID: fine. */
    c = flat64();
    c.cpu_regs.x86_64.cr4 = CR4_PAE | CR4_PCIDE;
    c.cpu_regs.x86_64.cr3 = 0x1005;
    struct hvm_start_state s;
    assert_int_equal(check(&c, &s), 0);
}

static void test_no_nx_machine(void **state)
{
    (void)state;
    struct hvm_cpu_facts no_nx = facts;
    no_nx.nx = false;
    struct vcpu_hvm_context c = flat64();
    struct hvm_start_state s;
    const char *why;
    assert_int_equal(hvm_vcpu_context_check(&c, &no_nx, &s, &why), -XC_EINVAL);
    c.cpu_regs.x86_64.efer = EFER_LME | EFER_LMA;
    assert_int_equal(hvm_vcpu_context_check(&c, &no_nx, &s, &why), 0);
}

static void test_pvh_start_state(void **state)
{
    (void)state;
    struct hvm_start_state s;
    hvm_pvh_start_state(&s, 0x1000000, 0x7000);
    assert_int_equal(s.rip, 0x1000000);
    assert_int_equal(s.rbx, 0x7000);
    assert_int_equal(s.cr0, CR0_PE | CR0_ET);
    assert_int_equal(s.efer, 0);
    /* What the PVH ABI promises: flat 32-bit code at 0x08, data at 0x10. */
    assert_int_equal(s.segments[HVM_SEG_CS].selector, 0x08);
    assert_int_equal(s.segments[HVM_SEG_CS].attr, 0xc9b);
    assert_int_equal(s.segments[HVM_SEG_DS].selector, 0x10);
    assert_int_equal(s.segments[HVM_SEG_DS].attr, 0xc93);
    assert_int_equal(s.segments[HVM_SEG_SS].limit, 0xffffffffU);
    assert_int_equal(s.segments[HVM_SEG_TR].attr, 0x8b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat32_accepted),
        cmocka_unit_test(test_flat32_normalizes_accessed_and_null_data),
        cmocka_unit_test(test_32bit_paging_modes),
        cmocka_unit_test(test_32bit_refusals),
        cmocka_unit_test(test_data_dpl_below_cpl_refused),
        cmocka_unit_test(test_flat64_accepted),
        cmocka_unit_test(test_64bit_refusals),
        cmocka_unit_test(test_no_nx_machine),
        cmocka_unit_test(test_pvh_start_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
