# bench_cim: 256x256 INT8 and INT4 matrix-vector products on the MRAM CIM macros and on the core
# (scalar, Xmac). Run with configs/mcu-cim.yaml (6 macros, Xmac); see bench_cim.c.
add_firmware(NAME bench_cim SOURCES bench_cim.c ../../runtime/cim.c)
