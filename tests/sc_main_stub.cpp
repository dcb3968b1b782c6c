// Linked into every test binary: libsystemc's own main() references sc_main, and test binaries that
// pull in SystemC-facing code (sim::read_soc_spec, models/) never start SystemC themselves: GoogleTest's
// main runs them.
extern "C" int sc_main(int, char**) { return 0; }
