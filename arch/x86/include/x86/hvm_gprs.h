/* Where a guest's general registers are kept while it is out of guest mode:
 * struct hvm_gprs (x86/hvm.h), described here as byte offsets for the two
 * back ends' entry/exit assembly. One layout for both.
 *
 * The first five are the 64-bit hypercall arguments in ABI order (RDI, RSI,
 * RDX, R10, R8), so the hypercall path passes a pointer to them instead of
 * copying. */
#ifndef XENCORE_X86_HVM_GPRS_H
#define XENCORE_X86_HVM_GPRS_H

#define HVM_GPR_RDI 0
#define HVM_GPR_RSI 8
#define HVM_GPR_RDX 16
#define HVM_GPR_R10 24
#define HVM_GPR_R8 32
#define HVM_GPR_RAX 40
#define HVM_GPR_RBX 48
#define HVM_GPR_RCX 56
#define HVM_GPR_RBP 64
#define HVM_GPR_R9 72
#define HVM_GPR_R11 80
#define HVM_GPR_R12 88
#define HVM_GPR_R13 96
#define HVM_GPR_R14 104
#define HVM_GPR_R15 112
#define HVM_GPR_BYTES 120

#endif /* XENCORE_X86_HVM_GPRS_H */
