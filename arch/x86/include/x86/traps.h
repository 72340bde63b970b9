/* Exception and interrupt vectors, and the frame trap_entry.S builds. */
#ifndef XENCORE_X86_TRAPS_H
#define XENCORE_X86_TRAPS_H

#include <stdbool.h>
#include <stdint.h>

#define X86_VECTOR_NMI 2
#define X86_VECTOR_DOUBLE_FAULT 8
#define X86_VECTOR_PAGE_FAULT 14
#define X86_VECTOR_MACHINE_CHECK 18
#define X86_EXCEPTION_COUNT 32

/* Interrupt vectors the hypervisor itself uses: high, above any guest's. */
#define X86_VECTOR_TIMER 0xf0
#define X86_VECTOR_IPI 0xf1
#define X86_VECTOR_SPURIOUS 0xff

struct x86_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void x86_trap_dispatch(struct x86_trap_frame *frame);
bool x86_has_nx(void);

#endif /* XENCORE_X86_TRAPS_H */
