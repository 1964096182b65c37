/* clsdata: what the C helpers of pipeline/native share (part of every helper's build hash). */
#ifndef CLSDATA_UNICODE_H
#define CLSDATA_UNICODE_H

#include <stdint.h>

static int is_space(uint32_t c) {  /* Python's str.isspace() for one code point */
    switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E: case 0x1F:
    case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
        return 1;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

#endif
