/* vector_state_regs: the vector-register moves vector_state.c needs. The
 * guests are compiled with -mgeneral-regs-only, so the compiler never uses
 * (or clobbers) a vector register on its own: whatever these put in the
 * registers stays there until the next of them, unless something outside
 * the guest changes it. Each takes one buffer in %rdi, unaligned access.
 *
 *   vregs_load_ymm / vregs_store_ymm     YMM0-15, 16 x 32 bytes
 *   vregs_load_zmm / vregs_store_zmm     ZMM0-31, 32 x 64 bytes (AVX-512F)
 *   vregs_load_k64 / vregs_store_k64     k0-7, 8 x 8 bytes (AVX-512BW)
 *   vregs_load_k16 / vregs_store_k16     k0-7, 8 x 2 bytes (AVX-512F only)
 *   vregs_load_mxcsr / vregs_store_mxcsr MXCSR, 4 bytes */
        .text

        .globl vregs_load_ymm
vregs_load_ymm:
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        vmovdqu \n*32(%rdi), %ymm\n
        .endr
        ret

        .globl vregs_store_ymm
vregs_store_ymm:
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        vmovdqu %ymm\n, \n*32(%rdi)
        .endr
        ret

        .globl vregs_load_zmm
vregs_load_zmm:
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        vmovdqu64 \n*64(%rdi), %zmm\n
        .endr
        ret

        .globl vregs_store_zmm
vregs_store_zmm:
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        vmovdqu64 %zmm\n, \n*64(%rdi)
        .endr
        ret

        .globl vregs_load_k64
vregs_load_k64:
        .irp    n, 0,1,2,3,4,5,6,7
        kmovq   \n*8(%rdi), %k\n
        .endr
        ret

        .globl vregs_store_k64
vregs_store_k64:
        .irp    n, 0,1,2,3,4,5,6,7
        kmovq   %k\n, \n*8(%rdi)
        .endr
        ret

        .globl vregs_load_k16
vregs_load_k16:
        .irp    n, 0,1,2,3,4,5,6,7
        kmovw   \n*2(%rdi), %k\n
        .endr
        ret

        .globl vregs_store_k16
vregs_store_k16:
        .irp    n, 0,1,2,3,4,5,6,7
        kmovw   %k\n, \n*2(%rdi)
        .endr
        ret

        .globl vregs_load_mxcsr
vregs_load_mxcsr:
        ldmxcsr (%rdi)
        ret

        .globl vregs_store_mxcsr
vregs_store_mxcsr:
        stmxcsr (%rdi)
        ret

        .section .note.GNU-stack, "", @progbits
