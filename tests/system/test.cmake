# test_system runs the host tools (mcucim-synth, tinyllm-host) beside the simulator.
add_dependencies(test_${name} mcucim-pack mcucim-synth tinyllm-host)
