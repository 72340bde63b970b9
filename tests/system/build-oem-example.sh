#!/bin/sh
# The OEM path, end to end: install the kit into a staging prefix, then build
# oem-examples/minimal-appliance against the installed kit only, once with
# CMake (find_package(xencore CONFIG)) and once with pkg-config, and check
# both images. Run by the ctest test oem_example_build (tests/system/oem_example.cmake).
#
# usage: build-oem-example.sh <source dir> <build dir> <cmake> <C compiler>
#                             <CMake generator> <libdir> <pkg-config> <readelf>
set -u

if [ $# -ne 8 ]; then
    echo "usage: $0 <source dir> <build dir> <cmake> <C compiler> <generator> <libdir> <pkg-config> <readelf>" >&2
    exit 2
fi
src=$1 build=$2 cmake=$3 cc=$4 generator=$5 libdir=$6 pkg_config=$7 readelf=$8

for tool in "$cmake" "$cc" "$pkg_config" "$readelf"; do
    case $tool in
    *-NOTFOUND | "") echo "oem_example: FAILED: a tool was not found at configure time ($tool)" >&2; exit 1 ;;
    esac
    command -v "$tool" >/dev/null || { echo "oem_example: FAILED: no $tool" >&2; exit 1; }
done

stage=$build/oem-stage
example_src=$src/oem-examples/minimal-appliance
cmake_build=$build/oem-example-cmake
pc_build=$build/oem-example-pkg-config

fail() {
    echo "oem_example: FAILED: $*" >&2
    exit 1
}

# step <what> <command...>: runs the command, fails the test naming the step.
step() {
    what=$1
    shift
    echo "oem_example: $what"
    echo "+ $*"
    "$@" || fail "$what (exit status $?)"
}

# check_image <elf>: an x86-64 executable with a multiboot2 header (magic
# 0xe85250d6, 64-bit aligned) in its first 32 KiB, as the multiboot2
# specification requires.
check_image() {
    elf=$1
    [ -f "$elf" ] || fail "no image $elf"
    header=$("$readelf" -h "$elf") || fail "readelf -h $elf"
    echo "$header" | grep -q 'Class: *ELF64' || fail "$elf is not ELF64:
$header"
    echo "$header" | grep -q 'Type: *EXEC' || fail "$elf is not an executable:
$header"
    echo "$header" | grep -q 'Machine: *Advanced Micro Devices X86-64' || fail "$elf is not x86-64:
$header"
    head -c 32768 "$elf" | od -An -v -tx1 -w8 | grep -q '^ d6 50 52 e8 ' ||
        fail "$elf has no multiboot2 header (d6 50 52 e8, 8-byte aligned) in its first 32 KiB"
    echo "oem_example: $elf: x86-64 executable with a multiboot2 header"
}

# 1. The kit, up to date, installed into a fresh staging prefix.
step "build the kit" "$cmake" --build "$build"
rm -rf "$stage" "$cmake_build" "$pc_build"
step "install the kit into $stage" "$cmake" --install "$build" --prefix "$stage"
for f in "$stage/$libdir/libxencore.a" "$stage/$libdir/libxencore-boot-mb2.a" \
         "$stage/$libdir/xencore/xencore.ld" "$stage/$libdir/pkgconfig/libxencore.pc" \
         "$stage/$libdir/cmake/xencore/xencoreConfig.cmake" "$stage/include/xencore/xencore.h"; do
    [ -f "$f" ] || fail "the installed kit lacks $f"
done

# 2. CMake: find_package(xencore CONFIG) in a separate project and build dir.
step "configure minimal-appliance against the installed kit" \
    "$cmake" -S "$example_src" -B "$cmake_build" -G "$generator" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$stage"
grep -q "^xencore_DIR:PATH=$stage/" "$cmake_build/CMakeCache.txt" ||
    fail "find_package(xencore) did not pick the staged kit: $(grep '^xencore_DIR' "$cmake_build/CMakeCache.txt")"
step "build minimal-appliance with CMake" "$cmake" --build "$cmake_build"
check_image "$cmake_build/minimal-appliance.elf"
[ -s "$cmake_build/minimal-appliance.iso" ] || fail "no ISO $cmake_build/minimal-appliance.iso"
echo "oem_example: ISO $cmake_build/minimal-appliance.iso"

# 3. pkg-config, as in the example's README:
#   cc $(pkg-config --cflags libxencore) -c board.c
#   cc board.o $(pkg-config --libs libxencore) -o minimal-appliance.elf
# PKG_CONFIG_LIBDIR (not _PATH): only the staged kit, never one on the system.
PKG_CONFIG_LIBDIR=$stage/$libdir/pkgconfig
export PKG_CONFIG_LIBDIR
unset PKG_CONFIG_PATH
cflags=$("$pkg_config" --cflags libxencore) || fail "pkg-config --cflags libxencore"
libs=$("$pkg_config" --libs libxencore) || fail "pkg-config --libs libxencore"
mkdir -p "$pc_build" || fail "mkdir $pc_build"
cd "$pc_build" || fail "cd $pc_build"
# eval: pkg-config quotes for the shell (a prefix with spaces comes escaped).
echo "+ $cc $cflags -c $example_src/board.c -o board.o"
eval "\"\$cc\" $cflags -c \"\$example_src/board.c\" -o board.o" ||
    fail "compile board.c with pkg-config --cflags libxencore"
echo "+ $cc board.o $libs -o minimal-appliance.elf"
eval "\"\$cc\" board.o $libs -o minimal-appliance.elf" ||
    fail "link minimal-appliance.elf with pkg-config --libs libxencore"
check_image "$pc_build/minimal-appliance.elf"

echo "oem_example: passed"
