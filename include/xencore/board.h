/**
 * @file board.h
 * @brief The board-port contract: what an OEM image tells the hypervisor.
 *
 * A board is described by plain data, not by callbacks: an image defines one
 * `const struct xencore_board` and passes it to xencore_start(). Everything
 * here has a safe default when zero, so a board names only what differs
 * from a PC.
 */
#ifndef XENCORE_BOARD_H
#define XENCORE_BOARD_H

#include <stdint.h>

/** @brief How the hypervisor console reaches a person. */
struct xencore_board_console {
    /** I/O port of a 16550-compatible UART; 0 means COM1 (0x3f8). */
    uint16_t uart_port;
    /** Line speed in bits per second; 0 means 115200. Must divide 115200. */
    uint32_t baud;
};

/** @brief Description of the board an image runs on. */
struct xencore_board {
    /** Board name shown in the boot banner, NUL-terminated; NULL means "unnamed". */
    const char *name;
    /** The console UART. */
    struct xencore_board_console console;
    /**
     * Options applied before the loader's command line, in the same syntax
     * (see xencore_start()); the loader's options win where both name one.
     * NULL means none.
     */
    const char *default_cmdline;
};

#endif /* XENCORE_BOARD_H */
