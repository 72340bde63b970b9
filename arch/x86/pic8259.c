/* The legacy 8259 interrupt controllers: reprogrammed and silenced.
 *
 * Firmware leaves them routing the PIT to vector 8, which is #DF. Some
 * platforms (Bochs among them) wire the PIC's output to the CPU whatever the
 * local APIC's LINT0 mask says, so masking LINT0 is not enough: each PIC is
 * re-initialised onto vectors 0x20-0x2f, away from the exceptions, and every
 * line masked. Interrupts reach the hypervisor only through the local APIC. */
#include "x86/insn.h"
#include "x86/pic8259.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA 0x21
#define PIC2_COMMAND 0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11 /* edge-triggered, cascaded, ICW4 follows */
#define PIC_ICW4_8086 0x01
#define PIC1_VECTOR_BASE 0x20
#define PIC2_VECTOR_BASE 0x28
#define PIC1_CASCADE_LINE 0x04 /* PIC2 on line 2 of PIC1 */
#define PIC2_CASCADE_ID 0x02
#define PIC_MASK_ALL 0xff

void pic8259_disable(void)
{
    outb(PIC1_COMMAND, PIC_ICW1_INIT_ICW4);
    outb(PIC2_COMMAND, PIC_ICW1_INIT_ICW4);
    outb(PIC1_DATA, PIC1_VECTOR_BASE);
    outb(PIC2_DATA, PIC2_VECTOR_BASE);
    outb(PIC1_DATA, PIC1_CASCADE_LINE);
    outb(PIC2_DATA, PIC2_CASCADE_ID);
    outb(PIC1_DATA, PIC_ICW4_8086);
    outb(PIC2_DATA, PIC_ICW4_8086);
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
}
