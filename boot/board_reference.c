/* The board description of the reference image: a PC with its console on
 * COM1. An OEM image has its own file like this one. */
#include <xencore/board.h>

const struct xencore_board xencore_board = {
    .name = "reference-pc",
    .console = { .uart_port = 0x3f8, .baud = 115200 },
    .default_cmdline = 0, /* none */
};
