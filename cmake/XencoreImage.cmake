# xencore_add_grub_iso(NAME <name> IMAGE <elf target or path> [CMDLINE <words>]
#                      [MODULES <path>...] [OUTPUT_DIRECTORY <dir>])
#
# Makes <name>.iso, a GRUB2 rescue image (grub-mkrescue) that boots the
# image with multiboot2 and the given command line, and a target <name>-iso
# that is part of ALL. Installed with the kit for OEM images.
function(xencore_add_grub_iso)
  cmake_parse_arguments(ISO "" "NAME;IMAGE;CMDLINE;OUTPUT_DIRECTORY" "MODULES" ${ARGN})
  if(NOT ISO_NAME OR NOT ISO_IMAGE)
    message(FATAL_ERROR "xencore_add_grub_iso: NAME and IMAGE are required")
  endif()
  if(NOT ISO_OUTPUT_DIRECTORY)
    set(ISO_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  find_program(XENCORE_GRUB_MKRESCUE grub-mkrescue REQUIRED)

  if(TARGET ${ISO_IMAGE})
    set(image_file $<TARGET_FILE:${ISO_IMAGE}>)
    set(image_dep ${ISO_IMAGE})
  else()
    set(image_file ${ISO_IMAGE})
    set(image_dep ${ISO_IMAGE})
  endif()

  set(tree ${CMAKE_CURRENT_BINARY_DIR}/${ISO_NAME}.isotree)
  set(cfg ${CMAKE_CURRENT_BINARY_DIR}/${ISO_NAME}.grub.cfg)
  set(module_lines "")
  set(copy_modules "")
  foreach(module IN LISTS ISO_MODULES)
    get_filename_component(module_name ${module} NAME)
    string(APPEND module_lines "    module2 /boot/${module_name} ${module_name}\n")
    list(APPEND copy_modules COMMAND ${CMAKE_COMMAND} -E copy ${module} ${tree}/boot/${module_name})
  endforeach()
  file(GENERATE OUTPUT ${cfg} CONTENT
"set timeout=0
set default=0
menuentry \"xencore\" {
    multiboot2 /boot/xencore.elf ${ISO_CMDLINE}
${module_lines}    boot
}
")
  set(iso ${ISO_OUTPUT_DIRECTORY}/${ISO_NAME}.iso)
  add_custom_command(OUTPUT ${iso}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${tree}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${tree}/boot/grub
    COMMAND ${CMAKE_COMMAND} -E copy ${image_file} ${tree}/boot/xencore.elf
    COMMAND ${CMAKE_COMMAND} -E copy ${cfg} ${tree}/boot/grub/grub.cfg
    ${copy_modules}
    COMMAND ${XENCORE_GRUB_MKRESCUE} --quiet -o ${iso} ${tree}
    DEPENDS ${image_dep} ${cfg} ${ISO_MODULES}
    COMMENT "GRUB2 image ${ISO_NAME}.iso"
    VERBATIM)
  add_custom_target(${ISO_NAME}-iso ALL DEPENDS ${iso})
endfunction()
