# test_kernels: the runtime's matvec backends on the host (links the host runtime library).
target_link_libraries(test_${name} PRIVATE mcucim_runtime)
