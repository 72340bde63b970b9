/* The console: a 16550-compatible UART driven by polling.
 *
 * Polling, not interrupts, because the console must work in every context,
 * a panic with interrupts off included. Each wait is bounded, so a board
 * without the UART it claims loses its output but never hangs. */
#include "arch/arch.h"
#include "x86/insn.h"
#include "x86/uart16550.h"

#define UART_DEFAULT_PORT 0x3f8
#define UART_DEFAULT_BAUD 115200
#define UART_CLOCK_DIVISOR_BASE 115200 /* 1.8432 MHz / 16 */

/* Register offsets from the base port. */
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define UART_LCR_8N1 0x03
#define UART_LCR_DLAB 0x80
#define UART_FCR_ENABLE_CLEAR 0x07 /* FIFO on, both FIFOs cleared */
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter completely empty */

#define UART_SPIN_LIMIT 1000000

static uint16_t uart_port;

void arch_console_init(const struct xencore_board_console *console)
{
    uint32_t baud = console->baud ? console->baud : UART_DEFAULT_BAUD;
    uint32_t divisor = UART_CLOCK_DIVISOR_BASE / baud;
    if (divisor == 0 || divisor > 0xffff || UART_CLOCK_DIVISOR_BASE % baud)
        divisor = 1; /* unusable speed: fall back to 115200 */

    uart_port = console->uart_port ? console->uart_port : UART_DEFAULT_PORT;
    outb(uart_port + UART_IER, 0);
    outb(uart_port + UART_LCR, UART_LCR_DLAB);
    outb(uart_port + UART_DLL, (uint8_t)divisor);
    outb(uart_port + UART_DLM, (uint8_t)(divisor >> 8));
    outb(uart_port + UART_LCR, UART_LCR_8N1);
    outb(uart_port + UART_FCR, UART_FCR_ENABLE_CLEAR);
    outb(uart_port + UART_MCR, UART_MCR_DTR_RTS);
}

static void uart_put(char c)
{
    for (unsigned int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(uart_port + UART_LSR) & UART_LSR_THRE)
            break;
    outb(uart_port + UART_THR, (uint8_t)c);
}

void arch_console_write(const char *text, size_t length)
{
    if (!uart_port)
        return;
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '\n')
            uart_put('\r');
        uart_put(text[i]);
    }
}

void uart_drain(void)
{
    if (!uart_port)
        return;
    for (unsigned int i = 0; i < UART_SPIN_LIMIT; i++)
        if ((inb(uart_port + UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT)) ==
            (UART_LSR_THRE | UART_LSR_TEMT))
            return;
}
