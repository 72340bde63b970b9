# What `cmake --install` lays out: the kit an OEM builds an image with.
#
#   <prefix>/<includedir>/xencore/**.h              the public API
#   <prefix>/<libdir>/libxencore.a                  the hypervisor
#   <prefix>/<libdir>/libxencore-boot-mb2.a         the reference multiboot2 boot stub
#   <prefix>/<libdir>/xencore/xencore.ld            the image linker script
#   <prefix>/<libdir>/pkgconfig/libxencore.pc       pkg-config
#   <prefix>/<libdir>/cmake/xencore/                find_package(xencore CONFIG):
#       xencoreConfig.cmake, xencoreConfigVersion.cmake,
#       xencoreTargets*.cmake (xencore::xencore, xencore::boot_mb2,
#       xencore::freestanding), XencoreImage.cmake (xencore_add_grub_iso)
#
# Everything is relative to the prefix, so the tree may be installed with
# `cmake --install <build> --prefix <dir>` and moved afterwards.
include(CMakePackageConfigHelpers)

set(XENCORE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/xencore)
set(XENCORE_INSTALL_LDSCRIPT ${CMAKE_INSTALL_LIBDIR}/xencore/xencore.ld)

# --- Usage requirements of the installed targets -----------------------------
# In the build tree nothing here changes anything: the kit's own targets link
# xencore_freestanding PRIVATE, and every addition below is INSTALL_INTERFACE.
#
# xencore::freestanding carries the code-generation flags (see
# XencoreFlags.cmake), XENCORE_MAX_CPUS and the include directory. The
# libraries link it PRIVATE, which a consumer sees only as $<LINK_ONLY:...>,
# so both installed libraries also name it in their INTERFACE: whatever links
# xencore::xencore or xencore::boot_mb2 is compiled the way the library was.
# An OEM's own boot stub library can link xencore::freestanding alone.
set_target_properties(xencore_freestanding PROPERTIES EXPORT_NAME freestanding)
set_target_properties(xencore_boot_mb2 PROPERTIES EXPORT_NAME boot_mb2)
target_include_directories(xencore_freestanding INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(xencore INTERFACE $<INSTALL_INTERFACE:xencore::freestanding>)
target_link_libraries(xencore_boot_mb2 INTERFACE $<INSTALL_INTERFACE:xencore::freestanding>)

# Linking an image: the freestanding link options and the installed linker
# script. One token per option (-Wl,-T,<file>, not "-T" "<file>"): CMake
# de-duplicates link options.
target_link_options(xencore INTERFACE
  "$<INSTALL_INTERFACE:${XENCORE_FREESTANDING_LINK_OPTIONS};-Wl,-T,$<INSTALL_PREFIX>/${XENCORE_INSTALL_LDSCRIPT}>")
set_property(TARGET xencore APPEND PROPERTY INTERFACE_LINK_DEPENDS
  "$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${XENCORE_INSTALL_LDSCRIPT}>")

# --- Files --------------------------------------------------------------------
install(TARGETS xencore xencore_boot_mb2 xencore_freestanding
  EXPORT xencoreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/xencore/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xencore
  FILES_MATCHING PATTERN "*.h")

install(FILES ${XENCORE_LINKER_SCRIPT} DESTINATION ${CMAKE_INSTALL_LIBDIR}/xencore)

# --- pkg-config ---------------------------------------------------------------
# The .pc file finds its prefix from its own location (${pcfiledir}), so it
# is right wherever the tree was installed or moved to.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(XENCORE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  set(xencore_pc_up "\${pcfiledir}")
  string(REPLACE "/" ";" xencore_pc_parts "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  foreach(part IN LISTS xencore_pc_parts)
    if(part AND NOT part STREQUAL ".")
      string(APPEND xencore_pc_up "/..")
    endif()
  endforeach()
  set(XENCORE_PC_PREFIX "${xencore_pc_up}")
endif()
foreach(dir INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(XENCORE_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(XENCORE_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
list(JOIN XENCORE_FREESTANDING_COMPILE_OPTIONS " " XENCORE_PC_CFLAGS)
list(JOIN XENCORE_FREESTANDING_LINK_OPTIONS " " XENCORE_PC_LDFLAGS)
configure_file(${PROJECT_SOURCE_DIR}/cmake/libxencore.pc.in
  ${PROJECT_BINARY_DIR}/libxencore.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/libxencore.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- CMake package ------------------------------------------------------------
install(EXPORT xencoreTargets
  NAMESPACE xencore::
  DESTINATION ${XENCORE_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/xencoreConfig.cmake.in
  ${PROJECT_BINARY_DIR}/xencoreConfig.cmake
  INSTALL_DESTINATION ${XENCORE_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR XENCORE_INSTALL_LDSCRIPT)
# 0.x: the API may change with every minor version.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/xencoreConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/xencoreConfig.cmake
  ${PROJECT_BINARY_DIR}/xencoreConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/XencoreImage.cmake
  DESTINATION ${XENCORE_INSTALL_CMAKEDIR})
