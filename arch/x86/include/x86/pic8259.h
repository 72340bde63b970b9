/* The legacy PICs, which the hypervisor keeps silent. */
#ifndef XENCORE_X86_PIC8259_H
#define XENCORE_X86_PIC8259_H

/* Moves both PICs off the exception vectors and masks every line. */
void pic8259_disable(void);

#endif /* XENCORE_X86_PIC8259_H */
