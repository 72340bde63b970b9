/* The board of the minimal appliance: a PC with its console on COM1 at
 * 115200 baud. Its boot configuration is one word: "poweroff", so the image
 * brings up every CPU, reports, and switches the machine off. A real
 * appliance would name its domains here instead (see xencore/xencore.h for
 * the options). */
#include <xencore/board.h>

const struct xencore_board xencore_board = {
    .name = "minimal-appliance",
    .console = { .uart_port = 0x3f8, .baud = 115200 }, /* COM1 */
    .default_cmdline = "poweroff",
};
