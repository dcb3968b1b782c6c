# Programs with known region/token/work marks, for the energy and statistics tests (tests/energy/).
add_firmware(NAME regions       SOURCES regions.c)
add_firmware(NAME regions_bad   SOURCES regions_bad.c)
add_firmware(NAME idle_wfi      SOURCES idle_wfi.c)
