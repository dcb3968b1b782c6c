// sweep.cpp validates axis paths with sim::read_soc_spec (sim/soc.cpp), which pulls in libsystemc;
// libsystemc references sc_main. These tests never start SystemC: GoogleTest's main runs them.
extern "C" int sc_main(int, char**) { return 0; }
