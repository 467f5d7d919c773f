# SPDX-License-Identifier: MIT
# External libraries (Debian 12 packages; see packaging/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(LIBYANG REQUIRED IMPORTED_TARGET libyang>=2.1)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET libcrypto>=3.0)
pkg_check_modules(LIBMNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_core>=2.1)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
find_library(READLINE_LIBRARY readline REQUIRED)
find_program(YANGLINT yanglint REQUIRED)

# cairn_unit_test(NAME SOURCES... LIBS ...): a cmocka test, label "unit".
function(cairn_unit_test name)
	cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
	add_executable(${name} ${T_SOURCES})
	set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
	add_test(NAME ${name} COMMAND ${name})
	set_tests_properties(${name} PROPERTIES LABELS unit
		ENVIRONMENT "CAIRN_YANG_DIR=${CAIRN_BUILD_YANG_DIR};CAIRN_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

# cairn_fuzz_target(NAME SOURCE LIBS... CORPUS dir): a libFuzzer target when
# ENABLE_FUZZ, and always a "replay" test that runs the corpus through it.
# With ENABLE_FUZZ also a short fuzzing run (label fuzzrun, `make fuzz`):
# fixed seed, CAIRN_FUZZ_RUNS inputs at most CAIRN_FUZZ_SECONDS long, new
# inputs into the build tree (the corpus is only read).
function(cairn_fuzz_target name)
	cmake_parse_arguments(F "" "SOURCE;CORPUS" "LIBS" ${ARGN})
	if(ENABLE_FUZZ)
		add_executable(${name} ${F_SOURCE})
		target_link_options(${name} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(${name} PRIVATE ${F_LIBS})
		set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
		add_dependencies(fuzz-all ${name})
		set(found ${CMAKE_BINARY_DIR}/fuzz/found/${name})
		add_test(NAME ${name}-run COMMAND sh -c
			"rm -rf '${found}' && mkdir -p '${found}' && exec \"$0\" -seed=1 -runs=${CAIRN_FUZZ_RUNS} -max_total_time=${CAIRN_FUZZ_SECONDS} -timeout=10 '${found}' '${F_CORPUS}'"
			$<TARGET_FILE:${name}>)
		set_tests_properties(${name}-run PROPERTIES LABELS fuzzrun
			ENVIRONMENT "CAIRN_YANG_DIR=${CAIRN_BUILD_YANG_DIR}")
	endif()
	add_executable(${name}-replay ${F_SOURCE} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay.c)
	target_link_libraries(${name}-replay PRIVATE ${F_LIBS})
	set_target_properties(${name}-replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	add_test(NAME ${name}-replay COMMAND ${name}-replay ${F_CORPUS})
	set_tests_properties(${name}-replay PROPERTIES LABELS "fuzz;unit"
		ENVIRONMENT "CAIRN_YANG_DIR=${CAIRN_BUILD_YANG_DIR}")
endfunction()
