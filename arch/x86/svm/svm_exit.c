/* #VMEXIT handling for SVM: decode the exit, call the vendor-neutral handler,
 * act on its answer.
 *
 * Advancing RIP: with NRIPS the CPU stores the address of the next
 * instruction in the VMCB on instruction intercepts. Without it (QEMU's TCG)
 * we must know the length of the instruction that exited, so we fetch it from
 * guest memory and decode the few instructions that can exit here - with
 * their legacy and REX prefixes - and check the bytes are the instruction the
 * exit code names. An IOIO exit carries the next RIP in EXITINFO2 on every
 * CPU. Anything we cannot decode crashes the domain, never the hypervisor.
 *
 * Events cut short by an exit (EXITINTINFO) are re-injected before the
 * handler runs, except software interrupts and INT3/INTO, which happen again
 * when the instruction re-executes.
 *
 * Fast resume. svm_exit_hot() and svm_exit_general() run on svm_enter()'s frame (svm_entry.S),
 * after the host's FS/GS/TR/LDTR and syscall MSRs are back, and may let the
 * guest go straight back in. What the run loop checks before an entry -
 * runnable, no reschedule asked, ASID and TLB, p2m generation, VMCB clean
 * bits - changes only through a handler on this CPU (a hypercall that says
 * so in state_changed, HLT, an NPT fault, a crash, a CR0/CR4/EFER/PAT write
 * that dirties the VMCB or asks a flush) or through another CPU, which then
 * kicks this one with an IPI: #VMEXIT(INTR), at once or right after the
 * next VMRUN if it arrived while interrupts were off here. So those exits go
 * back through the run loop (SVM_NEXT_RECHECK), and a CPUID, an MSR access
 * or a plain hypercall re-enters at once. The p2m generation is compared on
 * every fast resume anyway: this CPU can change its own domain's p2m without
 * kicking itself. Interrupts (NMI, upcall, vLAPIC) are delivered by the run
 * loop (hvm_deliver_interrupts, hvm/interrupts.c): they become pending only
 * in those same ways, or by a vLAPIC WRMSR, a CR8 write or an IRET after an
 * NMI, which go back through the run loop too, as does the VINTR exit of an
 * interrupt window we opened. */
#include <stddef.h>

#include "lib/string.h"
#include "svm_internal.h"
#include "x86/insn.h"
#include "x86/regs.h"
#include "x86/traps.h"

#define X86_INSN_MAX_BYTES 15
#define X86_CR8_TPR_MASK 0xfULL /* CR8 holds TPR bits 7:4 in its bits 3:0 */
#define X86_CR0_LMSW_BITS 0xfULL /* PE, MP, EM, TS */
#define X86_VECTOR_BP 3
#define X86_VECTOR_OF 4
#define X86_GATE_BYTES_32 8
#define X86_GATE_BYTES_64 16
#define X86_GATE_ACCESS_BYTE 5 /* type, DPL, P */
#define X86_GATE_PRESENT 0x80
#define X86_GPR_RSP 4

/* Opcode bytes. */
#define OPCODE_TWO_BYTE 0x0f
#define OPCODE_HLT 0xf4
#define OPCODE_IN_IMM8_FIRST 0xe4 /* e4 e5 in, e6 e7 out, then an imm8 */
#define OPCODE_IN_IMM8_LAST 0xe7
#define OPCODE_IN_DX_FIRST 0xec /* ec ed in, ee ef out */
#define OPCODE_IN_DX_LAST 0xef
#define OPCODE2_GROUP7 0x01 /* 0f 01: the modrm byte selects */
#define OPCODE2_CLTS 0x06
#define OPCODE2_INVD 0x08
#define OPCODE2_MOV_TO_CR 0x22
#define OPCODE2_WRMSR 0x30
#define OPCODE2_RDMSR 0x32
#define OPCODE2_CPUID 0xa2
#define MODRM_VMCALL 0xc1
#define MODRM_XSETBV 0xd1
#define MODRM_VMMCALL 0xd9
#define MODRM_GROUP7_LMSW 6 /* reg field of 0f 01 /6 */
#define MODRM_MOD_REGISTER 3
#define PREFIX_ES 0x26 /* segment overrides */
#define PREFIX_CS 0x2e
#define PREFIX_SS 0x36
#define PREFIX_DS 0x3e
#define PREFIX_FS 0x64
#define PREFIX_GS 0x65
#define PREFIX_OPERAND_SIZE 0x66
#define PREFIX_ADDRESS_SIZE 0x67
#define PREFIX_LOCK 0xf0
#define PREFIX_REPNE 0xf2
#define PREFIX_REP 0xf3
#define REX_FIRST 0x40
#define REX_LAST 0x4f
#define REX_B 0x1
#define REX_R 0x4

enum svm_insn_kind {
    SVM_INSN_UNKNOWN,
    SVM_INSN_CPUID,
    SVM_INSN_RDMSR,
    SVM_INSN_WRMSR,
    SVM_INSN_XSETBV,
    SVM_INSN_VMMCALL,
    SVM_INSN_VMCALL,
    SVM_INSN_HLT,
    SVM_INSN_INVD,
    SVM_INSN_IO,
    SVM_INSN_MOV_TO_CR,
    SVM_INSN_CLTS,
    SVM_INSN_LMSW,
};

struct svm_insn {
    enum svm_insn_kind kind;
    unsigned int length;
    unsigned int cr;  /* MOV_TO_CR: the control register */
    unsigned int gpr; /* MOV_TO_CR, LMSW: the source register (x86 numbering) */
};

static bool is_legacy_prefix(uint8_t byte)
{
    switch (byte) {
    case PREFIX_ES:
    case PREFIX_CS:
    case PREFIX_SS:
    case PREFIX_DS:
    case PREFIX_FS:
    case PREFIX_GS:
    case PREFIX_OPERAND_SIZE:
    case PREFIX_ADDRESS_SIZE:
    case PREFIX_LOCK:
    case PREFIX_REPNE:
    case PREFIX_REP:
        return true;
    default:
        return false;
    }
}

/* Decodes the instruction in @bytes (@count of them were readable). */
static bool svm_insn_decode(const uint8_t *bytes, unsigned int count, bool long_mode,
                            struct svm_insn *insn)
{
    unsigned int i = 0, rex = 0;
    bool lock = false;
    if (count > X86_INSN_MAX_BYTES)
        count = X86_INSN_MAX_BYTES;
    while (i < count && is_legacy_prefix(bytes[i]))
        lock |= bytes[i++] == PREFIX_LOCK;
    if (long_mode && i < count && bytes[i] >= REX_FIRST && bytes[i] <= REX_LAST)
        rex = bytes[i++];
    if (i >= count)
        return false;

    *insn = (struct svm_insn){.kind = SVM_INSN_UNKNOWN};
    uint8_t opcode = bytes[i++];
    if (opcode == OPCODE_HLT) {
        insn->kind = SVM_INSN_HLT;
    } else if (opcode >= OPCODE_IN_IMM8_FIRST && opcode <= OPCODE_IN_IMM8_LAST) {
        insn->kind = SVM_INSN_IO;
        i++; /* the port */
    } else if (opcode >= OPCODE_IN_DX_FIRST && opcode <= OPCODE_IN_DX_LAST) {
        insn->kind = SVM_INSN_IO;
    } else if (opcode == OPCODE_TWO_BYTE && i < count) {
        uint8_t opcode2 = bytes[i++];
        uint8_t modrm = i < count ? bytes[i] : 0;
        unsigned int mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
        switch (opcode2) {
        case OPCODE2_CPUID:
            insn->kind = SVM_INSN_CPUID;
            break;
        case OPCODE2_RDMSR:
            insn->kind = SVM_INSN_RDMSR;
            break;
        case OPCODE2_WRMSR:
            insn->kind = SVM_INSN_WRMSR;
            break;
        case OPCODE2_INVD:
            insn->kind = SVM_INSN_INVD;
            break;
        case OPCODE2_CLTS:
            insn->kind = SVM_INSN_CLTS;
            break;
        case OPCODE2_MOV_TO_CR:
            /* The operand is always a register, whatever mod says. LOCK
             * selects CR8 on AMD (the 32-bit encoding of it). */
            insn->kind = SVM_INSN_MOV_TO_CR;
            insn->cr = reg | (rex & REX_R ? 8 : 0) | (lock ? 8 : 0);
            insn->gpr = rm | (rex & REX_B ? 8 : 0);
            i++;
            break;
        case OPCODE2_GROUP7:
            if (modrm == MODRM_XSETBV)
                insn->kind = SVM_INSN_XSETBV;
            else if (modrm == MODRM_VMMCALL)
                insn->kind = SVM_INSN_VMMCALL;
            else if (modrm == MODRM_VMCALL)
                insn->kind = SVM_INSN_VMCALL;
            else if (reg == MODRM_GROUP7_LMSW && mod == MODRM_MOD_REGISTER) {
                insn->kind = SVM_INSN_LMSW; /* from memory is not decoded */
                insn->gpr = rm | (rex & REX_B ? 8 : 0);
            }
            i++;
            break;
        default:
            break;
        }
    }
    insn->length = i;
    return insn->kind != SVM_INSN_UNKNOWN && i <= count;
}

/* Fetches and decodes the instruction at the guest's CS:RIP. */
static bool svm_insn_read(struct vcpu *v, const struct vmcb *vmcb, struct svm_insn *insn)
{
    bool long_mode = (vmcb->cs.attrib & VMCB_ATTR_L) && (vmcb->efer & EFER_LMA);
    uint64_t linear = vmcb->rip + (long_mode ? 0 : vmcb->cs.base);
    if (!long_mode)
        linear = (uint32_t)linear;
    uint8_t bytes[X86_INSN_MAX_BYTES];
    /* Up to the end of the page first: the next page may not be mapped. */
    unsigned int count = ARCH_PAGE_SIZE - (unsigned int)(linear & (ARCH_PAGE_SIZE - 1));
    if (count > X86_INSN_MAX_BYTES)
        count = X86_INSN_MAX_BYTES;
    if (arch_copy_from_guest(v, bytes, linear, count))
        return false;
    if (count < X86_INSN_MAX_BYTES &&
        arch_copy_from_guest(v, bytes + count, linear + count, X86_INSN_MAX_BYTES - count) == 0)
        count = X86_INSN_MAX_BYTES;
    return svm_insn_decode(bytes, count, long_mode, insn);
}

static enum hvm_result svm_decode_failed(struct vcpu *v, const struct vmcb *vmcb, const char *why)
{
    char message[96];
    snprintf(message, sizeof(message), "cannot decode instruction at 0x%llx (%s)",
             (unsigned long long)vmcb->rip, why);
    return hvm_handle_fatal(v, message);
}

static void svm_set_rip(struct vmcb *vmcb, uint64_t rip)
{
    vmcb->rip = rip;
    vmcb->interrupt_state &= ~SVM_INTERRUPT_SHADOW; /* an STI or MOV SS shadow ends */
}

static uint64_t svm_rip_after(const struct vmcb *vmcb, unsigned int length)
{
    uint64_t rip = vmcb->rip + length;
    bool long_mode = (vmcb->cs.attrib & VMCB_ATTR_L) && (vmcb->efer & EFER_LMA);
    return long_mode ? rip : (uint32_t)rip;
}

/* Acts on @result for an instruction intercept of @kind: on HVM_ADVANCE, RIP
 * moves past the instruction (the CPU's next RIP when it saves one). */
static enum hvm_result svm_complete(struct vcpu *v, struct vmcb *vmcb, enum hvm_result result,
                                    enum svm_insn_kind kind)
{
    if (result != HVM_ADVANCE)
        return result;
    if (svm_features.nrips && vmcb->next_rip) {
        svm_set_rip(vmcb, vmcb->next_rip);
        return result;
    }
    struct svm_insn insn;
    if (!svm_insn_read(v, vmcb, &insn))
        return svm_decode_failed(v, vmcb, "unreadable or unknown");
    if (insn.kind != kind)
        return svm_decode_failed(v, vmcb, "not the instruction that exited");
    svm_set_rip(vmcb, svm_rip_after(vmcb, insn.length));
    return result;
}

/* Guest register @n in x86 numbering (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, ...). */
static uint64_t svm_read_gpr(struct svm_vcpu *sv, unsigned int n)
{
    static const uint8_t offsets[16] = {
        offsetof(struct hvm_gprs, rax), offsetof(struct hvm_gprs, rcx),
        offsetof(struct hvm_gprs, rdx), offsetof(struct hvm_gprs, rbx),
        0 /* RSP: in the VMCB */,       offsetof(struct hvm_gprs, rbp),
        offsetof(struct hvm_gprs, rsi), offsetof(struct hvm_gprs, rdi),
        offsetof(struct hvm_gprs, r8),  offsetof(struct hvm_gprs, r9),
        offsetof(struct hvm_gprs, r10), offsetof(struct hvm_gprs, r11),
        offsetof(struct hvm_gprs, r12), offsetof(struct hvm_gprs, r13),
        offsetof(struct hvm_gprs, r14), offsetof(struct hvm_gprs, r15),
    };
    n &= 15;
    if (n == X86_GPR_RSP)
        return sv->vmcb->rsp;
    uint64_t value;
    memcpy(&value, (const char *)&sv->arch.gprs + offsets[n], sizeof(value));
    return value;
}

/* ---- Control registers and EFER ------------------------------------------------------ */

/* Installs a CR0 or CR4 value the neutral handler accepted. */
static void svm_apply_cr(struct vcpu *v, unsigned int cr, uint64_t value)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    struct vmcb *vmcb = sv->vmcb;
    uint64_t old;
    if (cr == 0) {
        value |= X86_CR0_ET; /* hardwired to one */
        old = vmcb->cr0;
        /* With CR0 writes intercepted, entering and leaving long mode
         * (EFER.LMA) is ours to do, as the CPU would on MOV CR0. */
        if ((value & X86_CR0_PG) && (sv->efer & EFER_LME))
            sv->efer |= EFER_LMA;
        else if (!(value & X86_CR0_PG))
            sv->efer &= ~EFER_LMA;
        vmcb->efer = sv->efer | EFER_SVME;
        vmcb->cr0 = value;
    } else {
        old = vmcb->cr4;
        vmcb->cr4 = value;
    }
    sv->vmcb_dirty |= SVM_CLEAN_CRX;
    /* The CPU flushes on these writes (paging mode, PGE, PCIDE...); we
     * emulated them, so we flush. Linux toggles CR4.PGE to drop global pages. */
    if (value != old)
        svm_vcpu_flush_tlb(sv);
}

static enum hvm_result svm_exit_cr_write(struct vcpu *v, struct vmcb *vmcb, unsigned int cr)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    bool long_mode = (vmcb->cs.attrib & VMCB_ATTR_L) && (vmcb->efer & EFER_LMA);
    struct svm_insn insn = {.kind = SVM_INSN_UNKNOWN};
    uint64_t value;

    if (svm_features.decode_assists && (vmcb->exit_info1 & SVM_EXITINFO1_CR_MOV)) {
        value = svm_read_gpr(sv, (unsigned int)(vmcb->exit_info1 & SVM_EXITINFO1_CR_GPR_MASK));
    } else {
        if (!svm_insn_read(v, vmcb, &insn))
            return svm_decode_failed(v, vmcb, "control register write");
        if (insn.kind == SVM_INSN_MOV_TO_CR && insn.cr == cr)
            value = svm_read_gpr(sv, insn.gpr);
        else if (insn.kind == SVM_INSN_CLTS && cr == 0)
            value = vmcb->cr0 & ~X86_CR0_TS;
        else if (insn.kind == SVM_INSN_LMSW && cr == 0) /* cannot clear PE */
            value = (vmcb->cr0 & ~(X86_CR0_LMSW_BITS & ~X86_CR0_PE)) |
                    (svm_read_gpr(sv, insn.gpr) & X86_CR0_LMSW_BITS);
        else
            return svm_decode_failed(v, vmcb, "not a control register write");
    }
    if (!long_mode)
        value = (uint32_t)value;

    /* The long-mode rules of MOV CR0 that involve EFER, which is ours: no
     * paging off in 64-bit code, no paging on with LME but without PAE. */
    if (cr == 0 && ((long_mode && !(value & X86_CR0_PG)) ||
                    ((value & X86_CR0_PG) && !(vmcb->cr0 & X86_CR0_PG) && (sv->efer & EFER_LME) &&
                     !(vmcb->cr4 & X86_CR4_PAE)))) {
        svm_inject_exception(v, HVM_EXC_GP, true, 0);
        return HVM_RETRY;
    }

    enum hvm_result result;
    if (cr == 8) { /* the vLAPIC's TPR; bits 63:4 are reserved */
        if (value & ~X86_CR8_TPR_MASK) {
            svm_inject_exception(v, HVM_EXC_GP, true, 0);
            return HVM_RETRY;
        }
        hvm_vcpu_lapic_set_cr8(v, value);
        svm_sync_vtpr(sv);
        result = HVM_ADVANCE;
    } else {
        result = hvm_handle_cr_write(v, cr, value, svm_apply_cr);
    }
    if (result != HVM_ADVANCE)
        return result;
    if (svm_features.nrips && vmcb->next_rip)
        svm_set_rip(vmcb, vmcb->next_rip);
    else if (insn.length)
        svm_set_rip(vmcb, svm_rip_after(vmcb, insn.length));
    else
        return svm_complete(v, vmcb, result, SVM_INSN_MOV_TO_CR);
    return result;
}

/* EFER as the guest sees it: SCE, LME, LMA, NXE; SVME stays ours. */
static enum hvm_result svm_wrmsr_efer(struct vcpu *v, struct svm_vcpu *sv, uint64_t value)
{
    struct vmcb *vmcb = sv->vmcb;
    uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA | (svm_features.nx ? EFER_NXE : 0);
    if ((value & ~allowed) || (((value ^ sv->efer) & EFER_LME) && (vmcb->cr0 & X86_CR0_PG))) {
        svm_inject_exception(v, HVM_EXC_GP, true, 0);
        return HVM_RETRY;
    }
    sv->efer = (value & ~EFER_LMA) | (sv->efer & EFER_LMA); /* LMA is read-only */
    vmcb->efer = sv->efer | EFER_SVME;
    sv->vmcb_dirty |= SVM_CLEAN_CRX;
    return HVM_ADVANCE;
}

static enum hvm_result svm_exit_msr(struct vcpu *v, struct vmcb *vmcb)
{
    struct svm_vcpu *sv = svm_vcpu_of(v);
    struct hvm_gprs *g = &sv->arch.gprs;
    uint32_t msr = (uint32_t)g->rcx;
    bool write = vmcb->exit_info1 & SVM_EXITINFO1_MSR_WRITE;
    enum hvm_result result;

    if (msr == MSR_EFER) {
        if (write) {
            result = svm_wrmsr_efer(v, sv, (g->rdx << 32) | (uint32_t)g->rax);
        } else {
            g->rax = (uint32_t)sv->efer;
            g->rdx = sv->efer >> 32;
            result = HVM_ADVANCE;
        }
    } else if (write) {
        result = hvm_handle_wrmsr(v);
        if (msr == MSR_PAT && result == HVM_ADVANCE) {
            vmcb->g_pat = *hvm_vcpu_pat(v); /* with NPT the CPU uses the VMCB's */
            sv->vmcb_dirty |= SVM_CLEAN_NP;
        } else if (msr == VLAPIC_MSR_TPR && result == HVM_ADVANCE) {
            svm_sync_vtpr(sv); /* CR8 reads see V_TPR */
        }
    } else {
        result = hvm_handle_rdmsr(v);
    }
    return svm_complete(v, vmcb, result, write ? SVM_INSN_WRMSR : SVM_INSN_RDMSR);
}

/* ---- Other exits ------------------------------------------------------------------------ */

static enum hvm_result svm_exit_io(struct vcpu *v, struct vmcb *vmcb)
{
    uint64_t info = vmcb->exit_info1;
    if (info & (SVM_IOIO_STRING | SVM_IOIO_REP))
        return hvm_handle_fatal(v, "string I/O");
    unsigned int size = (info & SVM_IOIO_SIZE8) ? 1 : (info & SVM_IOIO_SIZE16) ? 2 : 4;
    uint16_t port = (uint16_t)((info >> SVM_IOIO_PORT_SHIFT) & SVM_IOIO_PORT_MASK);
    enum hvm_result result = hvm_handle_io(v, port, size, info & SVM_IOIO_IN);
    if (result == HVM_ADVANCE)
        svm_set_rip(vmcb, vmcb->exit_info2); /* the next RIP, with or without NRIPS */
    return result;
}

/* #UD in the guest: an Intel-style hypercall (vmcall) is one; anything else
 * goes back to the guest. */
static enum hvm_result svm_exit_invalid_opcode(struct vcpu *v, struct vmcb *vmcb)
{
    struct svm_insn insn;
    if (svm_insn_read(v, vmcb, &insn) && insn.kind == SVM_INSN_VMCALL) {
        enum hvm_result result = hvm_handle_hypercall(v);
        if (result == HVM_ADVANCE)
            svm_set_rip(vmcb, svm_rip_after(vmcb, insn.length));
        return result;
    }
    svm_inject_exception(v, HVM_EXC_UD, false, 0);
    return HVM_RETRY;
}

/* A #DF the guest's IDT cannot deliver is a triple fault. We intercept #DF
 * only to see that: some emulators (Bochs 2.7) stop the whole machine on a
 * guest triple fault instead of exiting with SHUTDOWN. A #DF with a usable
 * gate goes back to the guest. */
static enum hvm_result svm_exit_double_fault(struct vcpu *v, struct vmcb *vmcb)
{
    bool long_mode = vmcb->efer & EFER_LMA;
    unsigned int gate_bytes = long_mode ? X86_GATE_BYTES_64 : X86_GATE_BYTES_32;
    uint64_t offset = (uint64_t)X86_VECTOR_DOUBLE_FAULT * gate_bytes;
    uint8_t gate[X86_GATE_BYTES_64];
    uint64_t base = long_mode ? vmcb->idtr.base : (uint32_t)vmcb->idtr.base;
    if (vmcb->idtr.limit < offset + gate_bytes - 1 ||
        arch_copy_from_guest(v, gate, base + offset, gate_bytes) ||
        !(gate[X86_GATE_ACCESS_BYTE] & X86_GATE_PRESENT))
        return hvm_handle_fatal(v, "triple fault");
    svm_inject_exception(v, X86_VECTOR_DOUBLE_FAULT, true, 0);
    return HVM_RETRY;
}

/* An event the exit interrupted is delivered again on the next VMRUN. */
static void svm_reinject_interrupted_event(struct vmcb *vmcb)
{
    uint64_t info = vmcb->exit_int_info;
    uint64_t type = info & SVM_EVENT_TYPE_MASK;
    unsigned int vector = (unsigned int)(info & SVM_EVENT_VECTOR_MASK);
    if (type == SVM_EVENT_TYPE_SOFT_INT)
        return; /* INT n runs again */
    if (type == SVM_EVENT_TYPE_EXCEPTION && (vector == X86_VECTOR_BP || vector == X86_VECTOR_OF))
        return; /* INT3, INTO run again */
    vmcb->event_inject = info;
}

static enum hvm_result svm_exit_unhandled(struct vcpu *v, const struct vmcb *vmcb)
{
    char message[96];
    snprintf(message, sizeof(message), "unhandled #VMEXIT 0x%llx (info 0x%llx 0x%llx)",
             (unsigned long long)vmcb->exit_code, (unsigned long long)vmcb->exit_info1,
             (unsigned long long)vmcb->exit_info2);
    return hvm_handle_fatal(v, message);
}

/* Decodes the exit and calls its handler; *next is set to SVM_NEXT_RECHECK
 * for the exits after which the run loop's checks must run (see the top of
 * this file). */
static enum hvm_result svm_dispatch(struct vcpu *v, struct vmcb *vmcb, enum svm_next *next)
{
    switch (vmcb->exit_code) {
    case SVM_EXIT_VMMCALL: {
        enum hvm_result result = hvm_handle_hypercall(v);
        if (v->arch->hypercall_changed_state)
            *next = SVM_NEXT_RECHECK;
        return svm_complete(v, vmcb, result, SVM_INSN_VMMCALL);
    }
    case SVM_EXIT_INTR:
    case SVM_EXIT_NMI:
        /* Still pending (IF was clear at STGI): let the host's IDT take it. */
        __asm__ volatile("sti; nop; cli" ::: "memory");
        *next = SVM_NEXT_RECHECK;
        return HVM_RETRY;
    case SVM_EXIT_VINTR:
        /* The interrupt window opened: the run loop delivers the upcall. */
        hvm_interrupt_window_exit(v);
        *next = SVM_NEXT_RECHECK;
        return HVM_RETRY;
    case SVM_EXIT_CPUID:
        return svm_complete(v, vmcb, hvm_handle_cpuid(v), SVM_INSN_CPUID);
    case SVM_EXIT_MSR:
        /* A vLAPIC write may make an interrupt deliverable (EOI, TPR, ICR,
         * timer): re-check before the next entry. */
        if ((vmcb->exit_info1 & SVM_EXITINFO1_MSR_WRITE) &&
            hvm_msr_is_lapic((uint32_t)v->arch->gprs.rcx))
            *next = SVM_NEXT_RECHECK;
        return svm_exit_msr(v, vmcb);
    case SVM_EXIT_IOIO:
        return svm_exit_io(v, vmcb);
    case SVM_EXIT_HLT:
        *next = SVM_NEXT_RECHECK;
        return svm_complete(v, vmcb, hvm_handle_hlt(v), SVM_INSN_HLT);
    case SVM_EXIT_XSETBV:
        return svm_complete(v, vmcb, hvm_handle_xsetbv(v), SVM_INSN_XSETBV);
    case SVM_EXIT_CR0_WRITE:
        return svm_exit_cr_write(v, vmcb, 0);
    case SVM_EXIT_CR4_WRITE:
        return svm_exit_cr_write(v, vmcb, 4);
    case SVM_EXIT_CR8_WRITE:
        *next = SVM_NEXT_RECHECK; /* a lower TPR may unmask a vLAPIC vector */
        return svm_exit_cr_write(v, vmcb, 8);
    case SVM_EXIT_IRET:
        /* The guest leaves its NMI handler: NMIs are unblocked once this
         * IRET retires; the shadow keeps the next NMI out until then. */
        vmcb->intercept_misc1 &= ~SVM_INTERCEPT1_IRET;
        vmcb->interrupt_state |= SVM_INTERRUPT_SHADOW;
        svm_vcpu_of(v)->vmcb_dirty |= SVM_CLEAN_INTERCEPTS;
        *next = SVM_NEXT_RECHECK;
        return HVM_RETRY;
    case SVM_EXIT_EXCEPTION(HVM_EXC_UD):
        *next = SVM_NEXT_RECHECK; /* may be a hypercall */
        return svm_exit_invalid_opcode(v, vmcb);
    case SVM_EXIT_EXCEPTION(X86_VECTOR_DOUBLE_FAULT):
        return svm_exit_double_fault(v, vmcb);
    case SVM_EXIT_NPF: {
        uint64_t info = vmcb->exit_info1;
        enum hvm_result result =
            hvm_handle_p2m_fault(v, vmcb->exit_info2, info & SVM_NPF_WRITE, info & SVM_NPF_FETCH);
        *next = SVM_NEXT_RECHECK;
        return result == HVM_ADVANCE ? HVM_RETRY : result; /* the access runs again */
    }
    case SVM_EXIT_INVD:
        /* Caches are coherent with everything a guest can reach: a no-op. */
        return svm_complete(v, vmcb, HVM_ADVANCE, SVM_INSN_INVD);
    case SVM_EXIT_VMRUN:
    case SVM_EXIT_VMLOAD:
    case SVM_EXIT_VMSAVE:
    case SVM_EXIT_STGI:
    case SVM_EXIT_CLGI:
    case SVM_EXIT_SKINIT:
    case SVM_EXIT_INVLPGA:
    case SVM_EXIT_MONITOR:
    case SVM_EXIT_MWAIT:
    case SVM_EXIT_MWAIT_ARMED:
        /* Not offered: what a CPU without SVM or MONITOR does. */
        svm_inject_exception(v, HVM_EXC_UD, false, 0);
        return HVM_RETRY;
    case SVM_EXIT_SHUTDOWN:
        return hvm_handle_fatal(v, "triple fault");
    case SVM_EXIT_INVALID:
        return hvm_handle_fatal(v, "VMRUN refused the guest state (#VMEXIT invalid)");
    default:
        return svm_exit_unhandled(v, vmcb);
    }
}

/* The general way out of an exit: what svm_prepare_entry() would change
 * decides between re-entering at once and going through the run loop. */
static bool svm_exit_finish(struct svm_vcpu *sv, enum hvm_result result, enum svm_next next)
{
    struct vmcb *vmcb = sv->vmcb;
    if (result == HVM_STOP) {
        sv->next = SVM_NEXT_STOP;
        return false;
    }
    /* Straight back in only when svm_prepare_entry() would change nothing:
     * same CPU, same ASID, nothing to flush, no VMCB group dirtied, the p2m
     * generation already flushed for. */
    if (next == SVM_NEXT_ENTER && !sv->vmcb_dirty &&
        __atomic_load_n(&sv->sd->p2m_generation, __ATOMIC_ACQUIRE) == sv->p2m_seen) {
        vmcb->tlb_control = SVM_TLB_NOTHING; /* a flush asked at the last entry is done */
        vmcb->clean = svm_resume_clean;
        vmcb->rax = sv->arch.gprs.rax;
        return true;
    }
    sv->next = SVM_NEXT_RECHECK;
    return false;
}

bool svm_exit_general(struct svm_vcpu *sv)
{
    struct vmcb *vmcb = sv->vmcb;
    enum svm_next next = SVM_NEXT_ENTER;
    if (__builtin_expect(vmcb->exit_int_info & SVM_EVENT_VALID, 0))
        svm_reinject_interrupted_event(vmcb);
    enum hvm_result result = svm_dispatch(sv->arch.vcpu, vmcb, &next);
    return svm_exit_finish(sv, result, next);
}

/* The hot exits when the CPU saved the next RIP: a hypercall, CPUID, RDMSR.
 * What else may follow them (a decode, a fault, the run loop). */
static __attribute__((noinline)) int svm_exit_hot_finish(struct svm_vcpu *sv,
                                                         enum hvm_result result)
{
    struct vmcb *vmcb = sv->vmcb;
    struct vcpu *v = sv->arch.vcpu;
    enum svm_next next = SVM_NEXT_ENTER;
    enum svm_insn_kind kind = SVM_INSN_RDMSR;
    if (vmcb->exit_code == SVM_EXIT_VMMCALL) {
        kind = SVM_INSN_VMMCALL;
        if (sv->arch.hypercall_changed_state)
            next = SVM_NEXT_RECHECK;
    } else if (vmcb->exit_code == SVM_EXIT_CPUID) {
        kind = SVM_INSN_CPUID;
    }
    result = svm_complete(v, vmcb, result, kind);
    return svm_exit_finish(sv, result, next) ? SVM_EXIT_RESUME : SVM_EXIT_TO_RUN_LOOP;
}

/* The hot path: a hypercall, CPUID and RDMSR, with no event cut short by
 * the exit. Their handlers only compute an answer into the GPRs (see the top
 * of this file), so unless a hypercall says it changed something, none of
 * the run loop's checks can have changed; vmcb_dirty is looked at anyway,
 * being one compare. Anything unusual goes to svm_exit_hot_finish(). */
int svm_exit_hot(struct svm_vcpu *sv)
{
    struct vmcb *vmcb = sv->vmcb;
    enum hvm_result result;

    sv->arch.gprs.rax = vmcb->rax;
    if (__builtin_expect(vmcb->exit_int_info & SVM_EVENT_VALID, 0))
        return SVM_EXIT_GENERAL;
    uint64_t code = vmcb->exit_code;
    if (code == SVM_EXIT_VMMCALL) {
        bool long_mode =
            __builtin_expect((vmcb->cs.attrib & VMCB_ATTR_L) && (vmcb->efer & EFER_LMA), 1);
        result = hvm_handle_hypercall_in_mode(sv->arch.vcpu, vmcb->cpl, long_mode);
        if (__builtin_expect(sv->arch.hypercall_changed_state, 0))
            return svm_exit_hot_finish(sv, result);
    } else if (code == SVM_EXIT_CPUID) {
        result = hvm_handle_cpuid(sv->arch.vcpu);
    } else if (code == SVM_EXIT_MSR && !(vmcb->exit_info1 & SVM_EXITINFO1_MSR_WRITE) &&
               (uint32_t)sv->arch.gprs.rcx != MSR_EFER) {
        result = hvm_handle_rdmsr(sv->arch.vcpu);
    } else {
        return SVM_EXIT_GENERAL;
    }
    /* The handler may have queued an exception (not HVM_ADVANCE); the CPU may
     * not have saved the next RIP (no NRIPS: SVM_DIRTY_NO_NRIPS is set, and
     * svm_complete() decodes). The VMCB pointer is
     * read again rather than kept across the call: one load instead of a
     * register to save and restore. */
    vmcb = sv->vmcb;
    uint64_t next_rip = vmcb->next_rip;
    if (__builtin_expect(result != HVM_ADVANCE || !next_rip || sv->vmcb_dirty, 0))
        return svm_exit_hot_finish(sv, result);
    svm_set_rip(vmcb, next_rip);
    vmcb->tlb_control = SVM_TLB_NOTHING; /* a flush asked at the last entry is done */
    vmcb->clean = svm_resume_clean;
    vmcb->rax = sv->arch.gprs.rax;
    return SVM_EXIT_RESUME;
}
