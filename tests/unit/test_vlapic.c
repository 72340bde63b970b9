/* Unit tests of the virtual x2APIC register model (arch/x86/hvm/vlapic.c).
 *
 * A guest programs its interrupt controller only through these MSRs: a
 * wrong reset value, a register that accepts what hardware refuses, a
 * priority rule off by one class or a timer that fires a period late is what
 * a guest kernel notices first (hangs at boot, lost IPIs, #GP panics). The
 * model runs here against a fake world: a clock the test moves by hand, a
 * guest TSC at 2 ticks per ns, and a record of every IPI sent and every
 * timer armed. Facts checked against the SDM vol. 3, chapter 11. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "x86/vlapic.h"

#define TEST_ID 0x23u /* cluster 2, logical bit 3 */
#define TSC_PER_NS 2u
#define MAX_RECORDS 32

struct fake_world {
    uint64_t now;
    struct vlapic_ipi ipis[MAX_RECORDS];
    int ipi_count;
    uint64_t arms[MAX_RECORDS];
    int arm_count;
};

struct rig {
    struct fake_world world;
    struct vlapic lapic;
    uint8_t *page;
};

static uint64_t fake_now_ns(void *ctx)
{
    return ((struct fake_world *)ctx)->now;
}

static uint64_t fake_guest_tsc(void *ctx)
{
    return ((struct fake_world *)ctx)->now * TSC_PER_NS;
}

static uint64_t fake_tsc_to_ns(void *ctx, uint64_t tsc)
{
    (void)ctx;
    return tsc / TSC_PER_NS;
}

static void fake_send_ipi(void *ctx, const struct vlapic_ipi *ipi)
{
    struct fake_world *w = ctx;
    assert_true(w->ipi_count < MAX_RECORDS);
    w->ipis[w->ipi_count++] = *ipi;
}

static void fake_timer_arm(void *ctx, uint64_t deadline_ns)
{
    struct fake_world *w = ctx;
    assert_true(w->arm_count < MAX_RECORDS);
    w->arms[w->arm_count++] = deadline_ns;
}

static const struct vlapic_ops fake_ops = {
    .now_ns = fake_now_ns,
    .guest_tsc = fake_guest_tsc,
    .tsc_to_ns = fake_tsc_to_ns,
    .send_ipi = fake_send_ipi,
    .timer_arm = fake_timer_arm,
};

static int rig_setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->page = aligned_alloc(4096, 4096);
    assert_non_null(r->page);
    memset(r->page, 0xa5, 4096); /* init must clear whatever was there */
    vlapic_init(&r->lapic, r->page, TEST_ID, &fake_ops, &r->world);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    free(r->page);
    free(r);
    return 0;
}

static uint64_t rd(struct vlapic *l, uint32_t msr)
{
    uint64_t value = 0xdeadbeef;
    assert_int_equal(vlapic_rdmsr(l, msr, &value), VLAPIC_OK);
    return value;
}

static void wr(struct vlapic *l, uint32_t msr, uint64_t value)
{
    assert_int_equal(vlapic_wrmsr(l, msr, value), VLAPIC_OK);
}

static void gp_write(struct vlapic *l, uint32_t msr, uint64_t value)
{
    assert_int_equal(vlapic_wrmsr(l, msr, value), VLAPIC_GP);
}

static uint32_t page_word(const struct rig *r, uint32_t offset)
{
    uint32_t word;
    memcpy(&word, r->page + offset, sizeof(word));
    return word;
}

static void enable(struct vlapic *l)
{
    wr(l, VLAPIC_MSR_SVR, VLAPIC_SVR_ENABLED | 0xff);
}

static bool irr_has(struct vlapic *l, uint8_t vector)
{
    return (rd(l, VLAPIC_MSR_IRR0 + vector / 32) >> (vector % 32)) & 1;
}

static bool isr_has(struct vlapic *l, uint8_t vector)
{
    return (rd(l, VLAPIC_MSR_ISR0 + vector / 32) >> (vector % 32)) & 1;
}

static uint64_t last_arm(const struct rig *r)
{
    assert_true(r->world.arm_count > 0);
    return r->world.arms[r->world.arm_count - 1];
}

static const uint32_t lvt_msrs[] = {
    VLAPIC_MSR_LVT_CMCI,  VLAPIC_MSR_LVT_TIMER, VLAPIC_MSR_LVT_THERMAL, VLAPIC_MSR_LVT_PMI,
    VLAPIC_MSR_LVT_LINT0, VLAPIC_MSR_LVT_LINT1, VLAPIC_MSR_LVT_ERROR,
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Reset state and layout ------------------------------------------ */

static void test_reset_state(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    assert_int_equal(rd(l, VLAPIC_MSR_ID), TEST_ID);
    assert_int_equal(rd(l, VLAPIC_MSR_VERSION), 0x50014);
    assert_int_equal(rd(l, VLAPIC_MSR_LDR), (2u << 16) | (1u << 3));
    assert_int_equal(rd(l, VLAPIC_MSR_SVR), 0xff);
    for (size_t i = 0; i < COUNT(lvt_msrs); i++)
        assert_int_equal(rd(l, lvt_msrs[i]), VLAPIC_LVT_MASKED);
    assert_int_equal(rd(l, VLAPIC_MSR_TPR), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ICR), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_INITIAL), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_DIVIDE), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TSC_DEADLINE), 0);
    for (uint32_t i = 0; i < 8; i++) {
        assert_int_equal(rd(l, VLAPIC_MSR_ISR0 + i), 0);
        assert_int_equal(rd(l, VLAPIC_MSR_TMR0 + i), 0);
        assert_int_equal(rd(l, VLAPIC_MSR_IRR0 + i), 0);
    }
    assert_int_equal(vlapic_pending_vector(l), -1);
    assert_int_equal(vlapic_highest_irr(l), -1);
    assert_int_equal(vlapic_highest_isr(l), -1);
    assert_int_equal(r->world.arm_count, 0);
    assert_int_equal(r->world.ipi_count, 0);

    /* Other IDs: the logical ID is cluster id >> 4, bit id & 15. */
    struct vlapic other;
    vlapic_init(&other, r->page, 0x1f, &fake_ops, &r->world);
    assert_int_equal(rd(&other, VLAPIC_MSR_LDR), (1u << 16) | (1u << 15));
    vlapic_init(&other, r->page, 0, &fake_ops, &r->world);
    assert_int_equal(rd(&other, VLAPIC_MSR_LDR), 1);
    assert_int_equal(rd(&other, VLAPIC_MSR_ID), 0);
}

/* Virtual-interrupt delivery reads the page: the registers must sit at
 * their architectural offsets. */
static void test_page_layout(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    assert_int_equal(page_word(r, 0x20), TEST_ID);
    assert_int_equal(page_word(r, 0xf0), VLAPIC_SVR_ENABLED | 0xff);
    wr(l, VLAPIC_MSR_TPR, 0x35);
    assert_int_equal(page_word(r, 0x80), 0x35);
    assert_true(vlapic_set_irq(l, 0x41));
    assert_int_equal(page_word(r, 0x200 + 0x10 * 2), 1u << 1);
    vlapic_ack(l, 0x41);
    assert_int_equal(page_word(r, 0x200 + 0x10 * 2), 0);
    assert_int_equal(page_word(r, 0x100 + 0x10 * 2), 1u << 1);
    assert_int_equal(page_word(r, 0xa0), 0x40); /* PPR */
    wr(l, VLAPIC_MSR_ICR, (0x11223344ull << 32) | 0x4000 | 0x80);
    assert_int_equal(page_word(r, 0x300), 0x4080);
    assert_int_equal(page_word(r, 0x310), 0x11223344);
    /* Virtualized ICR reads come from the page: no delivery status there. */
    wr(l, VLAPIC_MSR_ICR, (0x11223344ull << 32) | (1u << 12) | 0x4000 | 0x80);
    assert_int_equal(page_word(r, 0x300), 0x4080);
    assert_int_equal(VLAPIC_REG_OFFSET(VLAPIC_MSR_ICR), 0x300);
    assert_int_equal(VLAPIC_REG_OFFSET(VLAPIC_MSR_IRR0), 0x200);
    assert_int_equal(VLAPIC_REG_OFFSET(VLAPIC_MSR_ISR0), 0x100);
}

/* ---- Access rights ---------------------------------------------------- */

static bool is_defined(uint32_t msr)
{
    if (msr >= VLAPIC_MSR_ISR0 && msr <= VLAPIC_MSR_IRR0 + 7)
        return true;
    static const uint32_t defined[] = {
        VLAPIC_MSR_ID,           VLAPIC_MSR_VERSION,       VLAPIC_MSR_TPR,
        VLAPIC_MSR_PPR,          VLAPIC_MSR_EOI,           VLAPIC_MSR_LDR,
        VLAPIC_MSR_SVR,          VLAPIC_MSR_ESR,           VLAPIC_MSR_LVT_CMCI,
        VLAPIC_MSR_ICR,          VLAPIC_MSR_LVT_TIMER,     VLAPIC_MSR_LVT_THERMAL,
        VLAPIC_MSR_LVT_PMI,      VLAPIC_MSR_LVT_LINT0,     VLAPIC_MSR_LVT_LINT1,
        VLAPIC_MSR_LVT_ERROR,    VLAPIC_MSR_TIMER_INITIAL, VLAPIC_MSR_TIMER_CURRENT,
        VLAPIC_MSR_TIMER_DIVIDE, VLAPIC_MSR_SELF_IPI,
    };
    for (size_t i = 0; i < COUNT(defined); i++)
        if (defined[i] == msr)
            return true;
    return false;
}

static void test_reserved_msrs_fault(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;
    int reserved = 0;

    enable(l);
    for (uint32_t msr = 0x800; msr <= 0x8ff; msr++) {
        if (is_defined(msr))
            continue;
        reserved++;
        uint64_t value = 0x1234;
        assert_int_equal(vlapic_rdmsr(l, msr, &value), VLAPIC_GP);
        assert_int_equal(value, 0x1234); /* untouched */
        gp_write(l, msr, 0);
        gp_write(l, msr, 0xffffffff);
    }
    /* 256 MSRs, 44 defined (20 named + 24 in ISR/TMR/IRR). */
    assert_int_equal(reserved, 256 - 44);
    /* Among them the xAPIC-only registers: APR, RRD, DFR, ICR high. */
    uint64_t value;
    assert_int_equal(vlapic_rdmsr(l, 0x809, &value), VLAPIC_GP);
    assert_int_equal(vlapic_rdmsr(l, 0x80c, &value), VLAPIC_GP);
    assert_int_equal(vlapic_rdmsr(l, 0x80e, &value), VLAPIC_GP);
    assert_int_equal(vlapic_rdmsr(l, 0x831, &value), VLAPIC_GP);
    /* Outside the range the model owns nothing. */
    assert_int_equal(vlapic_rdmsr(l, 0x7ff, &value), VLAPIC_GP);
    assert_int_equal(vlapic_rdmsr(l, 0x900, &value), VLAPIC_GP);
    gp_write(l, 0x900, 0);
    /* Nothing above changed any state. */
    assert_int_equal(rd(l, VLAPIC_MSR_SVR), VLAPIC_SVR_ENABLED | 0xff);
    assert_int_equal(r->world.ipi_count, 0);
    assert_int_equal(r->world.arm_count, 0);
}

static void test_write_only_and_read_only(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;
    uint64_t value;

    enable(l);
    assert_int_equal(vlapic_rdmsr(l, VLAPIC_MSR_EOI, &value), VLAPIC_GP);
    assert_int_equal(vlapic_rdmsr(l, VLAPIC_MSR_SELF_IPI, &value), VLAPIC_GP);

    assert_true(vlapic_set_irq(l, 0x40));
    static const uint32_t read_only[] = {VLAPIC_MSR_ID, VLAPIC_MSR_VERSION, VLAPIC_MSR_PPR,
                                         VLAPIC_MSR_LDR, VLAPIC_MSR_TIMER_CURRENT};
    for (size_t i = 0; i < COUNT(read_only); i++) {
        gp_write(l, read_only[i], 0);
        gp_write(l, read_only[i], 0x55);
    }
    for (uint32_t i = 0; i < 24; i++) {
        gp_write(l, VLAPIC_MSR_ISR0 + i, 0);
        gp_write(l, VLAPIC_MSR_ISR0 + i, 0xffffffff);
    }
    assert_int_equal(rd(l, VLAPIC_MSR_ID), TEST_ID);
    assert_int_equal(rd(l, VLAPIC_MSR_VERSION), 0x50014);
    assert_int_equal(rd(l, VLAPIC_MSR_LDR), 0x20008);
    assert_true(irr_has(l, 0x40));
    assert_int_equal(rd(l, VLAPIC_MSR_IRR0 + 2), 1);
    assert_int_equal(rd(l, VLAPIC_MSR_ISR0 + 2), 0);
}

static void test_reserved_bits_fault(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    /* TPR: bits 8-31 and 32-63. */
    wr(l, VLAPIC_MSR_TPR, 0x20);
    gp_write(l, VLAPIC_MSR_TPR, 0x100);
    gp_write(l, VLAPIC_MSR_TPR, 0x80000000);
    gp_write(l, VLAPIC_MSR_TPR, 1ull << 32);
    assert_int_equal(rd(l, VLAPIC_MSR_TPR), 0x20);
    wr(l, VLAPIC_MSR_TPR, 0xff);

    /* SVR: vector, enable, focus; EOI suppression (bit 12) is not offered. */
    wr(l, VLAPIC_MSR_SVR, 0x3ff);
    gp_write(l, VLAPIC_MSR_SVR, 0x1000 | 0x1ff);
    gp_write(l, VLAPIC_MSR_SVR, 0x400 | 0x1ff);
    assert_int_equal(rd(l, VLAPIC_MSR_SVR), 0x3ff);

    /* LVT timer: vector, mask, mode 0-2; bit 19 and mode 3 reserved. */
    gp_write(l, VLAPIC_MSR_LVT_TIMER, 1u << 19);
    gp_write(l, VLAPIC_MSR_LVT_TIMER, 3u << 17);
    gp_write(l, VLAPIC_MSR_LVT_TIMER, 1u << 8); /* no delivery mode on the timer */
    gp_write(l, VLAPIC_MSR_LVT_TIMER, 1ull << 32);
    assert_int_equal(rd(l, VLAPIC_MSR_LVT_TIMER), VLAPIC_LVT_MASKED);
    wr(l, VLAPIC_MSR_LVT_TIMER, (2u << 17) | 0xef);
    assert_int_equal(rd(l, VLAPIC_MSR_LVT_TIMER), (2u << 17) | 0xef);

    /* LVT error: vector and mask only. */
    gp_write(l, VLAPIC_MSR_LVT_ERROR, 4u << 8);
    gp_write(l, VLAPIC_MSR_LVT_ERROR, 1u << 15);
    /* Thermal/PMI/CMCI: no polarity/trigger. */
    gp_write(l, VLAPIC_MSR_LVT_THERMAL, 1u << 15);
    gp_write(l, VLAPIC_MSR_LVT_PMI, 1u << 13);
    gp_write(l, VLAPIC_MSR_LVT_CMCI, 1u << 17);
    wr(l, VLAPIC_MSR_LVT_PMI, (4u << 8) | VLAPIC_LVT_MASKED);
    assert_int_equal(rd(l, VLAPIC_MSR_LVT_PMI), (4u << 8) | VLAPIC_LVT_MASKED);
    /* LINT: polarity and trigger allowed, bit 17 not; remote IRR and
     * delivery status are the APIC's: written bits are dropped. */
    gp_write(l, VLAPIC_MSR_LVT_LINT0, 1u << 17);
    wr(l, VLAPIC_MSR_LVT_LINT0, (7u << 8) | (1u << 13) | (1u << 14) | (1u << 15) | (1u << 12));
    assert_int_equal(rd(l, VLAPIC_MSR_LVT_LINT0), (7u << 8) | (1u << 13) | (1u << 15));

    /* TDCR: bits 0, 1 and 3 only. */
    gp_write(l, VLAPIC_MSR_TIMER_DIVIDE, 0x4);
    gp_write(l, VLAPIC_MSR_TIMER_DIVIDE, 0x10);
    wr(l, VLAPIC_MSR_TIMER_DIVIDE, 0xb);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_DIVIDE), 0xb);

    /* TMICT: 32 bits. */
    gp_write(l, VLAPIC_MSR_TIMER_INITIAL, 1ull << 32);

    /* ESR and EOI take only 0; SELF_IPI only a vector. */
    gp_write(l, VLAPIC_MSR_ESR, 1);
    gp_write(l, VLAPIC_MSR_EOI, 1);
    gp_write(l, VLAPIC_MSR_EOI, 1ull << 40);
    gp_write(l, VLAPIC_MSR_SELF_IPI, 0x100);
    gp_write(l, VLAPIC_MSR_SELF_IPI, 1ull << 32);

    /* ICR: bits 13, 16-17, 20-31 reserved; modes 3 and 7 reserved. */
    wr(l, VLAPIC_MSR_ICR, (5ull << 32) | 0x40);
    int sent = r->world.ipi_count;
    gp_write(l, VLAPIC_MSR_ICR, 0x40 | (1u << 13));
    gp_write(l, VLAPIC_MSR_ICR, 0x40 | (1u << 16));
    gp_write(l, VLAPIC_MSR_ICR, 0x40 | (1u << 17));
    gp_write(l, VLAPIC_MSR_ICR, 0x40 | (1u << 20));
    gp_write(l, VLAPIC_MSR_ICR, 0x40 | (1u << 31));
    gp_write(l, VLAPIC_MSR_ICR, 0x40 | (3u << 8));
    gp_write(l, VLAPIC_MSR_ICR, 0x40 | (7u << 8));
    assert_int_equal(r->world.ipi_count, sent);
    assert_int_equal(rd(l, VLAPIC_MSR_ICR), (5ull << 32) | 0x40);

    /* None of the refused writes raised an APIC error either. */
    wr(l, VLAPIC_MSR_ESR, 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), 0);
}

/* ---- Priorities ------------------------------------------------------ */

static void test_tpr_blocks_equal_and_lower_classes(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    assert_true(vlapic_set_irq(l, 0x45));
    assert_int_equal(vlapic_pending_vector(l), 0x45);
    wr(l, VLAPIC_MSR_TPR, 0x40); /* same class: blocked */
    assert_int_equal(vlapic_pending_vector(l), -1);
    assert_int_equal(vlapic_highest_irr(l), 0x45); /* still requested */
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x40);
    wr(l, VLAPIC_MSR_TPR, 0x4f);
    assert_int_equal(vlapic_pending_vector(l), -1);
    wr(l, VLAPIC_MSR_TPR, 0x50); /* higher class: blocked */
    assert_int_equal(vlapic_pending_vector(l), -1);
    wr(l, VLAPIC_MSR_TPR, 0x3f); /* lower class: passes */
    assert_int_equal(vlapic_pending_vector(l), 0x45);
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x3f);
    /* The higher of two requests wins. */
    assert_true(vlapic_set_irq(l, 0xa0));
    assert_int_equal(vlapic_pending_vector(l), 0xa0);
}

static void test_isr_nesting_and_eoi(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    assert_true(vlapic_set_irq(l, 0x50));
    assert_int_equal(vlapic_pending_vector(l), 0x50);
    vlapic_ack(l, 0x50);
    assert_false(irr_has(l, 0x50));
    assert_true(isr_has(l, 0x50));
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x50);
    assert_int_equal(vlapic_highest_isr(l), 0x50);

    /* A lower and an equal class wait; a higher class preempts. */
    assert_true(vlapic_set_irq(l, 0x41));
    assert_true(vlapic_set_irq(l, 0x55));
    assert_int_equal(vlapic_pending_vector(l), -1);
    assert_true(vlapic_set_irq(l, 0x61));
    assert_int_equal(vlapic_pending_vector(l), 0x61);
    vlapic_ack(l, 0x61);
    assert_int_equal(vlapic_highest_isr(l), 0x61);
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x60);
    assert_int_equal(vlapic_pending_vector(l), -1);

    /* EOI retires the highest in service only. */
    wr(l, VLAPIC_MSR_EOI, 0);
    assert_false(isr_has(l, 0x61));
    assert_true(isr_has(l, 0x50));
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x50);
    assert_int_equal(vlapic_pending_vector(l), -1);
    wr(l, VLAPIC_MSR_EOI, 0);
    assert_int_equal(vlapic_highest_isr(l), -1);
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0);
    assert_int_equal(vlapic_pending_vector(l), 0x55);

    /* An EOI with nothing in service changes nothing. */
    wr(l, VLAPIC_MSR_EOI, 0);
    assert_int_equal(vlapic_highest_irr(l), 0x55);
    assert_true(irr_has(l, 0x41));

    /* TPR above the ISR class sets PPR. */
    vlapic_ack(l, 0x55);
    wr(l, VLAPIC_MSR_TPR, 0x72);
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x72);
    wr(l, VLAPIC_MSR_TPR, 0x12);
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x50);
    /* Same class in TPR and ISR: PPR is the whole TPR. */
    wr(l, VLAPIC_MSR_TPR, 0x57);
    assert_int_equal(rd(l, VLAPIC_MSR_PPR), 0x57);
}

static void test_set_irq_acceptance(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    /* Software-disabled at reset: fixed interrupts are refused. */
    assert_false(vlapic_set_irq(l, 0x40));
    assert_int_equal(vlapic_highest_irr(l), -1);

    enable(l);
    assert_true(vlapic_set_irq(l, 0x40));
    assert_false(vlapic_set_irq(l, 0x40)); /* already requested */
    assert_true(vlapic_set_irq(l, 0xff));
    assert_true(vlapic_set_irq(l, 16));
    assert_true(irr_has(l, 16));

    /* Illegal vectors set nothing but "receive illegal vector". */
    for (unsigned v = 0; v < 16; v++)
        assert_false(vlapic_set_irq(l, (uint8_t)v));
    assert_int_equal(rd(l, VLAPIC_MSR_IRR0), 1u << 16);
    wr(l, VLAPIC_MSR_ESR, 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);

    /* Disabling holds what is already requested: it is still delivered. */
    wr(l, VLAPIC_MSR_SVR, 0xff);
    assert_false(vlapic_set_irq(l, 0x80));
    assert_false(irr_has(l, 0x80));
    assert_int_equal(vlapic_pending_vector(l), 0xff);
}

/* ---- Errors ------------------------------------------------------------ */

static void test_esr_latches_on_write(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    wr(l, VLAPIC_MSR_ICR, (1ull << 32) | 0x03); /* fixed, vector 3 */
    assert_int_equal(r->world.ipi_count, 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), 0); /* not visible before a write */
    wr(l, VLAPIC_MSR_ESR, 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
    wr(l, VLAPIC_MSR_ESR, 0); /* the pending set was cleared by the first write */
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), 0);

    /* Lowest priority needs a vector too; SELF_IPI as well. */
    wr(l, VLAPIC_MSR_ICR, (1u << 8) | 0x0f);
    wr(l, VLAPIC_MSR_SELF_IPI, 0x07);
    assert_int_equal(r->world.ipi_count, 0);
    /* An unmasked error LVT raises its vector on each error. */
    wr(l, VLAPIC_MSR_LVT_ERROR, 0xfe);
    assert_false(irr_has(l, 0xfe));
    wr(l, VLAPIC_MSR_SELF_IPI, 0x01);
    assert_true(irr_has(l, 0xfe));
    wr(l, VLAPIC_MSR_ESR, 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);

    /* An error LVT with an illegal vector reports itself, without a loop. */
    wr(l, VLAPIC_MSR_LVT_ERROR, 0x02);
    assert_false(vlapic_set_irq(l, 0x05));
    wr(l, VLAPIC_MSR_ESR, 0);
    assert_int_equal(rd(l, VLAPIC_MSR_ESR), VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
}

/* ---- IPIs ---------------------------------------------------------------- */

static void test_icr_sends_decoded_ipi(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;
    struct fake_world *w = &r->world;

    enable(l);
    /* Fixed, logical, level assert + delivery status (ignored), to cluster 1 bit 2. */
    wr(l, VLAPIC_MSR_ICR, (0x00010004ull << 32) | (1u << 14) | (1u << 12) | (1u << 11) | 0x80);
    assert_int_equal(w->ipi_count, 1);
    assert_int_equal(w->ipis[0].destination, 0x00010004);
    assert_int_equal(w->ipis[0].vector, 0x80);
    assert_int_equal(w->ipis[0].mode, VLAPIC_DELIVERY_FIXED);
    assert_int_equal(w->ipis[0].shorthand, VLAPIC_SHORTHAND_NONE);
    assert_true(w->ipis[0].logical);
    /* Delivery status never reads set. */
    assert_int_equal(rd(l, VLAPIC_MSR_ICR), (0x00010004ull << 32) | (1u << 14) | (1u << 11) | 0x80);

    /* NMI to all but self (destination ignored but passed). */
    wr(l, VLAPIC_MSR_ICR, (0xffffffffull << 32) | (3u << 18) | (4u << 8));
    assert_int_equal(w->ipi_count, 2);
    assert_int_equal(w->ipis[1].mode, VLAPIC_DELIVERY_NMI);
    assert_int_equal(w->ipis[1].shorthand, VLAPIC_SHORTHAND_ALL_BUT_SELF);
    assert_false(w->ipis[1].logical);

    /* INIT assert, then the INIT level de-assert (sends nothing), then SIPI. */
    wr(l, VLAPIC_MSR_ICR, (7ull << 32) | (1u << 14) | (5u << 8));
    wr(l, VLAPIC_MSR_ICR, (7ull << 32) | (1u << 15) | (5u << 8));
    wr(l, VLAPIC_MSR_ICR, (7ull << 32) | (6u << 8) | 0x9a);
    assert_int_equal(w->ipi_count, 4);
    assert_int_equal(w->ipis[2].mode, VLAPIC_DELIVERY_INIT);
    assert_int_equal(w->ipis[2].destination, 7);
    assert_int_equal(w->ipis[3].mode, VLAPIC_DELIVERY_SIPI);
    assert_int_equal(w->ipis[3].vector, 0x9a);

    /* Broadcast fixed including self; lowest priority. */
    wr(l, VLAPIC_MSR_ICR, (2u << 18) | 0x31);
    assert_int_equal(w->ipi_count, 5);
    assert_int_equal(w->ipis[4].shorthand, VLAPIC_SHORTHAND_ALL);
    assert_int_equal(w->ipis[4].vector, 0x31);
    wr(l, VLAPIC_MSR_ICR, (9ull << 32) | (1u << 8) | 0x32);
    assert_int_equal(w->ipi_count, 6);
    assert_int_equal(w->ipis[5].mode, VLAPIC_DELIVERY_LOWEST);

    /* Invalid combinations send nothing: NMI/INIT to self or to all. */
    wr(l, VLAPIC_MSR_ICR, (1u << 18) | (4u << 8));
    wr(l, VLAPIC_MSR_ICR, (2u << 18) | (5u << 8));
    assert_int_equal(w->ipi_count, 6);

    /* SELF_IPI: a fixed self IPI with that vector. */
    wr(l, VLAPIC_MSR_SELF_IPI, 0x33);
    assert_int_equal(w->ipi_count, 7);
    assert_int_equal(w->ipis[6].mode, VLAPIC_DELIVERY_FIXED);
    assert_int_equal(w->ipis[6].shorthand, VLAPIC_SHORTHAND_SELF);
    assert_int_equal(w->ipis[6].vector, 0x33);
    assert_int_equal(w->ipis[6].destination, TEST_ID);
    /* SELF_IPI does not touch ICR. */
    assert_int_equal(rd(l, VLAPIC_MSR_ICR), (2u << 18) | (5u << 8));
}

/* ---- Timer --------------------------------------------------------------- */

static void start_timer(struct rig *r, uint32_t lvt, uint32_t tdcr, uint32_t count)
{
    wr(&r->lapic, VLAPIC_MSR_LVT_TIMER, lvt);
    wr(&r->lapic, VLAPIC_MSR_TIMER_DIVIDE, tdcr);
    wr(&r->lapic, VLAPIC_MSR_TIMER_INITIAL, count);
}

static void test_timer_one_shot(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    r->world.now = 1000;
    start_timer(r, 0xec, 0x0 /* divide by 2 */, 500);
    assert_int_equal(last_arm(r), 1000 + 500 * 2);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_INITIAL), 500);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 500);
    r->world.now = 1500;
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 250);

    /* Early: nothing. */
    r->world.now = 1999;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xec));
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 1);

    int arms = r->world.arm_count;
    r->world.now = 2000;
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xec));
    assert_int_equal(vlapic_pending_vector(l), 0xec);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 0);
    assert_int_equal(r->world.arm_count, arms); /* not re-armed */

    /* Once only. */
    vlapic_ack(l, 0xec);
    wr(l, VLAPIC_MSR_EOI, 0);
    r->world.now = 5000;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xec));
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_INITIAL), 500);

    /* Writing TMICT again restarts the count. */
    wr(l, VLAPIC_MSR_TIMER_INITIAL, 10);
    assert_int_equal(last_arm(r), 5000 + 20);
}

static void test_timer_periodic(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    start_timer(r, (VLAPIC_TIMER_PERIODIC << 17) | 0xd0, 0xb /* divide by 1 */, 100);
    assert_int_equal(last_arm(r), 100);
    r->world.now = 30;
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 70);

    r->world.now = 100;
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xd0));
    assert_int_equal(last_arm(r), 200);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 100); /* reloaded */
    r->world.now = 150;
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 50);
    r->world.now = 299;
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 1);

    /* Late by several periods: one interrupt, next boundary after now. */
    vlapic_ack(l, 0xd0);
    wr(l, VLAPIC_MSR_EOI, 0);
    r->world.now = 450;
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xd0));
    assert_int_equal(last_arm(r), 500);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 50);

    /* Early fire after re-arming does nothing. */
    vlapic_ack(l, 0xd0);
    int arms = r->world.arm_count;
    r->world.now = 499;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xd0));
    assert_int_equal(r->world.arm_count, arms);
}

static void test_timer_masked_still_counts(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    start_timer(r, VLAPIC_LVT_MASKED | (VLAPIC_TIMER_PERIODIC << 17) | 0xd1, 0xb, 40);
    r->world.now = 10;
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 30);
    r->world.now = 40;
    vlapic_timer_fire(l);
    assert_int_equal(vlapic_highest_irr(l), -1);
    assert_int_equal(last_arm(r), 80);
    /* Unmasking does not disturb the count; the next expiry raises. */
    wr(l, VLAPIC_MSR_LVT_TIMER, (VLAPIC_TIMER_PERIODIC << 17) | 0xd1);
    assert_int_equal(last_arm(r), 80);
    r->world.now = 80;
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xd1));
}

static void test_timer_tsc_deadline(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    /* Not in deadline mode: writes ignored, reads 0. */
    wr(l, VLAPIC_MSR_TSC_DEADLINE, 4000);
    assert_int_equal(rd(l, VLAPIC_MSR_TSC_DEADLINE), 0);
    assert_int_equal(r->world.arm_count, 0);

    wr(l, VLAPIC_MSR_LVT_TIMER, (VLAPIC_TIMER_TSC_DEADLINE << 17) | 0xe1);
    r->world.now = 100;
    wr(l, VLAPIC_MSR_TSC_DEADLINE, 4000);
    assert_int_equal(last_arm(r), 4000 / TSC_PER_NS);
    assert_int_equal(rd(l, VLAPIC_MSR_TSC_DEADLINE), 4000);
    /* TMICT ignored, TMCCT 0. */
    int arms = r->world.arm_count;
    wr(l, VLAPIC_MSR_TIMER_INITIAL, 50);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_INITIAL), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 0);
    assert_int_equal(r->world.arm_count, arms);

    r->world.now = 1999;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xe1));
    assert_int_equal(rd(l, VLAPIC_MSR_TSC_DEADLINE), 4000);
    r->world.now = 2000;
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xe1));
    assert_int_equal(rd(l, VLAPIC_MSR_TSC_DEADLINE), 0); /* disarmed by firing */
    assert_int_equal(r->world.arm_count, arms);

    /* A deadline in the past is due at once. */
    vlapic_ack(l, 0xe1);
    wr(l, VLAPIC_MSR_TSC_DEADLINE, 10);
    assert_true(last_arm(r) <= r->world.now);
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xe1));

    /* A deadline the clock maps to time 0 still arms (0 means "stop"). */
    vlapic_ack(l, 0xe1);
    wr(l, VLAPIC_MSR_TSC_DEADLINE, 1);
    assert_int_not_equal(last_arm(r), 0);
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xe1));

    /* Writing 0 disarms. */
    r->world.now = 3000;
    wr(l, VLAPIC_MSR_TSC_DEADLINE, 8000);
    assert_int_equal(last_arm(r), 4000);
    wr(l, VLAPIC_MSR_TSC_DEADLINE, 0);
    assert_int_equal(last_arm(r), 0);
    vlapic_ack(l, 0xe1);
    r->world.now = 5000;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xe1));

    /* Leaving deadline mode disarms and clears the MSR. */
    wr(l, VLAPIC_MSR_TSC_DEADLINE, 20000);
    assert_int_equal(last_arm(r), 10000);
    wr(l, VLAPIC_MSR_LVT_TIMER, 0xe1); /* one-shot */
    assert_int_equal(last_arm(r), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TSC_DEADLINE), 0);
    r->world.now = 10000;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xe1));
    wr(l, VLAPIC_MSR_LVT_TIMER, (VLAPIC_TIMER_TSC_DEADLINE << 17) | 0xe1);
    assert_int_equal(rd(l, VLAPIC_MSR_TSC_DEADLINE), 0);
}

static void test_timer_mode_change_disarms(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    start_timer(r, 0xe2, 0xb, 1000);
    assert_int_equal(last_arm(r), 1000);
    /* Mask and vector changes keep counting. */
    wr(l, VLAPIC_MSR_LVT_TIMER, VLAPIC_LVT_MASKED | 0xe3);
    wr(l, VLAPIC_MSR_LVT_TIMER, 0xe2);
    assert_int_equal(last_arm(r), 1000);
    r->world.now = 400;
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 600);
    /* One-shot -> periodic disarms. */
    wr(l, VLAPIC_MSR_LVT_TIMER, (VLAPIC_TIMER_PERIODIC << 17) | 0xe2);
    assert_int_equal(last_arm(r), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 0);
    r->world.now = 1000;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xe2));
    /* ...and a new TMICT write starts it in the new mode. */
    wr(l, VLAPIC_MSR_TIMER_INITIAL, 10);
    r->world.now = 1010;
    vlapic_timer_fire(l);
    assert_true(irr_has(l, 0xe2));
    assert_int_equal(last_arm(r), 1020);
}

static void test_timer_divide_values(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;
    static const struct {
        uint32_t tdcr;
        uint64_t divisor;
    } table[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},   {0x3, 16},
                 {0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1}};

    enable(l);
    r->world.now = 7;
    for (size_t i = 0; i < COUNT(table); i++) {
        start_timer(r, 0xe4, table[i].tdcr, 3);
        assert_int_equal(last_arm(r), 7 + 3 * table[i].divisor);
        r->world.now += table[i].divisor; /* one count later */
        assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 2);
        r->world.now = 7;
    }
    /* The largest count at the largest divisor does not overflow. */
    start_timer(r, 0xe4, 0xa, 0xffffffff);
    assert_int_equal(last_arm(r), 7 + 0xffffffffull * 128);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 0xffffffff);
}

static void test_timer_zero_count_stops(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    start_timer(r, (VLAPIC_TIMER_PERIODIC << 17) | 0xe5, 0xb, 100);
    assert_int_equal(last_arm(r), 100);
    r->world.now = 50;
    wr(l, VLAPIC_MSR_TIMER_INITIAL, 0);
    assert_int_equal(last_arm(r), 0);
    assert_int_equal(rd(l, VLAPIC_MSR_TIMER_CURRENT), 0);
    r->world.now = 100;
    vlapic_timer_fire(l);
    assert_false(irr_has(l, 0xe5));
}

static void test_software_disable_masks_lvts(void **state)
{
    struct rig *r = *state;
    struct vlapic *l = &r->lapic;

    enable(l);
    wr(l, VLAPIC_MSR_LVT_ERROR, 0xf0);
    start_timer(r, 0xe6, 0xb, 100);
    wr(l, VLAPIC_MSR_SVR, 0xff);
    for (size_t i = 0; i < COUNT(lvt_msrs); i++)
        assert_true(rd(l, lvt_msrs[i]) & VLAPIC_LVT_MASKED);
    /* While disabled the mask cannot be cleared. */
    wr(l, VLAPIC_MSR_LVT_TIMER, 0xe6);
    assert_int_equal(rd(l, VLAPIC_MSR_LVT_TIMER), VLAPIC_LVT_MASKED | 0xe6);
    /* The timer counts on but raises nothing. */
    r->world.now = 100;
    vlapic_timer_fire(l);
    assert_int_equal(vlapic_highest_irr(l), -1);
    /* IPIs can still be sent. */
    wr(l, VLAPIC_MSR_ICR, (3ull << 32) | 0x44);
    assert_int_equal(r->world.ipi_count, 1);
    /* Re-enabling leaves the LVTs masked until software unmasks them. */
    enable(l);
    assert_true(rd(l, VLAPIC_MSR_LVT_TIMER) & VLAPIC_LVT_MASKED);
    wr(l, VLAPIC_MSR_LVT_TIMER, 0xe6);
    assert_int_equal(rd(l, VLAPIC_MSR_LVT_TIMER), 0xe6);
}

#define RIG_TEST(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        RIG_TEST(test_reset_state),
        RIG_TEST(test_page_layout),
        RIG_TEST(test_reserved_msrs_fault),
        RIG_TEST(test_write_only_and_read_only),
        RIG_TEST(test_reserved_bits_fault),
        RIG_TEST(test_tpr_blocks_equal_and_lower_classes),
        RIG_TEST(test_isr_nesting_and_eoi),
        RIG_TEST(test_set_irq_acceptance),
        RIG_TEST(test_esr_latches_on_write),
        RIG_TEST(test_icr_sends_decoded_ipi),
        RIG_TEST(test_timer_one_shot),
        RIG_TEST(test_timer_periodic),
        RIG_TEST(test_timer_masked_still_counts),
        RIG_TEST(test_timer_tsc_deadline),
        RIG_TEST(test_timer_mode_change_disarms),
        RIG_TEST(test_timer_divide_values),
        RIG_TEST(test_timer_zero_count_stops),
        RIG_TEST(test_software_disable_masks_lvts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
