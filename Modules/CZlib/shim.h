// The only header in bootcanary that names zlib's C API. `Sources/CanaryReport/Gzip.swift`
// is the only Swift that imports this module.
#ifndef BOOTCANARY_CZLIB_SHIM_H
#define BOOTCANARY_CZLIB_SHIM_H

#include <zlib.h>

// deflateInit2() is a macro (it passes ZLIB_VERSION and sizeof(z_stream) to deflateInit2_),
// which Swift cannot import; this is the same call, in C.
static inline int CZlib_deflate_init_gzip(z_streamp stream, int level) {
    // windowBits 15 + 16: a 32 KiB window, written with a gzip (RFC 1952) header and trailer.
    // memLevel 8 and the default strategy are what gzip(1) itself uses.
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
