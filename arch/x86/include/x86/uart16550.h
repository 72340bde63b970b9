/* The console UART, beyond the arch contract. */
#ifndef XENCORE_X86_UART16550_H
#define XENCORE_X86_UART16550_H

/* Waits until every byte written has left the UART (before power-off or reset,
 * or the last line never reaches the other end). */
void uart_drain(void);

#endif /* XENCORE_X86_UART16550_H */
