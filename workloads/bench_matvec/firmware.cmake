# bench_matvec: 256x256 INT8 / INT4 matrix-vector products, scalar C against Xmac (see README).
# Needs a core with Xmac (core.isa ..._xmac); without it the program prints a message and exits 2.
add_firmware(NAME bench_matvec SOURCES bench_matvec.c xmac_inner8.S)
