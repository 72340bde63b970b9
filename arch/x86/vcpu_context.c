/* Checking a guest-supplied vCPU start state (VCPUOP_initialise).
 *
 * The state comes from a guest and is hostile until checked. We refuse what
 * the CPU would refuse on VM entry or would fault on if software loaded it
 * (Intel SDM vol. 3 26.3.1 "checks on the guest state", AMD APM vol. 2
 * 15.5.1 "VMRUN consistency checks", and the MOV CR / WRMSR EFER / segment
 * load rules), so that a bad request is an error for the caller and never a
 * failed entry that crashes the domain later. Both back ends then install
 * the same normalized image.
 *
 * Normalization, not refusal, for the bits the CPU itself sets: CR0.ET
 * (hardwired to one), RFLAGS bit 1 (always one), the accessed bit of the
 * code and data segments (set when a descriptor is loaded), EFER.LMA (the
 * CPU derives it from LME and PG). Everything else must be exactly right.
 *
 * 32-bit mode follows Xen's vcpu_hvm_x86_32: CS, DS, SS, ES and TR given in
 * full (packed 12-bit attributes, byte limits), FS and GS copied from DS,
 * no LDT. EFER.LME with paging starts the vCPU in long mode (compatibility
 * mode unless CS.L). 64-bit mode implies flat 64-bit code and data segments
 * and a busy 64-bit TSS, as Xen defines it. Selectors are not part of the
 * ABI; we give the usual 0x08 (code), 0x10 (data) and 0x18 (TSS) with the
 * segment's DPL as RPL, and the guest reloads its own. */
#include "x86/vcpu_context.h"

#include <stddef.h>

#include "lib/errno.h"
#include "x86/regs.h"

#define RFLAGS_FIXED (1ULL << 1)
#define RFLAGS_VM (1ULL << 17)
#define RFLAGS_DEFINED 0x3f7fd7ULL /* all but the reserved bits 3, 5, 15 and 22-63 */
#define CANONICAL_BITS 48          /* 4-level paging (LA57 is not offered) */
#define CR3_PCID_NOFLUSH (1ULL << 63)

#define SELECTOR_CODE 0x08
#define SELECTOR_DATA 0x10
#define SELECTOR_TSS 0x18
#define TSS_MIN_LIMIT 0x67 /* a 32-bit or 64-bit TSS is 104 bytes */
#define FLAT_LIMIT 0xffffffffU

#define FLAT_CODE32_ATTR                                                                           \
    (SEG_AR_TYPE_CODE | SEG_AR_TYPE_WRITABLE | SEG_AR_TYPE_ACCESSED | SEG_AR_S | SEG_AR_P |        \
     SEG_AR_DB | SEG_AR_G)
#define FLAT_CODE64_ATTR                                                                           \
    (SEG_AR_TYPE_CODE | SEG_AR_TYPE_WRITABLE | SEG_AR_TYPE_ACCESSED | SEG_AR_S | SEG_AR_P |        \
     SEG_AR_L | SEG_AR_G)
#define FLAT_DATA_ATTR                                                                             \
    (SEG_AR_TYPE_WRITABLE | SEG_AR_TYPE_ACCESSED | SEG_AR_S | SEG_AR_P | SEG_AR_DB | SEG_AR_G)
#define BUSY_TSS_ATTR (SEG_AR_TYPE_TSS_BUSY | SEG_AR_P)

static int refuse(const char **why, const char *reason)
{
    *why = reason;
    return -XC_EINVAL;
}

static unsigned int segment_dpl(uint16_t attr)
{
    return (attr >> SEG_AR_DPL_SHIFT) & SEG_AR_DPL_MASK;
}

static bool is_canonical(uint64_t address)
{
    uint64_t upper = address >> (CANONICAL_BITS - 1);
    return upper == 0 || upper == (UINT64_MAX >> (CANONICAL_BITS - 1));
}

/* CR0, CR4, EFER and CR3 together; @out->efer gets LMA. */
static int check_control_registers(struct hvm_start_state *out, const struct hvm_cpu_facts *facts,
                                   const char **why)
{
    uint64_t cr0 = out->cr0, cr4 = out->cr4, efer = out->efer;
    if (cr0 & ~X86_CR0_DEFINED)
        return refuse(why, "CR0 has reserved bits set");
    if (!(cr0 & X86_CR0_PE))
        return refuse(why, "CR0.PE is clear: the start state must be protected mode");
    if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
        return refuse(why, "CR0.NW is set without CR0.CD");
    if (cr4 & ~facts->cr4_allowed)
        return refuse(why, "CR4 has bits set that this machine does not offer");
    uint64_t efer_allowed = EFER_SCE | EFER_LME | EFER_LMA | (facts->nx ? EFER_NXE : 0);
    if (efer & ~efer_allowed)
        return refuse(why, "EFER has bits set that this machine does not offer");

    bool long_mode = (efer & EFER_LME) && (cr0 & X86_CR0_PG);
    if ((efer & EFER_LMA) && !long_mode)
        return refuse(why, "EFER.LMA is set without EFER.LME and CR0.PG");
    if (long_mode && !(cr4 & X86_CR4_PAE))
        return refuse(why, "long mode needs CR4.PAE");
    if ((cr4 & X86_CR4_PCIDE) && !long_mode)
        return refuse(why, "CR4.PCIDE needs long mode");
    if (long_mode) {
        if (out->cr3 & CR3_PCID_NOFLUSH)
            return refuse(why, "CR3 bit 63 is set");
        if (facts->phys_bits < 64 && (out->cr3 >> facts->phys_bits))
            return refuse(why, "CR3 has bits set above the physical-address width");
    }

    out->cr0 = cr0 | X86_CR0_ET;
    out->efer = long_mode ? efer | EFER_LMA : efer & ~EFER_LMA;
    return 0;
}

static int check_rflags(struct hvm_start_state *out, const char **why)
{
    if (out->rflags & ~RFLAGS_DEFINED)
        return refuse(why, "RFLAGS has reserved bits set");
    if (out->rflags & RFLAGS_VM)
        return refuse(why, "RFLAGS.VM is set: virtual-8086 mode is not a start state");
    out->rflags |= RFLAGS_FIXED;
    return 0;
}

/* One segment of a 32-bit start state, as loading its descriptor would
 * check it; @index says which register it goes to. */
static int check_segment(struct hvm_segment *s, enum hvm_segment_index index, const char **why)
{
    uint16_t attr = s->attr;
    unsigned int type = attr & SEG_AR_TYPE_MASK;

    if (attr & ~SEG_AR_DEFINED)
        return refuse(why, "segment attributes have bits 12-15 set");
    if (attr == 0) {
        if (index == HVM_SEG_DS || index == HVM_SEG_ES) {
            *s = (struct hvm_segment){0}; /* null: unusable */
            return 0;
        }
        return refuse(why, "CS, SS and TR cannot be null");
    }
    if (!(attr & SEG_AR_P))
        return refuse(why, "a segment is not present");
    if (attr & SEG_AR_G) {
        if ((s->limit & SEG_LIMIT_PAGE_LOW_BITS) != SEG_LIMIT_PAGE_LOW_BITS)
            return refuse(why, "a page-granular segment limit does not end in 0xfff");
    } else if (s->limit > SEG_LIMIT_BYTE_GRANULAR_MAX) {
        return refuse(why, "a byte-granular segment limit is above 1 MiB");
    }

    if (index == HVM_SEG_TR) {
        if ((attr & SEG_AR_S) || type != SEG_AR_TYPE_TSS_BUSY)
            return refuse(why, "TR must be a busy 32-bit TSS");
        if (s->limit < TSS_MIN_LIMIT)
            return refuse(why, "TR's limit is too small for a TSS");
        s->selector = SELECTOR_TSS;
        return 0;
    }
    if (!(attr & SEG_AR_S))
        return refuse(why, "a system descriptor is given for a code or data segment");
    switch (index) {
    case HVM_SEG_CS:
        if (!(type & SEG_AR_TYPE_CODE))
            return refuse(why, "CS is not a code segment");
        if ((attr & SEG_AR_L) && (attr & SEG_AR_DB))
            return refuse(why, "CS has both L and D set");
        break;
    case HVM_SEG_SS:
        if ((type & SEG_AR_TYPE_CODE) || !(type & SEG_AR_TYPE_WRITABLE))
            return refuse(why, "SS is not a writable data segment");
        break;
    default: /* DS, ES */
        if ((type & SEG_AR_TYPE_CODE) && !(type & SEG_AR_TYPE_WRITABLE))
            return refuse(why, "DS or ES is an execute-only code segment");
        break;
    }
    s->attr = (uint16_t)(attr | SEG_AR_TYPE_ACCESSED);
    s->selector =
        (uint16_t)((index == HVM_SEG_CS ? SELECTOR_CODE : SELECTOR_DATA) | segment_dpl(attr));
    return 0;
}

static struct hvm_segment segment_from(uint32_t base, uint32_t limit, uint16_t attr)
{
    return (struct hvm_segment){.base = base, .limit = limit, .attr = attr};
}

static int check_32(const struct vcpu_hvm_x86_32 *r, const struct hvm_cpu_facts *facts,
                    struct hvm_start_state *out, const char **why)
{
    if (r->pad1 || r->pad2[0] || r->pad2[1] || r->pad2[2])
        return refuse(why, "padding is not zero");
    *out = (struct hvm_start_state){
        .rax = r->eax,
        .rcx = r->ecx,
        .rdx = r->edx,
        .rbx = r->ebx,
        .rsp = r->esp,
        .rbp = r->ebp,
        .rsi = r->esi,
        .rdi = r->edi,
        .rip = r->eip,
        .rflags = r->eflags,
        .cr0 = r->cr0,
        .cr3 = r->cr3,
        .cr4 = r->cr4,
        .efer = r->efer,
    };
    int rc = check_control_registers(out, facts, why);
    if (rc == 0)
        rc = check_rflags(out, why);
    if (rc)
        return rc;

    struct hvm_segment *seg = out->segments;
    seg[HVM_SEG_CS] = segment_from(r->cs_base, r->cs_limit, r->cs_ar);
    seg[HVM_SEG_DS] = segment_from(r->ds_base, r->ds_limit, r->ds_ar);
    seg[HVM_SEG_SS] = segment_from(r->ss_base, r->ss_limit, r->ss_ar);
    seg[HVM_SEG_ES] = segment_from(r->es_base, r->es_limit, r->es_ar);
    seg[HVM_SEG_TR] = segment_from(r->tr_base, r->tr_limit, r->tr_ar);
    static const enum hvm_segment_index given[] = {HVM_SEG_CS, HVM_SEG_SS, HVM_SEG_DS, HVM_SEG_ES,
                                                   HVM_SEG_TR};
    for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
        rc = check_segment(&seg[given[i]], given[i], why);
        if (rc)
            return rc;
    }

    bool long_mode = (out->efer & EFER_LMA) != 0;
    uint16_t cs = seg[HVM_SEG_CS].attr;
    if ((cs & SEG_AR_L) && !long_mode)
        return refuse(why, "CS.L is set outside long mode");
    unsigned int cpl = segment_dpl(cs);
    if (segment_dpl(seg[HVM_SEG_SS].attr) != cpl)
        return refuse(why, "SS.DPL differs from CS.DPL");
    static const enum hvm_segment_index data[] = {HVM_SEG_DS, HVM_SEG_ES};
    for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
        uint16_t attr = seg[data[i]].attr;
        bool conforming_code = (attr & SEG_AR_TYPE_CODE) && (attr & SEG_AR_TYPE_CONFORMING);
        if (attr && !conforming_code && segment_dpl(attr) < cpl)
            return refuse(why, "DS or ES has a DPL below the privilege level");
    }
    if ((cs & SEG_AR_L) && long_mode) {
        if (!is_canonical(out->rip))
            return refuse(why, "RIP is not canonical");
    } else if (out->rip > seg[HVM_SEG_CS].limit) {
        return refuse(why, "EIP is beyond the CS limit");
    }

    seg[HVM_SEG_FS] = seg[HVM_SEG_DS];
    seg[HVM_SEG_GS] = seg[HVM_SEG_DS];
    seg[HVM_SEG_LDTR] = (struct hvm_segment){0};
    return 0;
}

static int check_64(const struct vcpu_hvm_x86_64 *r, const struct hvm_cpu_facts *facts,
                    struct hvm_start_state *out, const char **why)
{
    *out = (struct hvm_start_state){
        .rax = r->rax,
        .rcx = r->rcx,
        .rdx = r->rdx,
        .rbx = r->rbx,
        .rsp = r->rsp,
        .rbp = r->rbp,
        .rsi = r->rsi,
        .rdi = r->rdi,
        .rip = r->rip,
        .rflags = r->rflags,
        .cr0 = r->cr0,
        .cr3 = r->cr3,
        .cr4 = r->cr4,
        .efer = r->efer,
    };
    if (!(out->cr0 & X86_CR0_PG) || !(out->cr4 & X86_CR4_PAE) || !(out->efer & EFER_LME))
        return refuse(why, "64-bit mode needs CR0.PG, CR4.PAE and EFER.LME");
    int rc = check_control_registers(out, facts, why);
    if (rc == 0)
        rc = check_rflags(out, why);
    if (rc)
        return rc;
    if (!is_canonical(out->rip))
        return refuse(why, "RIP is not canonical");

    struct hvm_segment data = {
        .selector = SELECTOR_DATA, .attr = FLAT_DATA_ATTR, .limit = FLAT_LIMIT};
    for (unsigned int i = 0; i < HVM_SEG_COUNT; i++)
        out->segments[i] = data;
    out->segments[HVM_SEG_CS] = (struct hvm_segment){
        .selector = SELECTOR_CODE, .attr = FLAT_CODE64_ATTR, .limit = FLAT_LIMIT};
    out->segments[HVM_SEG_TR] = (struct hvm_segment){
        .selector = SELECTOR_TSS, .attr = BUSY_TSS_ATTR, .limit = TSS_MIN_LIMIT};
    out->segments[HVM_SEG_LDTR] = (struct hvm_segment){0};
    return 0;
}

int hvm_vcpu_context_check(const struct vcpu_hvm_context *ctx, const struct hvm_cpu_facts *facts,
                           struct hvm_start_state *out, const char **why)
{
    if (ctx->pad)
        return refuse(why, "padding is not zero");
    switch (ctx->mode) {
    case VCPU_HVM_MODE_32B:
        return check_32(&ctx->cpu_regs.x86_32, facts, out, why);
    case VCPU_HVM_MODE_64B:
        return check_64(&ctx->cpu_regs.x86_64, facts, out, why);
    default:
        return refuse(why, "unknown mode");
    }
}

void hvm_pvh_start_state(struct hvm_start_state *out, uint32_t entry, uint32_t ebx)
{
    *out = (struct hvm_start_state){
        .rbx = ebx, .rip = entry, .rflags = RFLAGS_FIXED, .cr0 = X86_CR0_PE | X86_CR0_ET};
    struct hvm_segment data = {
        .selector = SELECTOR_DATA, .attr = FLAT_DATA_ATTR, .limit = FLAT_LIMIT};
    for (unsigned int i = 0; i < HVM_SEG_COUNT; i++)
        out->segments[i] = data;
    out->segments[HVM_SEG_CS] = (struct hvm_segment){
        .selector = SELECTOR_CODE, .attr = FLAT_CODE32_ATTR, .limit = FLAT_LIMIT};
    out->segments[HVM_SEG_TR] = (struct hvm_segment){
        .selector = SELECTOR_TSS, .attr = BUSY_TSS_ATTR, .limit = TSS_MIN_LIMIT};
    out->segments[HVM_SEG_LDTR] = (struct hvm_segment){0};
}
