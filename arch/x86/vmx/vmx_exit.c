/* VM exits: decoding each reason into a call of the vendor-neutral handler,
 * and acting on its answer.
 *
 * The hot path is an exit the guest asked for (VMCALL, CPUID, an MSR): one
 * VMREAD of the reason, the handler, and on HVM_ADVANCE three VMREADs and one
 * VMWRITE to step over the instruction. Fields an exit does not need are not
 * read. vmx_exit_handle() runs on the exit's own stack frame (vmx_entry.S)
 * and, when the guest may go on, lets the assembly VMRESUME at once.
 *
 * Whether the guest may go on is what the run loop would check: runnable, no
 * reschedule asked, EPT flushed. Those change only through a handler on this
 * CPU (a hypercall, HLT, a crash) or through another CPU, which then kicks
 * this one with an IPI; the IPI is a VM exit for an external interrupt, or
 * one right after the next entry if it arrived while interrupts were off
 * here. So the checks run after those exits only (VMX_NEXT_RECHECK), and a
 * CPUID or an MSR read goes straight back in. Interrupt delivery (NMI,
 * upcall, vLAPIC) is part of those checks (hvm_deliver_interrupts,
 * hvm/interrupts.c): something becomes pending only in the same ways, or by
 * a WRMSR to the vLAPIC or a MOV to CR8 (both re-check), plus the interrupt-
 * and NMI-window exits we ask for when the guest could not take it.
 *
 * Events in flight. An exit can interrupt the delivery of an event through
 * the guest's IDT (an EPT violation while pushing the frame, say). The CPU
 * then reports the event in the IDT-vectoring field and forgets it: unless we
 * queue it again for the next entry, the guest loses an exception or an
 * interrupt. We do so for the exits that can happen during delivery, unless
 * the handler queued an event of its own. */
#include "arch/arch.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "vmx_internal.h"
#include "x86/hvm.h"
#include "x86/regs.h"
#include "x86/vmx.h"

/* The VMX numbering of general registers (table 27-3) to struct hvm_gprs;
 * RSP lives in the VMCS (gpr_read/gpr_write), its slot here is unused. */
#define GPR_OFFSET(name) ((uint8_t) __builtin_offsetof(struct hvm_gprs, name))
static const uint8_t gpr_offsets[VMX_GPR_COUNT] = {
    [VMX_GPR_RAX] = GPR_OFFSET(rax), [VMX_GPR_RCX] = GPR_OFFSET(rcx),
    [VMX_GPR_RDX] = GPR_OFFSET(rdx), [VMX_GPR_RBX] = GPR_OFFSET(rbx),
    [VMX_GPR_RBP] = GPR_OFFSET(rbp), [VMX_GPR_RSI] = GPR_OFFSET(rsi),
    [VMX_GPR_RDI] = GPR_OFFSET(rdi), [VMX_GPR_R8] = GPR_OFFSET(r8),
    [VMX_GPR_R9] = GPR_OFFSET(r9),   [VMX_GPR_R10] = GPR_OFFSET(r10),
    [VMX_GPR_R11] = GPR_OFFSET(r11), [VMX_GPR_R12] = GPR_OFFSET(r12),
    [VMX_GPR_R13] = GPR_OFFSET(r13), [VMX_GPR_R14] = GPR_OFFSET(r14),
    [VMX_GPR_R15] = GPR_OFFSET(r15),
};

static uint64_t *gpr(struct vmx_vcpu *vx, unsigned int number)
{
    return (uint64_t *)((char *)&vx->arch.gprs + gpr_offsets[number & (VMX_GPR_COUNT - 1)]);
}

static uint64_t gpr_read(struct vmx_vcpu *vx, unsigned int number)
{
    return number == VMX_GPR_RSP ? vmread(VMCS_GUEST_RSP) : *gpr(vx, number);
}

static void gpr_write(struct vmx_vcpu *vx, unsigned int number, uint64_t value)
{
    if (number == VMX_GPR_RSP)
        vmwrite(VMCS_GUEST_RSP, value);
    else
        *gpr(vx, number) = value;
}

static bool guest_in_64bit_mode(void)
{
    return (vmread(VMCS_GUEST_IA32_EFER) & VMX_X86_EFER_LMA) &&
           (vmread(VMCS_GUEST_CS_ACCESS) & VMX_SEGMENT_LONG_MODE);
}

/* Steps over @length bytes, the instruction that exited. Blocking by STI or
 * MOV SS covers only the next instruction, which we just skipped (SDM
 * 26.3.1.5). */
static void advance_rip(uint64_t length)
{
    vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + length);
    uint64_t interruptibility = vmread(VMCS_GUEST_INTERRUPTIBILITY);
    if (interruptibility & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS))
        vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
                interruptibility &
                    ~(uint64_t)(VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS));
}

static enum hvm_result inject(struct vmx_vcpu *vx, uint8_t vector)
{
    hvm->inject_exception(vx->arch.vcpu, vector, vector == HVM_EXC_GP, 0);
    return HVM_RETRY;
}

/* Queues again an event whose delivery the exit interrupted (see above). */
static __attribute__((noinline)) void reinject_vectoring_event(void)
{
    uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
    if (!(info & VMX_INTERRUPTION_VALID))
        return;
    if (vmread(VMCS_ENTRY_INTERRUPTION_INFO) & VMX_INTERRUPTION_VALID)
        return; /* the handler chose an event of its own */
    unsigned int type = (info >> VMX_INTERRUPTION_TYPE_SHIFT) & VMX_INTERRUPTION_TYPE_MASK;
    if (info & VMX_INTERRUPTION_DELIVER_ERROR_CODE)
        vmwrite(VMCS_ENTRY_EXCEPTION_ERROR_CODE, vmread(VMCS_IDT_VECTORING_ERROR_CODE));
    if (type == VMX_INTERRUPTION_TYPE_SOFTWARE_INTERRUPT ||
        type == VMX_INTERRUPTION_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION ||
        type == VMX_INTERRUPTION_TYPE_SOFTWARE_EXCEPTION)
        vmwrite(VMCS_ENTRY_INSTRUCTION_LENGTH, vmread(VMCS_EXIT_INSTRUCTION_LENGTH));
    /* Bit 12 means "NMI unblocking" here and is reserved in the entry field. */
    vmwrite(VMCS_ENTRY_INTERRUPTION_INFO, info & ~VMX_INTERRUPTION_NMI_UNBLOCKING);
}

/* ---- Control registers and EFER -------------------------------------------- */

/* PAE paging without long mode takes its four PDPTEs from the VMCS at VM
 * entry, not from memory. When we change CR0/CR4 for the guest (rather than
 * the CPU doing it in guest mode) we load them as MOV to CR would. */
void vmx_load_pdptes(struct vmx_vcpu *vx)
{
    uint64_t cr0 = vmread(VMCS_GUEST_CR0), cr4 = vmread(VMCS_GUEST_CR4);
    if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) ||
        (vmread(VMCS_GUEST_IA32_EFER) & VMX_X86_EFER_LMA))
        return;
    uint64_t cr3 = vmread(VMCS_GUEST_CR3) & VMX_X86_PAE_CR3_MASK;
    uint64_t pdpte[VMX_X86_PDPTE_COUNT] = {0};
    int64_t mfn = vmx_p2m_lookup(vx->vd->domain, cr3 >> ARCH_PAGE_SHIFT);
    if (mfn >= 0) /* else all not-present: the guest faults on its own */
        memcpy(pdpte,
               (const char *)arch_phys_to_virt((uint64_t)mfn << ARCH_PAGE_SHIFT) +
                   (cr3 & (ARCH_PAGE_SIZE - 1)),
               sizeof(pdpte));
    vmwrite(VMCS_GUEST_PDPTE0, pdpte[0]);
    vmwrite(VMCS_GUEST_PDPTE1, pdpte[1]);
    vmwrite(VMCS_GUEST_PDPTE2, pdpte[2]);
    vmwrite(VMCS_GUEST_PDPTE3, pdpte[3]);
}

void vmx_cr_apply(struct vcpu *v, unsigned int cr, uint64_t value)
{
    struct vmx_vcpu *vx = vmx_vcpu_of(v);
    if (cr == 0) {
        vmwrite(VMCS_GUEST_CR0, (value | vmx_caps.guest_cr0_set) & vmx_caps.cr0_fixed1);
        vmwrite(VMCS_CR0_READ_SHADOW, value);
        /* Paging with EFER.LME activates long mode, without it leaves it:
         * what the CPU does for a MOV to CR0 it runs itself. */
        uint64_t efer = vmread(VMCS_GUEST_IA32_EFER);
        bool long_mode = (value & X86_CR0_PG) && (efer & EFER_LME);
        uint64_t new_efer = long_mode ? efer | VMX_X86_EFER_LMA : efer & ~VMX_X86_EFER_LMA;
        if (new_efer != efer)
            vmwrite(VMCS_GUEST_IA32_EFER, new_efer);
        vmx_set_guest_long_mode(vx, long_mode);
    } else {
        vmwrite(VMCS_GUEST_CR4, (value | vmx_caps.guest_cr4_set) & vmx_caps.cr4_fixed1);
        vmwrite(VMCS_CR4_READ_SHADOW, value);
    }
    vmx_load_pdptes(vx);
    vmx_add_work(vx, VMX_WORK_FLUSH_VPID); /* as MOV to CR0/CR4 flushes the TLB */
}

static uint64_t guest_cr0(void)
{
    return (vmread(VMCS_GUEST_CR0) & ~vmx_caps.guest_cr0_mask) |
           (vmread(VMCS_CR0_READ_SHADOW) & vmx_caps.guest_cr0_mask);
}

static __attribute__((noinline)) enum hvm_result cr_access(struct vmx_vcpu *vx)
{
    struct vcpu *v = vx->arch.vcpu;
    uint64_t qualification = vmread(VMCS_EXIT_QUALIFICATION);
    unsigned int cr = qualification & VMX_CR_QUAL_NUMBER_MASK;
    unsigned int access = (qualification >> VMX_CR_QUAL_ACCESS_SHIFT) & VMX_CR_QUAL_ACCESS_MASK;
    unsigned int reg = (qualification >> VMX_CR_QUAL_GPR_SHIFT) & VMX_CR_QUAL_GPR_MASK;

    switch (access) {
    case VMX_CR_ACCESS_MOV_TO_CR: {
        uint64_t value = gpr_read(vx, reg);
        if (!guest_in_64bit_mode())
            value = (uint32_t)value; /* 32-bit operand outside 64-bit mode */
        if (cr == 0 || cr == 4)
            return hvm_handle_cr_write(v, cr, value, vmx_cr_apply);
        if (cr == 8) { /* only without a TPR shadow: the vLAPIC's TPR */
            if (value & ~VMX_X86_CR8_MASK)
                return inject(vx, HVM_EXC_GP); /* reserved bits */
            hvm_vcpu_lapic_set_cr8(v, value);
            return HVM_ADVANCE;
        }
        if (cr == 3) { /* only if the CPU forces CR3-load exiting on */
            vmwrite(VMCS_GUEST_CR3, value);
            vmx_load_pdptes(vx);
            vmx_add_work(vx, VMX_WORK_FLUSH_VPID);
            return HVM_ADVANCE;
        }
        break;
    }
    case VMX_CR_ACCESS_MOV_FROM_CR:
        if (cr == 8) {
            gpr_write(vx, reg, hvm_vcpu_lapic_tpr(v) >> 4);
            return HVM_ADVANCE;
        }
        if (cr == 3) { /* only if the CPU forces CR3-store exiting on */
            uint64_t value = vmread(VMCS_GUEST_CR3);
            gpr_write(vx, reg, guest_in_64bit_mode() ? value : (uint32_t)value);
            return HVM_ADVANCE;
        }
        break;
    case VMX_CR_ACCESS_CLTS:
        return hvm_handle_cr_write(v, 0, guest_cr0() & ~VMX_X86_CR0_TS, vmx_cr_apply);
    case VMX_CR_ACCESS_LMSW: {
        /* LMSW writes PE, MP, EM and TS, and can set PE but not clear it. */
        uint64_t source =
            (qualification >> VMX_CR_QUAL_LMSW_DATA_SHIFT) & VMX_CR_QUAL_LMSW_DATA_MASK;
        uint64_t cr0 = guest_cr0();
        uint64_t value =
            (cr0 & ~(VMX_X86_CR0_PE_MP_EM_TS & ~X86_CR0_PE)) | (source & VMX_X86_CR0_PE_MP_EM_TS);
        return hvm_handle_cr_write(v, 0, value, vmx_cr_apply);
    }
    default:
        break;
    }
    char what[64];
    snprintf(what, sizeof(what), "unexpected control-register access 0x%llx",
             (unsigned long long)qualification);
    return hvm_handle_fatal(v, what);
}

/* EFER writes exit so that no bit the guest may not have reaches the CPU;
 * LMA is the CPU's to set (from LME and CR0.PG), a written LMA is ignored. */
static __attribute__((noinline)) enum hvm_result efer_write(struct vmx_vcpu *vx, uint64_t value)
{
    uint64_t allowed = EFER_SCE | EFER_LME | VMX_X86_EFER_LMA | (vmx_caps.nx ? EFER_NXE : 0);
    if (value & ~allowed)
        return inject(vx, HVM_EXC_GP);
    uint64_t current = vmread(VMCS_GUEST_IA32_EFER);
    if (((current ^ value) & EFER_LME) && (vmread(VMCS_GUEST_CR0) & X86_CR0_PG))
        return inject(vx, HVM_EXC_GP); /* LME cannot change while paging is on */
    vmwrite(VMCS_GUEST_IA32_EFER, (value & ~VMX_X86_EFER_LMA) | (current & VMX_X86_EFER_LMA));
    return HVM_ADVANCE;
}

static enum hvm_result wrmsr_exit(struct vmx_vcpu *vx)
{
    struct hvm_gprs *g = &vx->arch.gprs;
    uint32_t msr = (uint32_t)g->rcx;
    if (msr == MSR_EFER)
        return efer_write(vx, (g->rdx << 32) | (uint32_t)g->rax);
    enum hvm_result result = hvm_handle_wrmsr(vx->arch.vcpu);
    if (msr == VMX_MSR_PAT && result == HVM_ADVANCE && vmx_caps.load_pat)
        vmwrite(VMCS_GUEST_IA32_PAT, *hvm_vcpu_pat(vx->arch.vcpu)); /* accepted: now in force */
    return result;
}

/* ---- Other exits ------------------------------------------------------------- */

static __attribute__((noinline)) enum hvm_result io_exit(struct vmx_vcpu *vx)
{
    uint64_t qualification = vmread(VMCS_EXIT_QUALIFICATION);
    if (qualification & (VMX_IO_QUAL_STRING | VMX_IO_QUAL_REP))
        return hvm_handle_fatal(vx->arch.vcpu, "string I/O");
    unsigned int size = (unsigned int)(qualification & VMX_IO_QUAL_SIZE_MASK) + 1;
    uint16_t port = (uint16_t)((qualification >> VMX_IO_QUAL_PORT_SHIFT) & VMX_IO_QUAL_PORT_MASK);
    return hvm_handle_io(vx->arch.vcpu, port, size, (qualification & VMX_IO_QUAL_IN) != 0);
}

static __attribute__((noinline)) enum hvm_result ept_violation(struct vmx_vcpu *vx)
{
    uint64_t qualification = vmread(VMCS_EXIT_QUALIFICATION);
    uint64_t gpa = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);
    enum hvm_result result =
        hvm_handle_p2m_fault(vx->arch.vcpu, gpa, (qualification & VMX_EPT_QUAL_WRITE) != 0,
                             (qualification & VMX_EPT_QUAL_FETCH) != 0);
    if (result == HVM_STOP)
        return result;
    /* An IRET that faulted has not unblocked NMIs after all (SDM 27.2.3). */
    if (vmx_caps.virtual_nmis && (qualification & VMX_EPT_QUAL_NMI_UNBLOCKING) &&
        !(vmread(VMCS_IDT_VECTORING_INFO) & VMX_INTERRUPTION_VALID))
        vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
                vmread(VMCS_GUEST_INTERRUPTIBILITY) | VMX_INTERRUPTIBILITY_NMI);
    reinject_vectoring_event();
    /* There is no instruction length to step over a faulting access: the
     * instruction runs again (now mapped) or takes the queued exception. */
    return HVM_RETRY;
}

/* #UD is intercepted for one reason: AMD's VMMCALL raises it on Intel, and
 * the guest ABI accepts both hypercall instructions on both vendors (recent
 * Linux picks one by CPUID vendor). Any other #UD goes back to the guest. */
static __attribute__((noinline)) enum hvm_result invalid_opcode(struct vmx_vcpu *vx, uint64_t *skip)
{
    static const uint8_t vmmcall[VMX_HYPERCALL_INSN_BYTES] = VMX_VMMCALL_BYTES;
    uint8_t insn[VMX_HYPERCALL_INSN_BYTES];
    uint64_t linear = vmread(VMCS_GUEST_RIP);
    if (!guest_in_64bit_mode())
        linear = (uint32_t)(linear + vmread(VMCS_GUEST_CS_BASE));
    if (arch_copy_from_guest(vx->arch.vcpu, insn, linear, sizeof(insn)) == 0 &&
        memcmp(insn, vmmcall, sizeof(insn)) == 0) {
        *skip = sizeof(insn);
        return hvm_handle_hypercall(vx->arch.vcpu);
    }
    return inject(vx, HVM_EXC_UD);
}

/* An NMI meant for the host arrived in guest mode: hand it to the host's
 * handler as if it had arrived here (NMI exiting keeps it from the guest). */
static __attribute__((noinline)) enum hvm_result exception_or_nmi(struct vmx_vcpu *vx,
                                                                  uint64_t *skip)
{
    uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTERRUPTION_INFO);
    unsigned int type = (info >> VMX_INTERRUPTION_TYPE_SHIFT) & VMX_INTERRUPTION_TYPE_MASK;
    unsigned int vector = info & VMX_INTERRUPTION_VECTOR_MASK;
    if (type == VMX_INTERRUPTION_TYPE_NMI) {
        __asm__ volatile("int %0" ::"i"(VMX_X86_VECTOR_NMI) : "memory");
        reinject_vectoring_event();
        return HVM_RETRY;
    }
    if (type == VMX_INTERRUPTION_TYPE_HARDWARE_EXCEPTION && vector == HVM_EXC_UD)
        return invalid_opcode(vx, skip);
    char what[64];
    snprintf(what, sizeof(what), "unexpected exception %u in guest", vector);
    return hvm_handle_fatal(vx->arch.vcpu, what);
}

static __attribute__((noinline)) enum hvm_result entry_failure(struct vmx_vcpu *vx, uint32_t reason)
{
    static const char *const kinds[] = {
        [VMX_EXIT_REASON_INVALID_GUEST_STATE] = "invalid guest state",
        [VMX_EXIT_REASON_MSR_LOADING] = "MSR loading",
        [VMX_EXIT_REASON_MACHINE_CHECK] = "machine check",
    };
    unsigned int basic = reason & VMX_EXIT_REASON_BASIC_MASK;
    const char *kind =
        basic < sizeof(kinds) / sizeof(kinds[0]) && kinds[basic] ? kinds[basic] : "unknown";
    char what[96];
    snprintf(what, sizeof(what), "VM entry failed: %s (reason %u, qualification 0x%llx)", kind,
             basic, (unsigned long long)vmread(VMCS_EXIT_QUALIFICATION));
    return hvm_handle_fatal(vx->arch.vcpu, what);
}

/* Without IA32_VMX_MISC bit 5 (only CPUs without unrestricted guest, which we
 * refuse, lack it) the CPU leaves "IA-32e mode guest" alone when the guest
 * turns paging on or off itself: keep it equal to EFER.LMA by hand. */
static __attribute__((noinline)) void sync_long_mode(struct vmx_vcpu *vx)
{
    bool long_mode = (vmread(VMCS_GUEST_IA32_EFER) & VMX_X86_EFER_LMA) != 0;
    if (long_mode != ((vx->entry_controls & VMX_ENTRY_CTL_IA32E_MODE_GUEST) != 0))
        vmx_set_guest_long_mode(vx, long_mode);
}

/* Exits that need a message built (kept out of the hot function's frame). */
static enum hvm_result __attribute__((noinline, cold))
fatal_exit(struct vmx_vcpu *vx, uint32_t reason)
{
    struct vcpu *v = vx->arch.vcpu;
    char what[80];
    if (reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
        vx->arch.launched = false; /* a failed VMLAUNCH leaves the VMCS clear */
        return entry_failure(vx, reason);
    }
    switch (reason) {
    case VMX_EXIT_REASON_TRIPLE_FAULT:
        return hvm_handle_fatal(v, "triple fault");
    case VMX_EXIT_REASON_EPT_MISCONFIGURATION:
        snprintf(what, sizeof(what), "EPT misconfiguration at guest-physical 0x%llx",
                 (unsigned long long)vmread(VMCS_GUEST_PHYSICAL_ADDRESS));
        return hvm_handle_fatal(v, what);
    default:
        snprintf(what, sizeof(what), "unhandled VM exit %u", reason & VMX_EXIT_REASON_BASIC_MASK);
        return hvm_handle_fatal(v, what);
    }
}

static inline enum vmx_next handle_exit(struct vmx_vcpu *vx)
{
    struct vcpu *v = vx->arch.vcpu;
    uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
    enum hvm_result result;
    enum vmx_next next = VMX_NEXT_ENTER;
    uint64_t skip = 0; /* bytes HVM_ADVANCE steps over; 0: the exiting instruction */

    if (!vmx_caps.stores_lma)
        sync_long_mode(vx);

    switch (reason) {
    /* Exits after which the loop re-checks: their handlers may block the
     * vCPU, shut the domain down or change its EPT. A hypercall says whether
     * it did. */
    case VMX_EXIT_REASON_VMCALL:
        result = hvm_handle_hypercall(v);
        if (vx->arch.hypercall_changed_state)
            next = VMX_NEXT_RECHECK;
        break;
    case VMX_EXIT_REASON_EXTERNAL_INTERRUPT:
        /* Not acknowledged on exit: it is still pending at the APIC, and
         * opening the interrupt window lets the host IDT take it. */
        __asm__ volatile("sti; nop; cli" ::: "memory");
        reinject_vectoring_event();
        return VMX_NEXT_RECHECK;
    case VMX_EXIT_REASON_INTERRUPT_WINDOW:
        /* The guest can take an interrupt now: the re-check delivers it. */
        hvm_interrupt_window_exit(v);
        return VMX_NEXT_RECHECK;
    case VMX_EXIT_REASON_NMI_WINDOW:
        hvm_nmi_window_exit(v);
        return VMX_NEXT_RECHECK;
    case VMX_EXIT_REASON_HLT:
        result = hvm_handle_hlt(v);
        next = VMX_NEXT_RECHECK;
        break;
    case VMX_EXIT_REASON_EPT_VIOLATION:
        result = ept_violation(vx);
        next = VMX_NEXT_RECHECK;
        break;
    case VMX_EXIT_REASON_EXCEPTION_OR_NMI:
        result = exception_or_nmi(vx, &skip); /* NMI, or VMMCALL: a hypercall */
        next = VMX_NEXT_RECHECK;
        break;

    /* Exits whose handlers only compute an answer for the guest. */
    case VMX_EXIT_REASON_CPUID:
        result = hvm_handle_cpuid(v);
        break;
    case VMX_EXIT_REASON_RDMSR:
        result = hvm_handle_rdmsr(v);
        break;
    case VMX_EXIT_REASON_WRMSR:
        result = wrmsr_exit(vx);
        if (hvm_msr_is_lapic((uint32_t)vx->arch.gprs.rcx))
            next = VMX_NEXT_RECHECK; /* EOI, TPR, ICR, timer: deliver what follows */
        break;
    case VMX_EXIT_REASON_XSETBV:
        result = hvm_handle_xsetbv(v);
        break;
    case VMX_EXIT_REASON_IO_INSTRUCTION:
        result = io_exit(vx);
        break;
    case VMX_EXIT_REASON_CR_ACCESS:
        result = cr_access(vx);
        next = VMX_NEXT_RECHECK; /* a MOV to CR8 may unmask a vLAPIC vector */
        break;
    case VMX_EXIT_REASON_INIT:
    case VMX_EXIT_REASON_SIPI:
        return VMX_NEXT_ENTER; /* nothing sends them to a CPU running guests: ignore */
    case VMX_EXIT_REASON_INVD:
    case VMX_EXIT_REASON_WBINVD:
        result = HVM_ADVANCE; /* the guest's caches are the host's: nothing to do */
        break;
    case VMX_EXIT_REASON_GETSEC:
    case VMX_EXIT_REASON_VMCLEAR:
    case VMX_EXIT_REASON_VMLAUNCH:
    case VMX_EXIT_REASON_VMPTRLD:
    case VMX_EXIT_REASON_VMPTRST:
    case VMX_EXIT_REASON_VMREAD:
    case VMX_EXIT_REASON_VMRESUME:
    case VMX_EXIT_REASON_VMWRITE:
    case VMX_EXIT_REASON_VMXOFF:
    case VMX_EXIT_REASON_VMXON:
    case VMX_EXIT_REASON_INVEPT:
    case VMX_EXIT_REASON_INVVPID:
    case VMX_EXIT_REASON_VMFUNC:
    case VMX_EXIT_REASON_MWAIT:
    case VMX_EXIT_REASON_MONITOR:
        result = inject(vx, HVM_EXC_UD); /* not offered to guests */
        break;
    case VMX_EXIT_REASON_RDPMC:
        result = inject(vx, HVM_EXC_GP); /* no counters offered */
        break;
    default:
        result = fatal_exit(vx, reason);
        break;
    }

    /* A handler that crashed the domain says HVM_STOP, whatever the exit. */
    switch (result) {
    case HVM_ADVANCE:
        advance_rip(skip ? skip : vmread(VMCS_EXIT_INSTRUCTION_LENGTH));
        return next;
    case HVM_RETRY:
        return next;
    case HVM_STOP:
    default:
        return VMX_NEXT_STOP;
    }
}

bool vmx_exit_handle(struct vmx_vcpu *vx)
{
    vx->arch.launched = true; /* undone by fatal_exit() if the entry failed */
    enum vmx_next next = handle_exit(vx);
    if (next == VMX_NEXT_RECHECK) {
        /* What the run loop would check (see vmx_vcpu_run). */
        if (!vcpu_runnable(vx->arch.vcpu) || core_cpu_should_reschedule()) {
            vx->next = VMX_NEXT_RECHECK;
            return false;
        }
        vmx_ept_sync(vx);
    } else if (next == VMX_NEXT_STOP) {
        vx->next = VMX_NEXT_STOP;
        return false;
    }
    if (__builtin_expect(vx->entry_work != 0, 0))
        vmx_do_entry_work(vx);
    if (next == VMX_NEXT_RECHECK)
        hvm_deliver_interrupts(vx->arch.vcpu);
    return true;
}
