# cim_check: the CIM driver end to end (run with configs/mcu-cim.yaml); see cim_check.c.
add_firmware(NAME cim_check SOURCES cim_check.c ../../runtime/cim.c)
