/* Unit tests of the guest page-table walk (arch/x86/guest_walk.c).
 *
 * Hypercall arguments are guest-virtual pointers; the hypervisor reads and
 * writes them by translating through the guest's own page tables, which the
 * guest controls completely. A wrong translation lets one part of a guest
 * corrupt another (or the hypervisor read the wrong data); a missing check
 * turns a bad pointer into a write the guest's CPU would have refused. The
 * tests build page tables in a fake guest-physical memory, read through a
 * callback that fails outside it, for each paging mode (off, 32-bit with
 * 4 KiB and 4 MiB pages, PAE with 4 KiB and 2 MiB pages, 4-level with
 * 4 KiB, 2 MiB and 1 GiB pages), and check translations, including the bits
 * that must be masked out of an entry (flags, NX, PAT), and -XC_EFAULT for
 * every way a walk must fail: not present at each level, a write through a
 * read-only entry at any level, reserved PDPTE bits, a non-canonical address,
 * a table outside guest memory, and an address above 4 GiB in 32-bit modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/errno.h"
#include "x86/guest_walk.h"

/* Control-register and entry bits (Intel SDM vol. 3, chapter 4). */
#define CR0_PE (1ULL << 0)
#define CR0_PG (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define CR3_PWT_PCD 0x18ULL
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_PS (1ULL << 7)
#define PTE_PAT_LARGE (1ULL << 12) /* PAT bit of a 2 MiB / 1 GiB / 4 MiB entry */
#define PTE_NX (1ULL << 63)
#define PDPTE_RW_RESERVED (1ULL << 1) /* RW does not exist in a PAE PDPTE */
#define PDPTE_BIT8_RESERVED (1ULL << 8)

#define GUEST_BYTES (1u << 20) /* the guest's memory: 256 pages from gpa 0 */
#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

static uint8_t *guest;
static unsigned int reads;

static int guest_read(void *context, uint64_t gpa, unsigned int bytes, uint64_t *value)
{
    assert_ptr_equal(context, &guest);
    if (bytes != 4 && bytes != 8)
        fail_msg("read of %u bytes at 0x%llx", bytes, (unsigned long long)gpa);
    reads++;
    if (gpa > GUEST_BYTES || bytes > GUEST_BYTES - gpa)
        return -1;
    uint64_t v = 0;
    for (unsigned int i = 0; i < bytes; i++)
        v |= (uint64_t)guest[gpa + i] << (8 * i);
    *value = v;
    return 0;
}

static void set32(uint64_t gpa, uint64_t v)
{
    assert_true(gpa + 4 <= GUEST_BYTES);
    for (unsigned int i = 0; i < 4; i++)
        guest[gpa + i] = (uint8_t)(v >> (8 * i));
}

static void set64(uint64_t gpa, uint64_t v)
{
    assert_true(gpa + 8 <= GUEST_BYTES);
    for (unsigned int i = 0; i < 8; i++)
        guest[gpa + i] = (uint8_t)(v >> (8 * i));
}

static int setup(void **state)
{
    (void)state;
    guest = calloc(1, GUEST_BYTES);
    assert_non_null(guest);
    reads = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(guest);
    guest = NULL;
    return 0;
}

static int walk(const struct guest_paging *p, uint64_t gva, bool write, uint64_t *gpa)
{
    *gpa = SENTINEL;
    return guest_walk(p, gva, write, guest_read, &guest, gpa);
}

/* @gva translates to @want for reads, and for writes too when @writable;
 * otherwise writes fault. */
static void expect(const struct guest_paging *p, uint64_t gva, uint64_t want, bool writable)
{
    uint64_t gpa;
    int rc = walk(p, gva, false, &gpa);
    if (rc != 0 || gpa != want)
        fail_msg("read of gva 0x%llx: rc %d, gpa 0x%llx, expected 0x%llx", (unsigned long long)gva,
                 rc, (unsigned long long)gpa, (unsigned long long)want);
    rc = walk(p, gva, true, &gpa);
    if (writable && (rc != 0 || gpa != want))
        fail_msg("write to gva 0x%llx: rc %d, gpa 0x%llx, expected 0x%llx", (unsigned long long)gva,
                 rc, (unsigned long long)gpa, (unsigned long long)want);
    if (!writable && rc != -XC_EFAULT)
        fail_msg("write to read-only gva 0x%llx: rc %d, gpa 0x%llx", (unsigned long long)gva, rc,
                 (unsigned long long)gpa);
}

/* Both reads and writes of @gva fault. */
static void expect_fault(const struct guest_paging *p, uint64_t gva)
{
    uint64_t gpa;
    int rc = walk(p, gva, false, &gpa);
    if (rc != -XC_EFAULT)
        fail_msg("read of gva 0x%llx: expected -XC_EFAULT, got %d (gpa 0x%llx)",
                 (unsigned long long)gva, rc, (unsigned long long)gpa);
    rc = walk(p, gva, true, &gpa);
    if (rc != -XC_EFAULT)
        fail_msg("write to gva 0x%llx: expected -XC_EFAULT, got %d", (unsigned long long)gva, rc);
}

/* ---- Paging off ------------------------------------------------------------ */

static void test_paging_off(void **state)
{
    (void)state;
    const struct guest_paging modes[] = {
        {.cr0 = 0},                        /* real mode */
        {.cr0 = CR0_PE},                   /* protected mode, no paging */
        {.cr0 = CR0_PE, .cr4 = CR4_PAE},   /* PAE set but paging off */
        {.cr0 = CR0_PE, .cr3 = 0xdead000}, /* a CR3 that would fault if used */
    };
    for (unsigned int i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        expect(&modes[i], 0x1234, 0x1234, true);
        expect(&modes[i], 0xffffffff, 0xffffffff, true);
        /* Addresses wrap at 4 GiB, as the CPU's would. */
        expect(&modes[i], 0x123456789ULL, 0x23456789, true);
        expect(&modes[i], 0xffffffff00000010ULL, 0x10, true);
    }
    assert_int_equal(reads, 0); /* no page table was consulted */
}

/* ---- 32-bit paging --------------------------------------------------------- */

#define PD32 0x1000
#define PT32 0x2000
#define PT32_RO_PDE 0x3000
#define PT32_PS_IGNORED 0x4000
#define PD32_LAST_PAGE (GUEST_BYTES - 0x1000)

static void build_32bit_tables(void)
{
    set32(PD32 + 0 * 4, PT32 | PTE_P | PTE_RW | PTE_US);
    set32(PT32 + 5 * 4, 0x7000 | PTE_P | PTE_RW | PTE_A);
    set32(PT32 + 7 * 4, 0x8000 | PTE_P);                 /* read-only */
    set32(PT32 + 8 * 4, 0x9000 | PTE_RW);                /* not present, RW set */
    set32(PT32 + 1023 * 4, 0xfffff000 | PTE_P | PTE_RW); /* the highest frame */
    /* PDE[1] and PT[6] stay 0: not present. */
    set32(PD32 + 2 * 4, PT32_RO_PDE | PTE_P); /* read-only directory entry */
    set32(PT32_RO_PDE + 0 * 4, 0xa000 | PTE_P | PTE_RW);
    set32(PD32 + 3 * 4, 0x7ff00000 | PTE_P | PTE_RW); /* table outside guest memory */
    /* PS set: a 4 MiB page with CR4.PSE, a page-table pointer without. */
    set32(PD32 + 6 * 4, PT32_PS_IGNORED | PTE_PS | PTE_P | PTE_RW);
    set32(PT32_PS_IGNORED + 0 * 4, 0xb000 | PTE_P | PTE_RW);
    set32(PT32_PS_IGNORED + 0x12 * 4, 0xc000 | PTE_P | PTE_RW);
    /* 4 MiB pages (used only with CR4.PSE). */
    set32(PD32 + 4 * 4, 0x00c00000 | PTE_PS | PTE_P | PTE_RW);
    set32(PD32 + 5 * 4, 0x01000000 | PTE_PS | PTE_P); /* read-only */
    set32(PD32 + 1023 * 4, 0xffc00000 | PTE_PS | PTE_P | PTE_RW);
    /* A second directory in the last page of guest memory, using its last
     * entry: a walker that read 8-byte entries would run off the end. */
    set32(PD32_LAST_PAGE + 1023 * 4, PT32 | PTE_P | PTE_RW);
}

static void test_32bit_4k_pages(void **state)
{
    (void)state;
    build_32bit_tables();
    struct guest_paging p = {.cr0 = CR0_PE | CR0_PG, .cr3 = PD32 | CR3_PWT_PCD};

    expect(&p, 0x5123, 0x7123, true);
    expect(&p, 0x5000, 0x7000, true);
    expect(&p, 0x5fff, 0x7fff, true);
    expect(&p, 0x7abc, 0x8abc, false); /* read-only page */
    expect(&p, 0x3ff123, 0xfffff123, true);
    expect(&p, 0x800042, 0xa042, false); /* read-only at the directory */
    expect_fault(&p, 0x6000);            /* PTE not present */
    expect_fault(&p, 0x8000);            /* PTE not present, RW set */
    expect_fault(&p, 0x400000);          /* PDE not present */
    expect_fault(&p, 0xc00000);          /* page table outside guest memory */
    /* Without CR4.PSE, PS is ignored: the entry points at a page table. */
    expect(&p, 0x1800123, 0xb123, true);
    expect(&p, 0x1812123, 0xc123, true);
    expect_fault(&p, 0x1000123); /* PDE[4]: a page table at 0xc00000, outside memory */
}

static void test_32bit_4m_pages(void **state)
{
    (void)state;
    build_32bit_tables();
    struct guest_paging p = {.cr0 = CR0_PE | CR0_PG, .cr3 = PD32, .cr4 = CR4_PSE};

    expect(&p, 0x01012345, 0x00c12345, true);
    expect(&p, 0x01000000, 0x00c00000, true);
    expect(&p, 0x013fffff, 0x00ffffff, true);
    expect(&p, 0x01400000 + 0x2345, 0x01002345, false); /* read-only 4 MiB page */
    expect(&p, 0xffffffff, 0xffffffff, true);
    expect(&p, 0xffc00000, 0xffc00000, true);
    /* With PSE, PDE[6] is a 4 MiB page at 0 (its address bits 31:22 are 0). */
    expect(&p, 0x1800123, 0x000123, true);
    expect(&p, 0x1812123, 0x012123, true);
    /* 4 KiB pages still work beside them. */
    expect(&p, 0x5123, 0x7123, true);
    expect_fault(&p, 0x400000);
}

static void test_32bit_faults(void **state)
{
    (void)state;
    build_32bit_tables();
    for (int pse = 0; pse <= 1; pse++) {
        struct guest_paging p = {.cr0 = CR0_PE | CR0_PG, .cr3 = PD32, .cr4 = pse ? CR4_PSE : 0};
        /* Above 4 GiB: no 32-bit address, even if the low half is mapped. */
        expect_fault(&p, 0x100005123ULL);
        expect_fault(&p, 0xffffffff00005123ULL);
        /* The directory itself outside guest memory. */
        p.cr3 = 0x40000000;
        expect_fault(&p, 0x5123);
        p.cr3 = GUEST_BYTES;
        expect_fault(&p, 0x5123);
    }
    /* The last entry of a directory in the last page of memory. */
    struct guest_paging last = {.cr0 = CR0_PE | CR0_PG, .cr3 = PD32_LAST_PAGE};
    expect(&last, 0xffc05123, 0x7123, true);
    expect_fault(&last, 0xff805123);
}

/* ---- PAE paging ------------------------------------------------------------- */

#define PDPT_PAE 0x1020 /* 32-byte aligned, not page aligned */
#define PD_PAE 0x2000
#define PT_PAE 0x3000
#define PD_PAE_SPARE 0x4000

static void build_pae_tables(void)
{
    set64(PDPT_PAE + 0 * 8, PD_PAE | PTE_P);
    set64(PD_PAE + 0 * 8, PT_PAE | PTE_P | PTE_RW | PTE_US);
    set64(PT_PAE + 1 * 8, 0x5000 | PTE_P | PTE_RW);
    set64(PT_PAE + 2 * 8, 0x123456000ULL | PTE_P | PTE_RW);      /* above 4 GiB physical */
    set64(PT_PAE + 3 * 8, 0x6000 | PTE_P);                       /* read-only */
    set64(PT_PAE + 4 * 8, PTE_NX | 0x6000 | PTE_P | PTE_RW);     /* NX is not address */
    set64(PD_PAE + 1 * 8, 0x00a00000 | PTE_PS | PTE_P | PTE_RW); /* 2 MiB */
    set64(PD_PAE + 2 * 8, 0x200000000ULL | PTE_PAT_LARGE | PTE_PS | PTE_P); /* RO 2 MiB */
    /* PD_PAE[3] stays 0: not present. */
    set64(PD_PAE + 4 * 8, 0x80000000ULL | PTE_P | PTE_RW); /* table outside memory */
    set64(PD_PAE + 5 * 8, PT_PAE | PTE_P);                 /* read-only directory entry */
    /* PDPTEs 1 and 2 carry reserved bits over a valid directory; 3 is absent. */
    set64(PD_PAE_SPARE + 0 * 8, 0x00e00000 | PTE_PS | PTE_P | PTE_RW);
    set64(PDPT_PAE + 1 * 8, PD_PAE_SPARE | PTE_P | PDPTE_RW_RESERVED);
    set64(PDPT_PAE + 2 * 8, PD_PAE_SPARE | PTE_P | PDPTE_BIT8_RESERVED);
}

static void test_pae_pages(void **state)
{
    (void)state;
    build_pae_tables();
    struct guest_paging p = {.cr0 = CR0_PE | CR0_PG, .cr3 = PDPT_PAE | CR3_PWT_PCD, .cr4 = CR4_PAE};
    expect(&p, 0x1234, 0x5234, true);
    expect(&p, 0x2abc, 0x123456abcULL, true);
    expect(&p, 0x3abc, 0x6abc, false);
    expect(&p, 0x4abc, 0x6abc, true);
    expect(&p, 0x00212345, 0x00a12345, true);
    expect(&p, 0x00200000, 0x00a00000, true);
    expect(&p, 0x003fffff, 0x00bfffff, true);
    expect(&p, 0x00401234, 0x200001234ULL, false);
    expect(&p, 0x00a01234, 0x5234, false); /* via the read-only directory entry */
    /* PAE 2 MiB pages do not depend on CR4.PSE. */
    p.cr4 |= CR4_PSE;
    expect(&p, 0x00212345, 0x00a12345, true);

    /* A valid PDPTE 3 makes its gigabyte reachable. */
    set64(PDPT_PAE + 3 * 8, PD_PAE_SPARE | PTE_P);
    expect(&p, 0xc0001234, 0x00e01234, true);
}

static void test_pae_faults(void **state)
{
    (void)state;
    build_pae_tables();
    struct guest_paging p = {.cr0 = CR0_PE | CR0_PG, .cr3 = PDPT_PAE, .cr4 = CR4_PAE};
    expect_fault(&p, 0x5000);         /* PTE not present */
    expect_fault(&p, 0x00600000);     /* PDE not present */
    expect_fault(&p, 0x00800000);     /* page table outside guest memory */
    expect_fault(&p, 0xc0000000);     /* PDPTE not present */
    expect_fault(&p, 0x40001234);     /* PDPTE with RW (reserved) set */
    expect_fault(&p, 0x80001234);     /* PDPTE with bit 8 (reserved) set */
    expect_fault(&p, 0x100001234ULL); /* above 4 GiB */
    /* Clearing the reserved bits makes the same PDPTEs work. */
    set64(PDPT_PAE + 1 * 8, PD_PAE_SPARE | PTE_P);
    set64(PDPT_PAE + 2 * 8, PD_PAE_SPARE | PTE_P);
    expect(&p, 0x40001234, 0x00e01234, true);
    expect(&p, 0x80001234, 0x00e01234, true);
    /* The PDPT outside guest memory. */
    p.cr3 = 0xffffffe0;
    expect_fault(&p, 0x1234);
}

/* ---- 4-level paging ----------------------------------------------------------- */

#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define PT 0x4000
#define PDPT_RO 0x5000

static struct guest_paging long_mode(void)
{
    return (struct guest_paging){.cr0 = CR0_PE | CR0_PG,
                                 .cr3 = PML4 | CR3_PWT_PCD,
                                 .cr4 = CR4_PAE,
                                 .efer = EFER_LME | EFER_LMA};
}

static void build_4level_tables(void)
{
    set64(PML4 + 0 * 8, PDPT | PTE_P | PTE_RW | PTE_US);
    set64(PDPT + 0 * 8, PD | PTE_P | PTE_RW);
    set64(PD + 0 * 8, PT | PTE_P | PTE_RW);
    set64(PT + 3 * 8, 0x987654000ULL | PTE_P | PTE_RW | PTE_A);
    /* PT[4] stays 0. */
    set64(PT + 5 * 8, 0x6000 | PTE_P);                           /* read-only */
    set64(PT + 6 * 8, PTE_NX | 0x6000 | PTE_P | PTE_RW);         /* NX is not address */
    set64(PT + 7 * 8, 0x000ffffffffff000ULL | PTE_P | PTE_RW);   /* the highest 52-bit frame */
    set64(PD + 1 * 8, 0x400200000ULL | PTE_PS | PTE_P | PTE_RW); /* 2 MiB */
    /* PD[2] stays 0. */
    set64(PD + 3 * 8, 0x100000000ULL | PTE_P | PTE_RW); /* table outside memory */
    set64(PD + 4 * 8, 0x400600000ULL | PTE_PAT_LARGE | PTE_PS | PTE_P | PTE_RW);
    set64(PD + 5 * 8, 0x400a00000ULL | PTE_PS | PTE_P); /* read-only 2 MiB */
    set64(PDPT + 1 * 8, 0x8040000000ULL | PTE_PAT_LARGE | PTE_PS | PTE_P | PTE_RW); /* 1 GiB */
    /* PDPT[2] stays 0. */
    set64(PDPT + 3 * 8, 0xc0000000ULL | PTE_PS | PTE_P); /* read-only 1 GiB */
    /* PML4[1] stays 0. */
    set64(PML4 + 2 * 8, PDPT_RO | PTE_P); /* read-only at the top */
    set64(PDPT_RO + 0 * 8, 0 | PTE_PS | PTE_P | PTE_RW);
    set64(PML4 + 3 * 8, 0xffffffffff000ULL | PTE_P | PTE_RW); /* table outside memory */
    set64(PML4 + 4 * 8, PDPT | PTE_RW);                       /* not present, RW set */
    set64(PML4 + 511 * 8, PDPT | PTE_P | PTE_RW);             /* the kernel half */
    set64(PML4 + 128 * 8, PDPT | PTE_P | PTE_RW);             /* bit 46 set, 47 clear */
    set64(PML4 + 256 * 8, PDPT | PTE_P | PTE_RW);             /* bit 47 set, 46 clear */
}

static void test_4level_pages(void **state)
{
    (void)state;
    build_4level_tables();
    struct guest_paging p = long_mode();
    /* 4 KiB */
    expect(&p, 0x3abc, 0x987654abcULL, true);
    expect(&p, 0x5abc, 0x6abc, false);
    expect(&p, 0x6abc, 0x6abc, true);
    expect(&p, 0x7abc, 0x000ffffffffffabcULL, true);
    /* 2 MiB, with the PAT bit not taken for an address bit */
    expect(&p, 0x212345, 0x400212345ULL, true);
    expect(&p, 0x3fffff, 0x4003fffffULL, true);
    expect(&p, 0x801234, 0x400601234ULL, true);
    expect(&p, 0xa01234, 0x400a01234ULL, false);
    /* 1 GiB */
    expect(&p, 0x76543210, 0x8076543210ULL, true);
    expect(&p, 0x40000000, 0x8040000000ULL, true);
    expect(&p, 0xc0001234, 0xc0001234ULL, false);
    /* Read-only at the top level: everything below is read-only. */
    expect(&p, 0x10000001234ULL, 0x1234, false);
    /* The upper canonical half. */
    expect(&p, 0xffffff8000003abcULL, 0x987654abcULL, true);
    expect(&p, 0xffffff8040000010ULL, 0x8040000010ULL, true);
    /* Canonical is bits 63:47 equal; bit 46 may differ from them. */
    expect(&p, 0x0000400000003abcULL, 0x987654abcULL, true);
    expect(&p, 0xffff800000003abcULL, 0x987654abcULL, true);
    /* CR3's low bits are flags (or a PCID), not address. */
    p.cr3 = PML4 | 0xabc;
    expect(&p, 0x3abc, 0x987654abcULL, true);
}

static void test_4level_faults(void **state)
{
    (void)state;
    build_4level_tables();
    struct guest_paging p = long_mode();
    expect_fault(&p, 0x4000);           /* PTE not present */
    expect_fault(&p, 0x400000);         /* PDE not present */
    expect_fault(&p, 0x80000000);       /* PDPTE not present */
    expect_fault(&p, 0x8000000000ULL);  /* PML4E not present */
    expect_fault(&p, 0x20000000000ULL); /* PML4E not present, RW set */
    expect_fault(&p, 0x600000);         /* page table outside memory */
    expect_fault(&p, 0x18000000000ULL); /* PDPT outside memory */
    /* Non-canonical: bits 63:47 not all equal. Each of these has index bits
     * that select mapped entries, so only the canonical check stops it. */
    expect_fault(&p, 0x0000ff8000003abcULL); /* PML4[511], bit 47 set, 63:48 clear */
    expect_fault(&p, 0xffff000000003abcULL); /* PML4[0], bit 47 clear, 63:48 set */
    expect_fault(&p, 0x0001000000003abcULL); /* PML4[0], bit 48 alone */
    expect_fault(&p, 0x1000000000003abcULL);
    expect_fault(&p, 0x8000000000003abcULL);
    expect_fault(&p, 0x0000800000000000ULL);
    /* The PML4 outside guest memory. */
    p.cr3 = 0x7fff0000000ULL;
    expect_fault(&p, 0x3abc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_32bit_4k_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_32bit_4m_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_32bit_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pae_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pae_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_4level_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_4level_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
