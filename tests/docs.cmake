# docs_warning_free (label `docs`): the API reference builds without a single
# Doxygen warning. doc/Doxyfile.in already has WARN_AS_ERROR=FAIL_ON_WARNINGS
# (doxygen exits non-zero after listing every warning); the regular
# expressions also catch a warning should that setting ever be dropped.
if(TARGET docs)
  add_test(NAME docs_warning_free
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target docs)
  set_tests_properties(docs_warning_free PROPERTIES
    LABELS docs
    FAIL_REGULAR_EXPRESSION "[Ww]arning:;[Ee]rror:"
    # It runs `cmake --build` on this build tree: never alongside another
    # test that does (oem_example_build).
    RESOURCE_LOCK xencore_build_tree
    TIMEOUT 300)
else()
  # No doxygen: the test is listed as "Not Run (Disabled)" rather than missing.
  add_test(NAME docs_warning_free COMMAND ${CMAKE_COMMAND} -E false)
  set_tests_properties(docs_warning_free PROPERTIES LABELS docs DISABLED TRUE)
  message(STATUS "doxygen not found: test docs_warning_free is disabled")
endif()
