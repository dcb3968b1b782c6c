# test_tinyllm links the host runtime and the tools library, and runs the host tools.
target_link_libraries(test_${name} PRIVATE tinyllm_tools mcucim_runtime)
add_dependencies(test_${name} mcucim-pack mcucim-synth tinyllm-host)
target_compile_definitions(test_${name} PRIVATE TINYLLM_TOOLS_DIR="$<TARGET_FILE_DIR:tinyllm-host>")
