/* Policy helpers shared inside arch/x86/hvm/. */
#ifndef XENCORE_X86_HVM_POLICY_H
#define XENCORE_X86_HVM_POLICY_H

#include <stdint.h>

#include "x86/hvm.h"
#include "x86/insn.h"

/* The CPUID a vCPU sees for (leaf, subleaf). */
void hvm_cpuid_policy(struct vcpu *v, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);
/* XCR0 bits a guest may set (host-supported x87, SSE, AVX, AVX-512). */
uint64_t hvm_guest_xcr0_allowed(void);
/* Bytes of a standard-format XSAVE image of all of those (CPUID 0xD.0 ECX
 * for guests; hvm/vcpu_state.c, which sizes each vCPU's image by it). */
uint32_t hvm_guest_xsave_bytes(void);
/* CR4 bits a guest may set (host-supported, minus those we keep). */
uint64_t hvm_cr4_allowed(void);

#endif /* XENCORE_X86_HVM_POLICY_H */
