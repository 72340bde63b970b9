# The OEM example built against the *installed* kit (label `oem`).
#
# oem_example_build installs the kit into ${CMAKE_BINARY_DIR}/oem-stage and
# builds oem-examples/minimal-appliance from it, with CMake into
# ${CMAKE_BINARY_DIR}/oem-example-cmake (minimal-appliance.elf and .iso) and
# with pkg-config into ${CMAKE_BINARY_DIR}/oem-example-pkg-config.
#
# It is the setup of the fixture `oem_example`. A test that boots the image
# declares   FIXTURES_REQUIRED oem_example   and finds the ISO at
# ${XENCORE_OEM_EXAMPLE_ISO}. (oem_example_boots, run with the boot runner,
# is added by the system tests, not here.)
find_program(XENCORE_PKG_CONFIG NAMES pkg-config pkgconf)
if(CMAKE_READELF)
  set(XENCORE_READELF ${CMAKE_READELF})
else()
  find_program(XENCORE_READELF readelf)
endif()

set(XENCORE_OEM_EXAMPLE_ISO ${CMAKE_BINARY_DIR}/oem-example-cmake/minimal-appliance.iso)

add_test(NAME oem_example_build
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/build-oem-example.sh
    ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR} ${CMAKE_COMMAND} ${CMAKE_C_COMPILER}
    ${CMAKE_GENERATOR} ${CMAKE_INSTALL_LIBDIR} ${XENCORE_PKG_CONFIG} ${XENCORE_READELF})
set_tests_properties(oem_example_build PROPERTIES
  LABELS oem
  FIXTURES_SETUP oem_example
  # It runs `cmake --build` on this build tree: never alongside another test
  # that does (docs_warning_free).
  RESOURCE_LOCK xencore_build_tree
  TIMEOUT 900)
