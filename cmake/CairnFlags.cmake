# SPDX-License-Identifier: MIT
# Compiler and linker flags of STYLE.md §11, applied to every Cairn target.

add_compile_options(
	-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
	-Wno-error=deprecated-declarations
	-fvisibility=hidden
	-fstack-protector-strong)
add_link_options(-Wl,-z,relro -Wl,-z,now)

if(ENABLE_SANITIZERS)
	add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
		-fno-sanitize-recover=undefined)
	add_link_options(-fsanitize=address,undefined)
	add_compile_definitions(CAIRN_SANITIZERS=1)
else()
	# _FORTIFY_SOURCE needs optimisation and conflicts with ASan.
	if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
		add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
	endif()
endif()

if(ENABLE_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
		message(FATAL_ERROR "ENABLE_FUZZ needs clang (CC=clang)")
	endif()
	# Fuzzers run with ASan/UBSan; their runtime also provides the
	# coverage callbacks that non-fuzzer binaries of this build call.
	add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
	add_link_options(-fsanitize=address,undefined)
	set(CAIRN_FUZZ_RUNS 200000 CACHE STRING "Inputs per fuzzing run (label fuzzrun)")
	set(CAIRN_FUZZ_SECONDS 20 CACHE STRING "Longest fuzzing run, seconds (label fuzzrun)")
endif()
